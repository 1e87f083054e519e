package backend

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// fakeMachine is a temporary file system root with a home folder and
// variables, for the backend choice to look at.
type fakeMachine struct {
	t    testing.TB
	root string
	vars map[string]string
	smi  string
}

func newFakeMachine(t testing.TB) *fakeMachine {
	root := t.TempDir()
	return &fakeMachine{t: t, root: root, vars: map[string]string{}}
}

// file creates an (empty) file at p under the fake root and returns its
// absolute path.
func (m *fakeMachine) file(p string) string {
	m.t.Helper()
	full := filepath.Join(m.root, p)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		m.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte("not really a plugin"), 0o644); err != nil {
		m.t.Fatal(err)
	}
	return full
}

func (m *fakeMachine) dir(p string) string {
	m.t.Helper()
	full := filepath.Join(m.root, p)
	if err := os.MkdirAll(full, 0o755); err != nil {
		m.t.Fatal(err)
	}
	return full
}

func (m *fakeMachine) gpu(model string) {
	m.t.Helper()
	f := m.file("proc/driver/nvidia/gpus/0000:01:00.0/information")
	if err := os.WriteFile(f, []byte("Model: \t\t "+model+"\nIRQ:   \t\t 42\n"), 0o644); err != nil {
		m.t.Fatal(err)
	}
}

func (m *fakeMachine) env(compiled ...string) env {
	e := env{
		lookup:   func(k string) (string, bool) { v, ok := m.vars[k]; return v, ok },
		home:     filepath.Join(m.root, "home"),
		root:     m.root,
		compiled: compiled,
	}
	if m.smi != "" {
		e.nvidiaSMI = func() (string, error) { return m.smi, nil }
	}
	return e
}

func choose(t *testing.T, e env) Choice {
	t.Helper()
	cands, err := e.candidates()
	if err != nil {
		t.Fatalf("candidates: %v", err)
	}
	if last := cands[len(cands)-1]; last.Backend != "go" {
		t.Errorf("last candidate is %q, want the pure-Go fallback", last.Config)
	}
	return cands[0]
}

func TestChooseBackendNothingInstalled(t *testing.T) {
	m := newFakeMachine(t)
	c := choose(t, m.env("go"))
	if c.Config != GoConfig || c.Device != "go" {
		t.Errorf("Config=%q Device=%q, want %q on go", c.Config, c.Device, GoConfig)
	}
	for _, want := range []string{"no NVIDIA GPU", "no PJRT plugin found"} {
		if !strings.Contains(c.Reason, want) {
			t.Errorf("Reason %q does not say %q", c.Reason, want)
		}
	}
	if c.Env["GOMLX_NO_AUTO_INSTALL"] == "" {
		t.Errorf("auto-install not turned off: Env=%v", c.Env)
	}
}

func TestChooseBackendAutoInstallWhenAsked(t *testing.T) {
	m := newFakeMachine(t)
	m.vars["FASTGO_AUTO_INSTALL"] = "1"
	if c := choose(t, m.env("go")); c.Env["GOMLX_NO_AUTO_INSTALL"] != "" {
		t.Errorf("FASTGO_AUTO_INSTALL set but auto-install still turned off: Env=%v", c.Env)
	}
}

func TestChooseBackendCUDAFromJaxPackage(t *testing.T) {
	m := newFakeMachine(t)
	m.gpu("NVIDIA H200")
	m.smi = "NVIDIA H200, 143771 MiB\n"
	site := "home/.local/lib/python3.12/site-packages"
	plugin := m.file(site + "/jax_plugins/xla_cuda12/xla_cuda_plugin.so")
	nvidia := m.dir(site + "/nvidia")
	cpu := m.file("usr/local/lib/go-xla/pjrt_c_api_cpu_plugin.so")

	c := choose(t, m.env("go", "xla"))
	if c.Config != "xla:"+plugin || c.Device != "cuda" {
		t.Fatalf("Config=%q Device=%q, want xla:%s on cuda", c.Config, c.Device, plugin)
	}
	if c.Plugin == nil || c.Plugin.Source != "jax python package" || c.Plugin.NvidiaDir != nvidia {
		t.Errorf("Plugin=%+v, want source jax python package with NvidiaDir %s", c.Plugin, nvidia)
	}
	if got, want := withoutCache(c.Env["XLA_FLAGS"]), "--xla_gpu_cuda_data_dir="+nvidia; got != want {
		t.Errorf("XLA_FLAGS=%q, want %q", got, want)
	}
	if !strings.Contains(c.Reason, "NVIDIA H200") {
		t.Errorf("Reason %q does not name the GPU", c.Reason)
	}
	// The fallbacks after a CUDA failure: the CPU plugin, then pure Go.
	cands, _ := m.env("go", "xla").candidates()
	if len(cands) != 3 || cands[1].Config != "xla:"+cpu || cands[2].Config != GoConfig {
		t.Errorf("candidates %v, want cuda, %s, %s", configs(cands), cpu, GoConfig)
	}
}

// XLA_FLAGS names the folder with ptxas, in both wheel layouts.
func TestCUDADataDirFindsPtxas(t *testing.T) {
	for _, layout := range []string{"cuda_nvcc", "cu13"} {
		m := newFakeMachine(t)
		m.gpu("NVIDIA H200")
		site := "usr/local/lib/python3.12/dist-packages"
		m.file(site + "/jax_plugins/xla_cuda13/xla_cuda_plugin.so")
		nvidia := m.dir(site + "/nvidia")
		m.file(site + "/nvidia/cublas/lib/libcublas.so.13")
		m.file(site + "/nvidia/" + layout + "/bin/ptxas")
		c := choose(t, m.env("go", "xla"))
		if got, want := withoutCache(c.Env["XLA_FLAGS"]), "--xla_gpu_cuda_data_dir="+filepath.Join(nvidia, layout); got != want {
			t.Errorf("%s: XLA_FLAGS=%q, want %q", layout, got, want)
		}
	}
}

// The lent H200's image: CUDA 13 wheels without ptxas, the toolkit in
// /usr/local/cuda. XLA_FLAGS names the toolkit, and go-xla's check (which
// misses jax's nvidia/ two folders up and prints a screenful) is turned
// off, unless the user set it.
func TestCUDADataDirFallsBackToSystemToolkit(t *testing.T) {
	m := newFakeMachine(t)
	m.gpu("NVIDIA H200")
	site := "opt/torch/.venv/lib/python3.12/site-packages"
	m.file(site + "/jax_plugins/xla_cuda13/xla_cuda_plugin.so")
	m.file(site + "/nvidia/cu13/lib/libcublas.so.13")
	m.file("usr/local/cuda/bin/ptxas")
	m.vars["PYTHONPATH"] = filepath.Join(m.root, site)
	c := choose(t, m.env("go", "xla"))
	if got, want := withoutCache(c.Env["XLA_FLAGS"]), "--xla_gpu_cuda_data_dir="+filepath.Join(m.root, "usr/local/cuda"); got != want {
		t.Errorf("XLA_FLAGS=%q, want %q", got, want)
	}
	if c.Env["GOPJRT_CUDA_CHECKS"] != "0" {
		t.Errorf("GOPJRT_CUDA_CHECKS=%q, want 0 (fastgo found nvidia/ itself)", c.Env["GOPJRT_CUDA_CHECKS"])
	}
	m.vars["GOPJRT_CUDA_CHECKS"] = "1"
	if c := choose(t, m.env("go", "xla")); c.Env["GOPJRT_CUDA_CHECKS"] != "" {
		t.Errorf("GOPJRT_CUDA_CHECKS=%q set over the user's 1", c.Env["GOPJRT_CUDA_CHECKS"])
	}
}

func configs(cs []Choice) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Config)
	}
	return out
}

func TestChooseBackendKeepsUserXLAFlags(t *testing.T) {
	m := newFakeMachine(t)
	m.gpu("NVIDIA A100")
	m.file("home/.local/lib/go-xla/pjrt_c_api_cuda_plugin.so")
	m.dir("home/.local/lib/go-xla/nvidia")
	m.vars["XLA_FLAGS"] = "--xla_gpu_cuda_data_dir=/mine"
	if c := choose(t, m.env("go", "xla")); withoutCache(c.Env["XLA_FLAGS"]) != "--xla_gpu_cuda_data_dir=/mine" {
		t.Errorf("XLA_FLAGS=%q, want the user's value kept", c.Env["XLA_FLAGS"])
	}
	delete(m.vars, "XLA_FLAGS")
	m.vars["XLA_FLAGS"] = "--xla_dump_to=/tmp/d"
	c := choose(t, m.env("go", "xla"))
	if want := "--xla_dump_to=/tmp/d --xla_gpu_cuda_data_dir=" + filepath.Join(m.root, "home/.local/lib/go-xla/nvidia"); withoutCache(c.Env["XLA_FLAGS"]) != want {
		t.Errorf("XLA_FLAGS=%q, want %q", c.Env["XLA_FLAGS"], want)
	}
}

func TestChooseBackendSaysWhyNoGPU(t *testing.T) {
	cases := []struct {
		name     string
		setup    func(m *fakeMachine)
		compiled []string
		config   string
		skipped  string
	}{
		{"plugin but no GPU", func(m *fakeMachine) {
			m.file("usr/local/lib/go-xla/pjrt_c_api_cuda_plugin.so")
		}, []string{"go", "xla"}, GoConfig, "no NVIDIA GPU is visible"},
		{"GPU but no plugin", func(m *fakeMachine) {
			m.gpu("NVIDIA H100")
		}, []string{"go", "xla"}, GoConfig, "NVIDIA H100 present but no PJRT CUDA plugin"},
		{"plugin and GPU but no xla tag", func(m *fakeMachine) {
			m.gpu("NVIDIA H100")
			m.file("usr/local/lib/go-xla/pjrt_c_api_cuda_plugin.so")
		}, []string{"go"}, GoConfig, "built without XLA (build with -tags xla)"},
		{"CPU plugin without xla tag", func(m *fakeMachine) {
			m.file("usr/local/lib/go-xla/pjrt_c_api_cpu_plugin.so")
		}, []string{"go"}, GoConfig, "PJRT CPU plugin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := newFakeMachine(t)
			tc.setup(m)
			c := choose(t, m.env(tc.compiled...))
			if c.Config != tc.config {
				t.Errorf("Config=%q, want %q", c.Config, tc.config)
			}
			if !strings.Contains(strings.Join(c.Skipped, "; "), tc.skipped) {
				t.Errorf("Skipped=%q, want it to say %q", c.Skipped, tc.skipped)
			}
		})
	}
}

func TestChooseBackendPluginPathVariable(t *testing.T) {
	m := newFakeMachine(t)
	mine := m.file("opt/pjrt/pjrt_c_api_cpu_plugin.so")
	m.file("usr/local/lib/go-xla/pjrt_c_api_cpu_plugin.so") // ignored: the variable replaces the standard folders
	m.vars["PJRT_PLUGIN_LIBRARY_PATH"] = filepath.Dir(mine) + ":relative/ignored"
	plugins := m.env().findPlugins()
	if len(plugins) != 1 || plugins[0].Path != mine || plugins[0].Name != "cpu" || plugins[0].Source != "PJRT_PLUGIN_LIBRARY_PATH" {
		t.Fatalf("plugins=%+v, want only %s from PJRT_PLUGIN_LIBRARY_PATH", plugins, mine)
	}
	if c := choose(t, m.env("go", "xla")); c.Config != "xla:"+mine || c.Device != "cpu" {
		t.Errorf("Config=%q Device=%q, want xla:%s on cpu", c.Config, c.Device, mine)
	}
}

func TestChooseBackendFromVariable(t *testing.T) {
	m := newFakeMachine(t)
	jax := m.file("venv/lib/python3.12/site-packages/jax_plugins/xla_cuda13/xla_cuda_plugin.so")
	nvidia := m.dir("venv/lib/python3.12/site-packages/nvidia")
	cases := []struct {
		value, config, device string
	}{
		{"go", GoConfig, "go"},
		{"go:parallelism=2", "go:parallelism=2", "go"},
		{"xla:cuda", "xla:cuda", "cuda"},
		{"xla:cpu", "xla:cpu", "cpu"},
		{"xla:" + jax + ",preallocate=true", "xla:" + jax + ",preallocate=true", "cuda"},
	}
	for _, tc := range cases {
		m.vars["GOMLX_BACKEND"] = tc.value
		c := choose(t, m.env("go", "xla"))
		if c.Config != tc.config || c.Device != tc.device {
			t.Errorf("GOMLX_BACKEND=%q: Config=%q Device=%q, want %q on %q", tc.value, c.Config, c.Device, tc.config, tc.device)
		}
	}
	if c := choose(t, m.env("go", "xla")); withoutCache(c.Env["XLA_FLAGS"]) != "--xla_gpu_cuda_data_dir="+nvidia {
		t.Errorf("plugin by path: XLA_FLAGS=%q, want the nvidia folder %s", c.Env["XLA_FLAGS"], nvidia)
	}
}

func TestChooseBackendRejectsUnknownName(t *testing.T) {
	for value, want := range map[string]string{
		"cuda":      `unknown backend "cuda"`,
		"xla:cuda":  "built without it: build with `-tags xla`",
		"stablehlo": "built without it",
	} {
		m := newFakeMachine(t)
		m.vars["GOMLX_BACKEND"] = value
		_, err := m.env("go").candidates()
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "GOMLX_BACKEND") {
			t.Errorf("GOMLX_BACKEND=%q: err=%v, want it to say %q", value, err, want)
		}
	}
}

func TestCreateBackendFallsBackVisibly(t *testing.T) {
	m := newFakeMachine(t)
	m.vars["GOMLX_BACKEND"] = "nonsense:1"
	var log bytes.Buffer
	b, c := createBackend(m.env("go"), &log)
	if b == nil || c.Backend != "go" {
		t.Fatalf("backend %v (%q), want the pure-Go fallback", b, c.Config)
	}
	defer b.Finalize()
	out := log.String()
	for _, want := range []string{`unknown backend "nonsense"`, "ignoring GOMLX_BACKEND", "fastgo: backend " + GoConfig} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q does not say %q", out, want)
		}
	}
}

func TestCreateBackendPluginFailure(t *testing.T) {
	// A "plugin" that fails to load: the xla backend is not compiled into
	// the default test binary, so the constructor is missing, which fails the
	// same way a bad .so does: an error, then the pure-Go fallback, printed.
	m := newFakeMachine(t)
	m.vars["GOMLX_BACKEND"] = "go:no_such_option"
	var log bytes.Buffer
	b, c := createBackend(m.env("go"), &log)
	defer b.Finalize()
	if c.Config != GoConfig {
		t.Errorf("Config=%q, want the fallback %q", c.Config, GoConfig)
	}
	out := log.String()
	if !strings.Contains(out, "go:no_such_option failed") || !strings.Contains(out, "falling back to "+GoConfig) {
		t.Errorf("log %q does not show the failure and the fallback", out)
	}
}

func TestPluginName(t *testing.T) {
	for file, want := range map[string]string{
		"pjrt_c_api_cuda_plugin.so":        "cuda",
		"pjrt_c_api_cpu_v0.83.1_plugin.so": "cpu_v0.83.1",
		"pjrt-plugin-tpu.so":               "tpu",
		"xla_cuda_plugin.so":               "",
		"pjrt_c_api_cuda_plugin.so.bak":    "",
	} {
		if got := pluginName(file); got != want {
			t.Errorf("pluginName(%q)=%q, want %q", file, got, want)
		}
	}
}

func TestFindGPUsFromNvidiaSMI(t *testing.T) {
	m := newFakeMachine(t)
	m.smi = "NVIDIA H200, 143771 MiB\nNVIDIA H200, 143771 MiB\n"
	gpus := m.env().findGPUs()
	if len(gpus) != 2 || gpus[0].Name != "NVIDIA H200" || gpus[0].MemoryMiB != 143771 {
		t.Errorf("gpus=%+v, want two H200 with 143771 MiB", gpus)
	}
}

// FuzzBackendVariable: whatever GOMLX_BACKEND holds, the choice is an error
// or a candidate list ending with the pure-Go backend, never a panic.
func FuzzBackendVariable(f *testing.F) {
	for _, s := range []string{"go", "xla:cuda", "xla:/x/xla_cuda_plugin.so,preallocate=false", "go:parallelism=2", ":", "xla:", "nonsense:1"} {
		f.Add(s)
	}
	m := newFakeMachine(f)
	f.Fuzz(func(t *testing.T, v string) {
		m.vars["GOMLX_BACKEND"] = v
		for _, compiled := range [][]string{{"go"}, {"go", "xla"}} {
			cands, err := m.env(compiled...).candidates()
			if err == nil && (len(cands) == 0 || cands[len(cands)-1].Backend != "go") {
				t.Errorf("GOMLX_BACKEND=%q: candidates %v do not end with the pure-Go backend", v, configs(cands))
			}
		}
	})
}

func TestBackendLineGoesToStdoutInNotebooks(t *testing.T) {
	t.Setenv("FASTGO_DISPLAY", "notebook")
	if w := backendLogWriter(); w != os.Stdout {
		t.Errorf("in a notebook the backend line goes to %v, want stdout (stderr shows as an error)", w)
	}
	t.Setenv("FASTGO_DISPLAY", "terminal")
	if w := backendLogWriter(); w != os.Stderr {
		t.Errorf("in a terminal the backend line goes to %v, want stderr", w)
	}
}

// In a notebook the backend line opens only the first cell of a kernel
// session; a different line is printed again.
func TestAnnounceOncePerNotebookSession(t *testing.T) {
	t.Setenv("GONB_TMP_DIR", t.TempDir())
	t.Setenv("FASTGO_DISPLAY", "notebook")
	var out strings.Builder
	announce(&out, "fastgo: backend go\n")
	announce(&out, "fastgo: backend go\n")
	announce(&out, "fastgo: backend xla\n")
	if got, want := out.String(), "fastgo: backend go\nfastgo: backend xla\n"; got != want {
		t.Errorf("notebook: printed %q, want %q", got, want)
	}
	t.Setenv("FASTGO_DISPLAY", "terminal")
	out.Reset()
	announce(&out, "fastgo: backend go\n")
	announce(&out, "fastgo: backend go\n")
	if got, want := out.String(), "fastgo: backend go\nfastgo: backend go\n"; got != want {
		t.Errorf("terminal: printed %q, want every line %q", got, want)
	}
}

// TestFitGCTarget: a fit on the pure-Go backend runs with the
// collector's target at GoGCPercent unless the user set GOGC, and the
// target in force before returns after it — after the last of overlapping
// fits; creating a backend (serving, predicting) changes nothing.
func TestFitGCTarget(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	m := newFakeMachine(t)
	var log bytes.Buffer
	b, _ := createBackend(m.env("go"), &log)
	defer b.Finalize()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("creating the pure-Go backend set the collector's target to %d", got)
	}
	debug.SetGCPercent(80) // the user's own setting
	unset := env{lookup: func(string) (string, bool) { return "", false }}
	end1 := unset.fitGCTarget(b)
	end2 := unset.fitGCTarget(b) // an overlapping fit
	if got := debug.SetGCPercent(-2); got != GoGCPercent {
		t.Errorf("during a fit the target is %d, want %d", got, GoGCPercent)
	}
	debug.SetGCPercent(GoGCPercent)
	end1()
	end1() // ending twice counts once
	if got := debug.SetGCPercent(GoGCPercent); got != GoGCPercent {
		t.Errorf("while another fit runs the target is %d, want %d", got, GoGCPercent)
	}
	end2()
	if got := debug.SetGCPercent(100); got != 80 {
		t.Errorf("after the fits the target is %d, want the user's 80 back", got)
	}
	set := env{lookup: func(k string) (string, bool) { return "200", k == "GOGC" }}
	debug.SetGCPercent(200)
	set.fitGCTarget(b)()
	if got := debug.SetGCPercent(100); got != 200 {
		t.Errorf("with GOGC set a fit changed the target to %d", got)
	}
}

// Trial 2: under GOMAXPROCS=1 the backend line said "1 threads".
func TestBackendLineSaysOneThread(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	m := newFakeMachine(t)
	var log bytes.Buffer
	b, _ := createBackend(m.env("go"), &log)
	defer b.Finalize()
	if out := log.String(); !strings.Contains(out, "(pure Go on the CPU, 1 thread)") {
		t.Errorf("backend line %q, want it to say \"1 thread\"", out)
	}
}
