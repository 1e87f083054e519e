package backend

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"github.com/fastgo-ml/fastgo/display"
	"github.com/gomlx/compute"

	// The pure-Go backend ("go") is always compiled in: it needs nothing installed.
	_ "github.com/gomlx/compute/gobackend"
)

// Backend choice (design.md "Backends"). GoMLX's own default links XLA,
// tries to download plugins and panics on an unknown name; fastgo chooses
// itself, validates, falls back visibly and prints the result once.

// GoConfig is the pure-Go backend's configuration fastgo uses:
// parallelism=-1 avoids a scheduling deadlock of its default on 2 cores.
const GoConfig = "go:parallelism=-1"

// xlaNames are the names go-xla registers for its backend.
var xlaNames = []string{"xla", "stablehlo", "shlo", "hlo"}

// Choice is a backend decision: what to create and why.
type Choice struct {
	// Config is the configuration given to compute.NewWithConfig, e.g.
	// "xla:/abs/path/xla_cuda_plugin.so" or "go:parallelism=-1".
	Config string
	// Backend is the backend's name: "xla" or "go" (or another registered one
	// named by GOMLX_BACKEND).
	Backend string
	// Device is "cuda", "cpu" (XLA on the CPU) or "go" (pure Go on the CPU).
	Device string
	// Plugin is the PJRT plugin used, nil for the pure-Go backend or when
	// GOMLX_BACKEND names the plugin itself.
	Plugin *Plugin
	// Env holds the variables set in this process before the backend is
	// created: GOMLX_NO_AUTO_INSTALL (unless FASTGO_AUTO_INSTALL is set) and,
	// for a CUDA plugin with an nvidia/ folder beside it, XLA_FLAGS.
	Env map[string]string
	// Reason says, in one sentence, why this backend was chosen.
	Reason string
	// Skipped says why each better option was not taken (no GPU, plugin
	// found but this build lacks XLA, ...).
	Skipped []string
}

// String is the one-line description Default prints.
func (c Choice) String() string {
	s := c.Config + " — " + c.Reason
	if len(c.Skipped) > 0 {
		s += " (" + strings.Join(c.Skipped, "; ") + ")"
	}
	return s
}

// XLACompiled reports whether this binary can run XLA: it was built with
// `-tags xla`, which links go-xla (cgo, a C compiler; no XLA library is needed
// at build time — plugins are loaded when the backend is created).
func XLACompiled() bool { return slices.Contains(compute.List(), "xla") }

// Choose decides which backend Default will create, without creating
// it:
//
//  1. GOMLX_BACKEND when set ("go", "xla:cuda", "xla:/abs/plugin.so", ...):
//     its backend name must be compiled in, else an error says what to do;
//     a bare "go" gets parallelism=-1;
//  2. XLA on CUDA when a PJRT CUDA plugin is found and an NVIDIA GPU is seen;
//  3. XLA on the CPU when a PJRT CPU plugin is found;
//  4. otherwise the pure-Go backend, GoConfig.
//
// Choices 2 and 3 need a binary built with `-tags xla`; without it they are
// listed in Choice.Skipped with the reason.
func Choose() (Choice, error) {
	cands, err := hostEnv().candidates()
	if err != nil {
		return Choice{}, err
	}
	return cands[0], nil
}

func hostEnv() env {
	home, _ := os.UserHomeDir()
	return env{lookup: os.LookupEnv, home: home, nvidiaSMI: runNvidiaSMI, compiled: compute.List()}
}

// baseEnv are the variables every choice sets: no plugin downloads unless the
// user asked for them.
func (e env) baseEnv() map[string]string {
	m := map[string]string{}
	if _, asked := e.lookup("FASTGO_AUTO_INSTALL"); !asked {
		if _, set := e.lookup("GOMLX_NO_AUTO_INSTALL"); !set {
			m["GOMLX_NO_AUTO_INSTALL"] = "1"
		}
	}
	return m
}

// candidates lists the backends to try, best first; the last one is always
// the pure-Go backend, so a failing plugin falls back visibly.
func (e env) candidates() ([]Choice, error) {
	goChoice := Choice{Config: GoConfig, Backend: "go", Device: "go", Env: e.baseEnv()}
	if v, ok := e.lookup(compute.ConfigEnvVar); ok && strings.TrimSpace(v) != "" {
		c, err := e.fromEnv(strings.TrimSpace(v))
		if err != nil {
			return nil, err
		}
		if c.Config == GoConfig {
			return []Choice{c}, nil
		}
		goChoice.Reason = "fallback after GOMLX_BACKEND=" + v + " failed"
		return []Choice{c, goChoice}, nil
	}

	var out, skipped []string
	var cands []Choice
	plugins := e.findPlugins()
	gpus := e.findGPUs()
	xla := slices.Contains(e.compiled, "xla")
	var cuda, cpu []Plugin
	for _, p := range plugins {
		switch {
		case p.IsCUDA():
			cuda = append(cuda, p)
		case p.IsCPU():
			cpu = append(cpu, p)
		}
	}
	switch {
	case len(cuda) == 0 && len(gpus) > 0:
		skipped = append(skipped, fmt.Sprintf("%s present but no PJRT CUDA plugin found (pip install jax-cuda13-pjrt 'jax-cuda13-plugin[with_cuda]', or jax-cuda12-pjrt for a driver older than 580; or set PJRT_PLUGIN_LIBRARY_PATH)", gpus[0].Name))
	case len(cuda) > 0 && len(gpus) == 0:
		skipped = append(skipped, "PJRT CUDA plugin "+cuda[0].Path+" found but no NVIDIA GPU is visible (/proc/driver/nvidia/gpus, nvidia-smi)")
	case len(cuda) > 0 && !xla:
		skipped = append(skipped, "PJRT CUDA plugin "+cuda[0].Path+" found but this binary was built without XLA (build with -tags xla)")
	case len(cuda) > 0:
		for _, p := range cuda {
			c := Choice{Config: "xla:" + p.Path, Backend: "xla", Device: "cuda", Plugin: &p, Env: e.baseEnv(),
				Reason: fmt.Sprintf("PJRT CUDA plugin (%s) and %s", p.Source, gpus[0].Name)}
			if p.NvidiaDir != "" {
				e.setCUDAEnv(c.Env, p.NvidiaDir)
			}
			e.setXLACacheEnv(c.Env, p.Path)
			cands = append(cands, c)
		}
	case len(gpus) == 0:
		out = append(out, "no NVIDIA GPU")
	}
	switch {
	case len(cpu) > 0 && !xla:
		skipped = append(skipped, "PJRT CPU plugin "+cpu[0].Path+" found but this binary was built without XLA (build with -tags xla)")
	case len(cpu) > 0:
		for _, p := range cpu {
			cands = append(cands, Choice{Config: "xla:" + p.Path, Backend: "xla", Device: "cpu", Plugin: &p, Env: e.baseEnv(),
				Reason: "PJRT CPU plugin (" + p.Source + ")"})
		}
	}
	if len(plugins) == 0 {
		out = append(out, "no PJRT plugin found")
	}
	goChoice.Reason = "pure Go"
	if len(out) > 0 {
		goChoice.Reason = strings.Join(out, ", ")
	}
	cands = append(cands, goChoice)
	for i := range cands {
		cands[i].Skipped = skipped
	}
	return cands, nil
}

// fromEnv validates GOMLX_BACKEND: compute.NewWithConfig panics on a name that
// is not compiled in; fastgo returns an error that says what to do.
func (e env) fromEnv(v string) (Choice, error) {
	name, conf, _ := strings.Cut(v, ":")
	c := Choice{Config: v, Backend: name, Device: name, Env: e.baseEnv(), Reason: "GOMLX_BACKEND=" + v}
	switch {
	case slices.Contains(e.compiled, name):
	case slices.Contains(xlaNames, name):
		return Choice{}, fmt.Errorf("GOMLX_BACKEND=%q asks for XLA, but this binary was built without it: build with `-tags xla` (needs cgo), or unset GOMLX_BACKEND to let fastgo choose", v)
	default:
		known := slices.Clone(e.compiled)
		slices.Sort(known)
		return Choice{}, fmt.Errorf("GOMLX_BACKEND=%q: unknown backend %q; this build has %q (\"xla\" needs `-tags xla`); unset GOMLX_BACKEND to let fastgo choose", v, name, known)
	}
	if name == "go" {
		if conf == "" {
			c.Config = GoConfig
			c.Reason += " (with parallelism=-1: the default can deadlock on 2 cores)"
		}
		return c, nil
	}
	if slices.Contains(xlaNames, name) {
		plugin, _, _ := strings.Cut(conf, ",")
		p := Plugin{Name: plugin, Path: plugin, Source: "GOMLX_BACKEND"}
		if filepath.IsAbs(plugin) {
			p.Name = pluginName(filepath.Base(plugin))
			if p.Name == "" && p.IsCUDA() {
				p.Name = "cuda" // jax's xla_cuda_plugin.so
			}
			c.Plugin = &p
		}
		c.Device = "cpu"
		if p.IsCUDA() {
			c.Device = "cuda"
			if p.NvidiaDir = nvidiaDirFor(plugin); p.NvidiaDir != "" {
				e.setCUDAEnv(c.Env, p.NvidiaDir)
			}
			e.setXLACacheEnv(c.Env, plugin)
		}
	}
	return c, nil
}

// setCUDAEnv sets what a CUDA plugin with its libraries in nvidiaDir
// needs: XLA_FLAGS' --xla_gpu_cuda_data_dir (the folder with ptxas), and
// GOPJRT_CUDA_CHECKS=0 — go-xla v0.4.13 looks for nvidia/ one folder up
// from the plugin only, not two as in jax's layout
// (site-packages/jax_plugins/xla_cuda13/), and warns with a screenful when
// fastgo has already found it (bench/upstream/ has the fix). A value the
// user set is kept.
func (e env) setCUDAEnv(m map[string]string, nvidiaDir string) {
	flags, ok := m["XLA_FLAGS"]
	if !ok {
		flags = e.getenv("XLA_FLAGS")
	}
	m["XLA_FLAGS"] = mergeXLAFlags(flags, "--xla_gpu_cuda_data_dir="+cudaDataDir(nvidiaDir, e.cudaToolkits()...))
	if _, set := e.lookup("GOPJRT_CUDA_CHECKS"); !set {
		m["GOPJRT_CUDA_CHECKS"] = "0"
	}
}

// cudaToolkits are the system CUDA toolkit folders, for a ptxas the
// Python wheels did not bring: $CUDA_HOME, then /usr/local/cuda.
func (e env) cudaToolkits() []string {
	var dirs []string
	if h := e.getenv("CUDA_HOME"); h != "" {
		dirs = append(dirs, h)
	}
	return append(dirs, e.sys("/usr/local/cuda"))
}

// mergeXLAFlags adds flag to XLA_FLAGS unless the user already set that flag.
func mergeXLAFlags(existing, flag string) string {
	key, _, _ := strings.Cut(flag, "=")
	if strings.Contains(existing, key) {
		return existing
	}
	return strings.TrimSpace(existing + " " + flag)
}

var (
	backendOnce   sync.Once
	backendValue  compute.Backend
	backendChoice Choice
	// backendLog is where Default prints its one line; nil means stdout in
	// a notebook (where stderr looks like an error) and stderr elsewhere
	// (so that programs' and Example tests' stdout stays theirs).
	backendLog io.Writer
)

func backendLogWriter() io.Writer {
	switch {
	case backendLog != nil:
		return backendLog
	case display.InNotebook():
		return display.NotebookStdout()
	}
	return os.Stderr
}

// Default returns the process's backend, created once on first use and
// printed once (backend, device, memory or threads, and why). When
// GOMLX_BACKEND is invalid or a plugin fails to load, the error and the
// fallback taken are printed and the next candidate is used (at the end, the
// pure-Go backend); it never switches silently.
func Default() compute.Backend {
	backendOnce.Do(func() {
		backendValue, backendChoice = createBackend(hostEnv(), backendLogWriter())
	})
	return backendValue
}

// DefaultChoice is the choice Default made (after any fallback); it
// creates the backend first if needed.
func DefaultChoice() Choice {
	Default()
	return backendChoice
}

// announce prints the backend line once per notebook session.
func announce(w io.Writer, line string) { display.SayOncePerSession(w, "backend_line", line) }

// GoGCPercent is the garbage collector's target (GOGC) fastgo uses while
// a fit runs on the pure-Go backend, unless GOGC is set (see
// [FitGCTarget]): that backend keeps freed tensors in its buffer pools,
// which the collector counts as live, so with Go's default of 100 the
// garbage of everything else (decoded images, batches) may grow to the
// size of all those tensors before a collection. Measured on make
// bench-epoch (ResNet18, batch 64 at 128 px): peak memory 4145 MiB with
// 100, 2985 with 25, at the same speed (3.68 and 3.60 img/s in one run
// each; a collection of a heap of few large buffers is cheap). Serving and
// predicting leave the process's setting alone: they allocate little
// besides the pooled tensors.
const GoGCPercent = 25

// fitGC counts the fits that lowered the collector's target, and keeps
// the target in force before the first.
var fitGC struct {
	sync.Mutex
	fits  int
	saved int
}

// FitGCTarget lowers the garbage collector's target to GoGCPercent for a
// fit on backend b when b is the pure-Go backend and the environment does
// not set GOGC, and returns the function that ends it (call it when the
// fit ends). Fits that overlap, in one learner or several, share one
// lowering: the target in force before the first is restored when the
// last ends. Elsewhere it changes nothing and returns a no-op.
func FitGCTarget(b compute.Backend) (end func()) {
	return env{lookup: os.LookupEnv}.fitGCTarget(b)
}

func (e env) fitGCTarget(b compute.Backend) (end func()) {
	if b == nil || b.String() != "go" { // the pure-Go backend's String()
		return func() {}
	}
	if _, set := e.lookup("GOGC"); set {
		return func() {}
	}
	fitGC.Lock()
	if fitGC.fits == 0 {
		fitGC.saved = debug.SetGCPercent(GoGCPercent)
	}
	fitGC.fits++
	fitGC.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			fitGC.Lock()
			defer fitGC.Unlock()
			if fitGC.fits--; fitGC.fits == 0 {
				debug.SetGCPercent(fitGC.saved)
			}
		})
	}
}

func createBackend(e env, log io.Writer) (compute.Backend, Choice) {
	cands, err := e.candidates()
	if err != nil {
		fmt.Fprintf(log, "fastgo: %v\nfastgo: ignoring GOMLX_BACKEND and choosing automatically\n", err)
		e.lookup = withoutVar(e.lookup, compute.ConfigEnvVar)
		cands, _ = e.candidates()
	}
	var errs []error
	for i, c := range cands {
		if c.Device == "cuda" {
			if err := prepareXLACache(c.Env); err != nil {
				fmt.Fprintf(log, "fastgo: %v\n", err)
			}
		}
		for k, v := range c.Env {
			_ = os.Setenv(k, v)
		}
		b, err := newBackend(c.Config)
		if err == nil {
			announce(log, "fastgo: backend "+describe(b, c, e)+"\n")
			return b, c
		}
		errs = append(errs, fmt.Errorf("%s: %w", c.Config, err))
		if i+1 < len(cands) {
			fmt.Fprintf(log, "fastgo: backend %s failed: %v\nfastgo: falling back to %s\n", c.Config, err, cands[i+1].Config)
		}
	}
	// Unreachable in practice: the pure-Go backend needs nothing installed.
	panic(fmt.Errorf("fastgo: no backend could be created: %w", errors.Join(errs...)))
}

// newBackend creates a backend, turning a panic of the backend's constructor
// into an error. The pure-Go backend prints its parallelism to stdout; that
// line is dropped (Default prints its own) so program output stays clean.
func newBackend(config string) (b compute.Backend, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	if strings.HasPrefix(config, "go:") {
		if null, nerr := os.Open(os.DevNull); nerr == nil {
			saved := os.Stdout
			os.Stdout = null
			defer func() { os.Stdout = saved; _ = null.Close() }()
		}
	}
	return compute.NewWithConfig(config)
}

func describe(b compute.Backend, c Choice, e env) string {
	var s string
	switch c.Device {
	case "go":
		threads := "threads"
		if runtime.GOMAXPROCS(0) == 1 {
			threads = "thread"
		}
		s = fmt.Sprintf("%s (pure Go on the CPU, %d %s)", c.Config, runtime.GOMAXPROCS(0), threads)
	case "cuda":
		s = fmt.Sprintf("%s on %s", c.Config, b.DeviceDescription(0))
		if gpus := e.findGPUs(); len(gpus) > 0 && gpus[0].MemoryMiB > 0 {
			s += fmt.Sprintf(", %.0f GiB", float64(gpus[0].MemoryMiB)/1024)
		}
	default:
		s = fmt.Sprintf("%s on %s", c.Config, b.DeviceDescription(0))
	}
	s += " — " + c.Reason
	if len(c.Skipped) > 0 {
		s += "; " + strings.Join(c.Skipped, "; ")
	}
	return s
}

func withoutVar(lookup func(string) (string, bool), name string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		if k == name {
			return "", false
		}
		return lookup(k)
	}
}
