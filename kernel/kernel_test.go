package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestKernelSpecJSON(t *testing.T) {
	spec := makeKernelSpec(specOptions{
		Gonb: "/home/u/.fastgo/bin/gonb", BinDir: "/home/u/.fastgo/bin", GoBin: "/usr/local/go/bin", Repo: "/src/fastgo",
	})
	dir := t.TempDir()
	p, err := writeKernelSpec(dir, spec)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "kernels", "fastgo", "kernel.json"); p != want {
		t.Errorf("written to %s, want %s", p, want)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// Read it the way Jupyter does: plain JSON with these keys.
	var got map[string]any
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("kernel.json is not JSON: %v\n%s", err, data)
	}
	wantArgv := []any{"/bin/sh", "-c", launcher, "/home/u/.fastgo/bin/gonb", "--kernel", "{connection_file}", "--go_work=/src/fastgo"}
	if fmt.Sprint(got["argv"]) != fmt.Sprint(wantArgv) {
		t.Errorf("argv=%v, want %v", got["argv"], wantArgv)
	}
	if got["display_name"] != "Go (fastgo)" || got["language"] != "go" {
		t.Errorf("display_name=%v language=%v", got["display_name"], got["language"])
	}
	env := got["env"].(map[string]any)
	if env["PATH"] != "/home/u/.fastgo/bin/fastgo-kernel:/home/u/.fastgo/bin:/usr/local/go/bin:${PATH}" {
		t.Errorf("PATH=%v, want the tools, then Go, then Jupyter's PATH", env["PATH"])
	}
	if env["GOEXPERIMENT"] != "simd" || env["GOMLX_NO_AUTO_INSTALL"] != "1" {
		t.Errorf("env=%v, want GOEXPERIMENT=simd and GOMLX_NO_AUTO_INSTALL=1", env)
	}
	if env[envOurGoflags] != "-ldflags=-w" || env["GOFLAGS"] != nil {
		t.Errorf("%s=%v, GOFLAGS=%v: want -ldflags=-w (no xla tag) and the user's GOFLAGS left alone", envOurGoflags, env[envOurGoflags], env["GOFLAGS"])
	}

	back, err := readKernelSpec(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.goWork() != "/src/fastgo" {
		t.Errorf("goWork()=%q", back.goWork())
	}
	if xla := makeKernelSpec(specOptions{Gonb: "g", BinDir: "b", Repo: "r", XLA: true}); xla.Env[envOurGoflags] != "-tags=xla -ldflags=-w" {
		t.Errorf("XLA kernelspec %s=%q, want -tags=xla -ldflags=-w", envOurGoflags, xla.Env[envOurGoflags])
	}
	list := back.envList("/usr/bin")
	if !slices.Contains(list, "PATH=/home/u/.fastgo/bin/fastgo-kernel:/home/u/.fastgo/bin:/usr/local/go/bin:/usr/bin") {
		t.Errorf("envList did not expand ${PATH}: %v", list)
	}
}

// fake is a machine for install/doctor: a temporary home and Jupyter data
// folder, programs that answer like the real ones.
type fake struct {
	t        *testing.T
	home     string
	bin      string
	repo     string
	vars     map[string]string
	onPath   map[string]string
	versions map[string]string // binary path -> `go version -m` output
	probe    string            // backendinfo's JSON, or "" for a build failure
	xlaBuild error             // what `go list -deps ./fastgo` with -tags xla returns
	jpegErr  error             // what `go build -tags=libjpeg ./fastgo/vision` returns
	ran      []string
}

func newFake(t *testing.T) *fake {
	home := t.TempDir()
	f := &fake{t: t, home: home, bin: filepath.Join(home, ".fastgo", "bin"), repo: filepath.Join(home, "fastgo"),
		vars:     map[string]string{"PATH": "/usr/bin"},
		onPath:   map[string]string{"go": "/usr/local/go/bin/go"},
		versions: map[string]string{},
		probe:    `{"choice":{"Config":"go:parallelism=-1","Backend":"go","Device":"go","Reason":"no NVIDIA GPU, no PJRT plugin found"},"xla":false}`,
	}
	for _, d := range []string{f.bin, f.repo} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// tool puts a fake of t in the bin folder, built (as `go version -m`
// says) with t.Module at version.
func (f *fake) tool(t tool, version string) {
	p := filepath.Join(t.dir(f.bin), t.Name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("#!/bin/true\n"), 0o755); err != nil {
		f.t.Fatal(err)
	}
	f.versions[p] = fmt.Sprintf("%s: go1.26.8\n\tpath\t%s\n\tmod\t%s\t%s\th1:x=\n", p, t.Pkg, t.Module, version)
}

func toolNamed(name string) tool {
	i := slices.IndexFunc(tools, func(t tool) bool { return t.Name == name })
	return tools[i]
}

func (f *fake) allTools() {
	for _, t := range tools {
		f.tool(t, t.Version)
	}
}

func (f *fake) jupyter() string {
	p := filepath.Join(f.home, "usr", "bin", "jupyter")
	for _, name := range []string{p, p + "-notebook", p + "-nbconvert"} {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			f.t.Fatal(err)
		}
		if err := os.WriteFile(name, nil, 0o755); err != nil {
			f.t.Fatal(err)
		}
	}
	return p
}

func (f *fake) system(out *bytes.Buffer) system {
	return system{
		getenv: func(k string) string { return f.vars[k] },
		lookPath: func(name string) (string, error) {
			if p, ok := f.onPath[name]; ok {
				return p, nil
			}
			return "", errors.New(name + ": not found")
		},
		run: func(dir string, env []string, name string, args ...string) (string, error) {
			cmd := strings.Join(append([]string{name}, args...), " ")
			f.ran = append(f.ran, cmd)
			switch {
			case cmd == "go env GOVERSION":
				if slices.Contains(env, "GOTOOLCHAIN="+goToolchain) {
					return goToolchain + "\n", nil
				}
				return "go1.26.8\n", nil
			case strings.HasPrefix(cmd, "go version -m "):
				if v, ok := f.versions[args[2]]; ok {
					return v, nil
				}
				return "", errors.New("not a Go binary")
			case cmd == "go run ./kernel/backendinfo":
				if !slices.Contains(env, "GOEXPERIMENT=simd") || !slices.Contains(env, "GOTOOLCHAIN="+goToolchain) {
					return "", errors.New("backendinfo run without GOEXPERIMENT=simd and GOTOOLCHAIN=" + goToolchain)
				}
				if f.probe == "" {
					return "", errors.New("fastgo/x.go:1: syntax error")
				}
				return f.probe, nil
			case cmd == "go list -deps ./fastgo" && slices.Contains(env, "GOFLAGS=-tags=xla"):
				if f.xlaBuild != nil {
					return "missing go.sum entry for module providing package google.golang.org/protobuf/proto\n", f.xlaBuild
				}
				return "github.com/fastgo-ml/fastgo/fastgo\n", nil
			case strings.HasPrefix(cmd, "go build -tags=libjpeg "):
				if f.jpegErr != nil {
					return "fastgo/vision/decode_libjpeg.go:11:10: fatal error: jpeglib.h: No such file or directory\n", f.jpegErr
				}
				return "", nil
			case strings.HasPrefix(cmd, "go install "):
				for _, t := range tools {
					if strings.Contains(cmd, t.Pkg) {
						f.tool(t, t.Version)
					}
				}
				return "", nil
			}
			return "", nil
		},
		home:    f.home,
		out:     out,
		jupyter: filepath.Join(f.home, "usr", "bin", "jupyter"),
	}
}

func find(checks []check, name string) check {
	for _, c := range checks {
		if c.Name == name {
			return c
		}
	}
	return check{Name: name, Detail: "(no such check)"}
}

func TestDoctorEmptyMachine(t *testing.T) {
	f := newFake(t)
	var out bytes.Buffer
	checks := doctor(f.system(&out), f.repo, f.bin)
	for _, name := range []string{"gonb", "goimports", "gopls", "jupyter", "kernelspec"} {
		c := find(checks, name)
		if c.OK || !strings.Contains(c.Fix, "go run ./kernel install") {
			t.Errorf("%s: %+v, want missing with the install fix", name, c)
		}
	}
	if c := find(checks, "go"); !c.OK || !strings.Contains(c.Detail, goToolchain) {
		t.Errorf("go: %+v", c)
	}
	if c := find(checks, "backend"); !c.OK || !strings.Contains(c.Detail, "go:parallelism=-1 — no NVIDIA GPU") {
		t.Errorf("backend: %+v", c)
	}
	if c := find(checks, "gpu"); c.OK || !c.Optional {
		t.Errorf("gpu: %+v, want an optional note", c)
	}
	if printReport(&out, checks) {
		t.Errorf("report says ready on an empty machine:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "MISSING  kernelspec") {
		t.Errorf("report does not list the kernelspec as missing:\n%s", out.String())
	}
}

func TestDoctorReadyMachine(t *testing.T) {
	f := newFake(t)
	f.allTools()
	f.jupyter()
	f.vars["JUPYTER_DATA_DIR"] = filepath.Join(f.home, "jupyter")
	spec := makeKernelSpec(specOptions{Gonb: filepath.Join(f.bin, "gonb"), BinDir: f.bin, GoBin: "/usr/local/go/bin", Repo: f.repo})
	if _, err := writeKernelSpec(f.vars["JUPYTER_DATA_DIR"], spec); err != nil {
		t.Fatal(err)
	}
	f.onPath["chromium"] = "/usr/bin/chromium"
	var out bytes.Buffer
	checks := doctor(f.system(&out), f.repo, f.bin)
	if !printReport(&out, checks) {
		t.Errorf("not ready:\n%s", out.String())
	}
}

func TestDoctorFindsProblems(t *testing.T) {
	f := newFake(t)
	f.allTools()
	f.tool(toolNamed("gonb"), "v0.11.1") // panics pass silently in v0.11.1
	upstream := toolNamed("goimports")
	upstream.Pkg = "golang.org/x/tools/cmd/goimports" // without the notebook rule
	f.tool(upstream, "v0.52.0")
	f.jupyter()
	f.vars["JUPYTER_DATA_DIR"] = filepath.Join(f.home, "jupyter")
	other := makeKernelSpec(specOptions{Gonb: "/nowhere/gonb", BinDir: f.bin, Repo: "/elsewhere/fastgo"})
	other.Env["GOEXPERIMENT"] = ""
	delete(other.Env, "GOTOOLCHAIN") // a kernelspec from before the Go 1.27 move
	if _, err := writeKernelSpec(f.vars["JUPYTER_DATA_DIR"], other); err != nil {
		t.Fatal(err)
	}
	f.probe = `{"choice":{"Config":"go:parallelism=-1","Reason":"pure Go","Skipped":["NVIDIA H100 present but no PJRT CUDA plugin found (pip install jax-cuda12-pjrt, or set PJRT_PLUGIN_LIBRARY_PATH)"]},"gpus":[{"Name":"NVIDIA H100","MemoryMiB":81559}]}`
	var out bytes.Buffer
	checks := doctor(f.system(&out), f.repo, f.bin)

	if c := find(checks, "gonb"); c.OK || !strings.Contains(c.Detail, `"v0.11.1", want v0.11.5`) {
		t.Errorf("gonb: %+v", c)
	}
	if c := find(checks, "goimports"); c.OK || !strings.Contains(c.Detail, "is not github.com/fastgo-ml/fastgo/tools/goimports built with golang.org/x/tools") {
		t.Errorf("goimports (upstream's): %+v", c)
	}
	spec := find(checks, "kernelspec")
	for _, want := range []string{"/nowhere/gonb is missing", "uses the checkout /elsewhere/fastgo", "GOEXPERIMENT is not simd", `GOTOOLCHAIN is "", not ` + goToolchain} {
		if spec.OK || !strings.Contains(spec.Detail, want) {
			t.Errorf("kernelspec: %+v, want it to say %q", spec, want)
		}
	}
	if c := find(checks, "backend"); !strings.Contains(c.Detail, "NVIDIA H100 present but no PJRT CUDA plugin") {
		t.Errorf("backend does not say why the GPU is not used: %+v", c)
	}
	if c := find(checks, "gpu"); !c.OK || c.Detail != "NVIDIA H100 (81559 MiB)" {
		t.Errorf("gpu: %+v", c)
	}
	if c := find(checks, "pjrt plugins"); c.OK || c.Optional || !strings.Contains(c.Fix, "jax-cuda12-pjrt") {
		t.Errorf("a GPU without a plugin must be a required fix: %+v", c)
	}
}

func TestDoctorLibraryDoesNotBuild(t *testing.T) {
	f := newFake(t)
	f.probe = ""
	var out bytes.Buffer
	c := find(doctor(f.system(&out), f.repo, f.bin), "backend")
	if c.OK || !strings.Contains(c.Detail, "fastgo does not build") || !strings.Contains(c.Detail, "syntax error") {
		t.Errorf("backend: %+v", c)
	}
}

func TestInstallWritesSpecAndSkipsPresentTools(t *testing.T) {
	f := newFake(t)
	f.tool(toolNamed("gopls"), "v0.23.0")
	f.jupyter()
	f.vars["JUPYTER_DATA_DIR"] = filepath.Join(f.home, "jupyter")
	var out bytes.Buffer
	err := install(f.system(&out), installOptions{Repo: f.repo, BinDir: f.bin, SkipWarm: true, XLA: "off"})
	if err != nil {
		t.Fatalf("install: %v\n%s", err, out.String())
	}
	var installs []string
	for _, c := range f.ran {
		if strings.HasPrefix(c, "go install") {
			installs = append(installs, c)
		}
	}
	want := []string{"go install github.com/janpfeifer/gonb", "go install github.com/fastgo-ml/fastgo/tools/goimports"}
	if !slices.Equal(installs, want) {
		t.Errorf("installs %q, want %q (gopls already at v0.23.0)", installs, want)
	}
	spec, err := readKernelSpec(f.vars["JUPYTER_DATA_DIR"])
	if err != nil {
		t.Fatal(err)
	}
	if spec.goWork() != f.repo || spec.gonb() != filepath.Join(f.bin, "gonb") {
		t.Errorf("kernelspec argv %q, want gonb from %s with --go_work=%s", spec.Argv, f.bin, f.repo)
	}
	// Installing from another checkout moves the one kernel: say so (a
	// user trial found its notebooks silently re-pointed).
	other := filepath.Join(f.home, "other-clone")
	out.Reset()
	if err := install(f.system(&out), installOptions{Repo: other, BinDir: f.bin, SkipWarm: true, XLA: "off"}); err != nil {
		t.Fatalf("install from another checkout: %v\n%s", err, out.String())
	}
	if want := "used the checkout " + f.repo + "; it now uses " + other; !strings.Contains(out.String(), want) {
		t.Errorf("install output:\n%s\nwant it to say %q", out.String(), want)
	}
}

func TestInstallJupyterNeedsRoot(t *testing.T) {
	f := newFake(t)
	f.allTools()
	s := f.system(&bytes.Buffer{})
	s.uid = 1000
	err := install(s, installOptions{Repo: f.repo, BinDir: f.bin, SkipWarm: true, XLA: "off"})
	if err == nil || !strings.Contains(err.Error(), "sudo sh -c 'apt-get update && apt-get install -y jupyter-notebook") {
		t.Errorf("err=%v, want the apt-get command to run as root", err)
	}
	if err := install(s, installOptions{Repo: f.repo, BinDir: f.bin, SkipWarm: true, SkipJupyter: true, XLA: "off"}); err != nil {
		t.Errorf("-skip-jupyter: %v", err)
	}
}

func TestFindRepo(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module github.com/fastgo-ml/fastgo\n\ngo 1.26.8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "notebooks", "check")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := findRepo(sub); err != nil || got != dir {
		t.Errorf("findRepo=%q, %v; want %q", got, err, dir)
	}
	if _, err := findRepo(t.TempDir()); err == nil || !strings.Contains(err.Error(), "-repo") {
		t.Errorf("outside a checkout: err=%v, want a hint about -repo", err)
	}
}

func TestWarmProgramImportsEverything(t *testing.T) {
	src := warmProgram([]string{"github.com/fastgo-ml/fastgo/fastgo", "github.com/janpfeifer/gonb/gonbui"})
	for _, want := range []string{"package main", `_ "github.com/fastgo-ml/fastgo/fastgo"`, `_ "github.com/janpfeifer/gonb/gonbui"`, "func main() {}"} {
		if !strings.Contains(src, want) {
			t.Errorf("warm program lacks %q:\n%s", want, src)
		}
	}
}

// TestLibraryImportsIgnoresGoMessages: on a new machine `go list` also
// prints "go: downloading ..." lines; the warm build once imported them as
// packages and failed ("invalid import path").
func TestLibraryImportsIgnoresGoMessages(t *testing.T) {
	out := "go: downloading github.com/gomlx/gomlx v0.28.4\n" +
		"github.com/fastgo-ml/fastgo/display\n" +
		"go: downloading gonum.org/v1/plot v0.17.0\n" +
		"github.com/fastgo-ml/fastgo/fastgo\n" +
		"github.com/fastgo-ml/fastgo/internal/ops\n" +
		"\n"
	want := []string{"github.com/fastgo-ml/fastgo/display", "github.com/fastgo-ml/fastgo/fastgo"}
	if got := libraryImports(out); !slices.Equal(got, want) {
		t.Errorf("libraryImports = %q, want %q", got, want)
	}
}

func TestInstallTurnsOnXLAWhenAPluginIsFound(t *testing.T) {
	for _, tc := range []struct {
		name     string
		plugins  string
		gcc      bool
		xlaBuild error
		goflags  string
		jpegErr  error
	}{
		{"no plugin", `[]`, true, nil, "-ldflags=-w", nil},
		{"plugin", `[{"Name":"cuda","Path":"/x/xla_cuda_plugin.so","Source":"jax python package"}]`, true, nil, "-tags=xla,libjpeg -ldflags=-w", nil},
		{"plugin, no libjpeg headers", `[{"Name":"cuda","Path":"/x/xla_cuda_plugin.so"}]`, true, nil, "-tags=xla -ldflags=-w", errors.New("exit status 1")},
		{"plugin, no gcc", `[{"Name":"cuda","Path":"/x/xla_cuda_plugin.so"}]`, false, nil, "-ldflags=-w", nil},
		{"plugin, go.sum lacks go-xla's deps", `[{"Name":"cuda","Path":"/x/xla_cuda_plugin.so"}]`, true, errors.New("exit status 1"), "-ldflags=-w", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			f.allTools()
			f.jupyter()
			f.vars["JUPYTER_DATA_DIR"] = filepath.Join(f.home, "jupyter")
			f.probe = `{"choice":{"Config":"go:parallelism=-1"},"plugins":` + tc.plugins + `}`
			f.xlaBuild = tc.xlaBuild
			f.jpegErr = tc.jpegErr
			if tc.gcc {
				f.onPath["gcc"] = "/usr/bin/gcc"
			}
			var out bytes.Buffer
			if err := install(f.system(&out), installOptions{Repo: f.repo, BinDir: f.bin, SkipWarm: true, XLA: "auto"}); err != nil {
				t.Fatal(err)
			}
			spec, err := readKernelSpec(f.vars["JUPYTER_DATA_DIR"])
			if err != nil {
				t.Fatal(err)
			}
			if spec.Env[envOurGoflags] != tc.goflags {
				t.Errorf("%s=%q, want %q\n%s", envOurGoflags, spec.Env[envOurGoflags], tc.goflags, out.String())
			}
			if tc.xlaBuild != nil && !strings.Contains(out.String(), "missing go.sum entry") {
				t.Errorf("install does not say why XLA stays off:\n%s", out.String())
			}
			if tc.jpegErr != nil && !strings.Contains(out.String(), "jpeglib.h") {
				t.Errorf("install does not say why libjpeg stays off:\n%s", out.String())
			}
		})
	}
}

// The kernel appends its flags to the user's GOFLAGS instead of replacing
// them (#21: GOFLAGS=-tags=xla was lost). The real launcher, run by sh,
// with a fake gonb that prints what it got.
func TestKernelLauncherKeepsUserGoflags(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	fake := filepath.Join(t.TempDir(), "gonb")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"GOFLAGS=$GOFLAGS args=$*\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec := makeKernelSpec(specOptions{Gonb: fake, BinDir: "/b", Repo: "/r", XLA: false})
	for user, want := range map[string]string{
		"":                   "GOFLAGS=-ldflags=-w args=--kernel conn.json --go_work=/r",
		"-tags=xla":          "GOFLAGS=-tags=xla -ldflags=-w args=--kernel conn.json --go_work=/r",
		"-tags=xla -mod=mod": "GOFLAGS=-tags=xla -mod=mod -ldflags=-w args=--kernel conn.json --go_work=/r",
	} {
		argv := slices.Clone(spec.Argv)
		for i, a := range argv {
			argv[i] = strings.ReplaceAll(a, "{connection_file}", "conn.json")
		}
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = []string{"PATH=/usr/bin:/bin", envOurGoflags + "=" + spec.Env[envOurGoflags]}
		if user != "" {
			cmd.Env = append(cmd.Env, "GOFLAGS="+user)
		}
		out, err := cmd.CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != want {
			t.Errorf("user GOFLAGS %q: got %q (%v), want %q", user, out, err, want)
		}
		if got := "GOFLAGS=" + spec.goflags(user); !strings.HasPrefix(want, got+" ") {
			t.Errorf("goflags(%q) = %q, want the launcher's %q", user, got, want)
		}
	}
}
