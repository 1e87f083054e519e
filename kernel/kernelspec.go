package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// kernelName is the kernelspec's folder name: notebooks select the kernel
// with `"kernelspec": {"name": "fastgo"}`, and nbconvert with
// --ExecutePreprocessor.kernel_name=fastgo.
const kernelName = "fastgo"

// goToolchain is the Go every fastgo build uses (scripts/goenv.sh, the
// Makefile): cells are built with it too, so that they compile with the
// same Go as the library and its tests. The go command fetches it from the
// module proxy when the machine's own Go is older.
const goToolchain = "go1.27.3"

// buildEnv is the environment of every go command kernel runs (tools,
// probes, the warm build), as scripts/goenv.sh sets it for the scripts.
var buildEnv = []string{"GOTOOLCHAIN=" + goToolchain, "GOEXPERIMENT=simd"}

// kernelSpec is Jupyter's kernel.json
// (https://jupyter-client.readthedocs.io/en/latest/kernels.html#kernelspecs).
type kernelSpec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode"`
	Env           map[string]string `json:"env"`
}

// specOptions are the machine facts the kernelspec is made from.
type specOptions struct {
	Gonb   string // absolute path of the gonb binary
	BinDir string // folder with gonb, goimports, gopls
	GoBin  string // folder with the go command
	Repo   string // this fastgo checkout (the go.work GoNB starts each notebook with)
	XLA    bool   // build cells with -tags xla
	// LibJPEG adds -tags libjpeg (with XLA: decoding at a GPU's rate).
	LibJPEG bool
}

// makeKernelSpec builds the fastgo kernelspec: GoNB started with a go.work
// that uses this checkout, and the variables every fastgo build sets.
func makeKernelSpec(o specOptions) kernelSpec {
	// The kernel's own goimports first, then gonb and gopls.
	path := filepath.Join(o.BinDir, kernelOnlyDir) + string(os.PathListSeparator) + o.BinDir
	if o.GoBin != "" && o.GoBin != o.BinDir {
		path += string(os.PathListSeparator) + o.GoBin
	}
	// Every cell is linked anew: without DWARF (-w) linking is ~25% faster
	// (4.5 s → 3.3 s for a cell importing fastgo and vision on 2 busy
	// cores); panics still print file:line stack traces.
	goflags := "-ldflags=-w"
	switch {
	case o.XLA && o.LibJPEG:
		goflags = "-tags=xla,libjpeg " + goflags
	case o.XLA:
		goflags = "-tags=xla " + goflags
	}
	env := map[string]string{
		// Jupyter expands ${PATH} from its own environment.
		"PATH":                  path + string(os.PathListSeparator) + "${PATH}",
		"GOEXPERIMENT":          "simd",
		"GOTOOLCHAIN":           goToolchain,
		"GOMLX_NO_AUTO_INSTALL": "1",
		// Not GOFLAGS itself: that would replace the user's (a Jupyter
		// started with GOFLAGS=-tags=xla); the launcher appends these.
		envOurGoflags: goflags,
	}
	return kernelSpec{
		Argv:          append([]string{"/bin/sh", "-c", launcher, o.Gonb}, "--kernel", "{connection_file}", "--go_work="+o.Repo),
		DisplayName:   "Go (fastgo)",
		Language:      "go",
		InterruptMode: "message",
		Env:           env,
	}
}

// envOurGoflags holds the kernel's build flags, appended to the user's
// GOFLAGS by the launcher.
const envOurGoflags = "FASTGO_GOFLAGS"

// launcher starts GoNB ($0, then its arguments) with GOFLAGS = the user's
// flags followed by fastgo's (a kernelspec's env can only replace a
// variable: Jupyter leaves an unset ${GOFLAGS} as those very characters).
const launcher = `export GOFLAGS="${GOFLAGS:+$GOFLAGS }$` + envOurGoflags + `"; exec "$0" "$@"`

// gonb is the GoNB binary the kernelspec starts.
func (k kernelSpec) gonb() string {
	if len(k.Argv) > 3 && k.Argv[0] == "/bin/sh" && k.Argv[2] == launcher {
		return k.Argv[3]
	}
	if len(k.Argv) > 0 {
		return k.Argv[0]
	}
	return ""
}

// goflags is what a cell is built with: the user's GOFLAGS (user) then the
// kernel's.
func (k kernelSpec) goflags(user string) string {
	ours := k.Env[envOurGoflags]
	if ours == "" {
		ours = k.Env["GOFLAGS"] // a kernelspec written before the launcher
	}
	return strings.TrimSpace(user + " " + ours)
}

// kernelSpecPath is where the fastgo kernelspec lives in a Jupyter data folder.
func kernelSpecPath(dataDir string) string {
	return filepath.Join(dataDir, "kernels", kernelName, "kernel.json")
}

func writeKernelSpec(dataDir string, spec kernelSpec) (string, error) {
	p := kernelSpecPath(dataDir)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", fmt.Errorf("create kernelspec folder: %w", err)
	}
	data, err := json.MarshalIndent(spec, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(p, append(data, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("write kernelspec: %w", err)
	}
	return p, nil
}

func readKernelSpec(dataDir string) (kernelSpec, error) {
	var spec kernelSpec
	p := kernelSpecPath(dataDir)
	data, err := os.ReadFile(p)
	if err != nil {
		return spec, err
	}
	if err := json.Unmarshal(data, &spec); err != nil {
		return spec, fmt.Errorf("%s: %w", p, err)
	}
	return spec, nil
}

// goWork is the checkout the kernelspec's GoNB is told to use, "" if none.
func (k kernelSpec) goWork() string {
	for _, a := range k.Argv {
		if v, ok := strings.CutPrefix(a, "--go_work="); ok {
			return v
		}
	}
	return ""
}

// envList is the kernelspec's environment as NAME=value pairs, with ${PATH}
// expanded from path, for running commands the way the kernel would.
func (k kernelSpec) envList(path string) []string {
	var out []string
	for key, v := range k.Env {
		out = append(out, key+"="+strings.ReplaceAll(v, "${PATH}", path))
	}
	return append(out, "GOFLAGS="+k.goflags(os.Getenv("GOFLAGS")))
}
