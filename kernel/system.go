package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// system is what install and doctor read from and do to the machine; tests
// replace the functions with fakes.
type system struct {
	getenv   func(string) string
	lookPath func(string) (string, error)
	// run executes a program in dir with extra variables, returning its
	// combined output.
	run  func(dir string, env []string, name string, args ...string) (string, error)
	home string
	out  io.Writer
	// uid is the effective user id (apt-get needs root).
	uid int
	// jupyter is the jupyter command fastgo uses (Debian's).
	jupyter string
}

func hostSystem() system {
	home, _ := os.UserHomeDir()
	return system{
		getenv:   os.Getenv,
		lookPath: exec.LookPath,
		run:      runCommand,
		home:     home,
		out:      os.Stdout,
		uid:      os.Geteuid(),
		jupyter:  debianJupyter,
	}
}

func runCommand(dir string, env []string, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	if err != nil {
		return buf.String(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, lastLines(buf.String(), 20))
	}
	return buf.String(), nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// binDir is where install puts the tools: -bin, else $GOBIN, else ~/.fastgo/bin.
func (s system) binDir(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if gobin := s.getenv("GOBIN"); gobin != "" {
		return gobin
	}
	return filepath.Join(s.home, ".fastgo", "bin")
}

// jupyterDataDir is where Jupyter looks for kernelspecs: $JUPYTER_DATA_DIR,
// else ~/.local/share/jupyter (Linux), as GoNB's own installer does.
func (s system) jupyterDataDir() string {
	if d := s.getenv("JUPYTER_DATA_DIR"); d != "" {
		return d
	}
	return filepath.Join(s.home, ".local", "share", "jupyter")
}

// findRepo walks up from dir to the folder whose go.mod declares the fastgo
// module.
func findRepo(dir string) (string, error) {
	start := dir
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && modulePath(data) == modulePathFastgo {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no fastgo checkout (go.mod with module %s) in %s or above: run this from the fastgo repository, or pass -repo", modulePathFastgo, start)
		}
		dir = parent
	}
}

const modulePathFastgo = "github.com/fastgo-ml/fastgo"

func modulePath(gomod []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// toolVersion is the version of t.Module that built binary bin, read with
// `go version -m`; "" when bin is missing, is not t.Pkg's program or was
// not built with t.Module.
func (s system) toolVersion(bin string, t tool) string {
	out, err := s.run("", nil, "go", "version", "-m", bin)
	if err != nil {
		return ""
	}
	version, pkg := "", ""
	for line := range strings.SplitSeq(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "path" {
			pkg = f[1]
		}
		if len(f) >= 3 && (f[0] == "mod" || f[0] == "dep") && f[1] == t.Module {
			version = f[2]
		}
	}
	if pkg != t.Pkg {
		return ""
	}
	return version
}

// findTool looks for a tool in the bin folder first, then on PATH.
func (s system) findTool(binDir, name string) (string, error) {
	p := filepath.Join(binDir, name)
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
		return p, nil
	}
	if p, err := s.lookPath(name); err == nil {
		return p, nil
	}
	return "", errors.New(name + " not found in " + binDir + " or on PATH")
}
