package backend

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withoutCache is XLA_FLAGS less the cache flags (tests about other flags).
func withoutCache(flags string) string {
	var kept []string
	for _, f := range strings.Fields(flags) {
		if !strings.HasPrefix(f, flagAutotuneDir+"=") && !strings.HasPrefix(f, flagKernelCache+"=") {
			kept = append(kept, f)
		}
	}
	return strings.Join(kept, " ")
}

// flagValue is the value of flag in XLA_FLAGS and whether it is there once.
func flagValue(flags, flag string) (string, bool) {
	var vals []string
	for _, f := range strings.Fields(flags) {
		if k, v, _ := strings.Cut(f, "="); k == flag {
			vals = append(vals, v)
		}
	}
	if len(vals) != 1 {
		return strings.Join(vals, ","), false
	}
	return vals[0], true
}

func cudaMachine(t *testing.T) (*fakeMachine, string) {
	m := newFakeMachine(t)
	m.gpu("NVIDIA H100 80GB HBM3")
	site := "usr/lib/python3/dist-packages"
	plugin := m.file(site + "/jax_plugins/xla_cuda13/xla_cuda_plugin.so")
	m.file(site + "/nvidia/cu13/bin/ptxas")
	return m, plugin
}

// TestXLACacheFlags: a CUDA choice names XLA's autotune and kernel caches
// once each, in a per-plugin folder under the user's cache folder, next
// to the CUDA data dir; never through XLA_DEBUG_OPTIONS.
func TestXLACacheFlags(t *testing.T) {
	m, plugin := cudaMachine(t)
	c := choose(t, m.env("go", "xla"))
	dir := m.env().XLACacheDir(plugin)
	if !strings.HasPrefix(dir, filepath.Join(m.root, "home", ".cache", "fastgo", "xla")+string(filepath.Separator)) {
		t.Fatalf("cache folder %q, want one under ~/.cache/fastgo/xla", dir)
	}
	for flag, want := range map[string]string{
		flagAutotuneDir:           filepath.Join(dir, "autotune"),
		flagKernelCache:           filepath.Join(dir, "kernels.bin"),
		"--xla_gpu_cuda_data_dir": filepath.Join(m.root, "usr/lib/python3/dist-packages/nvidia/cu13"),
	} {
		if got, once := flagValue(c.Env["XLA_FLAGS"], flag); !once || got != want {
			t.Errorf("%s=%q in XLA_FLAGS %q, want %q once", flag, got, c.Env["XLA_FLAGS"], want)
		}
	}
	if _, set := c.Env["XLA_DEBUG_OPTIONS"]; set {
		t.Error("XLA_DEBUG_OPTIONS set: it resets XLA's defaults")
	}
	// The CPU plugin and pure Go get none.
	m2 := newFakeMachine(t)
	m2.file("home/.local/lib/go-xla/pjrt_c_api_cpu_plugin.so")
	if c := choose(t, m2.env("go", "xla")); strings.Contains(c.Env["XLA_FLAGS"], "cache") {
		t.Errorf("CPU plugin: XLA_FLAGS=%q", c.Env["XLA_FLAGS"])
	}
	// Another build of the plugin (another size) gets another folder.
	if err := os.WriteFile(plugin, []byte("a newer plugin, longer"), 0o644); err != nil {
		t.Fatal(err)
	}
	if m.env().XLACacheDir(plugin) == dir {
		t.Error("a changed plugin file kept the same cache folder")
	}
}

// TestXLACacheUserWins: the user's own cache flags, an empty one (off)
// included, are kept as they are; FASTGO_XLA_CACHE moves or turns off
// fastgo's; XDG_CACHE_HOME is honoured.
func TestXLACacheUserWins(t *testing.T) {
	m, plugin := cudaMachine(t)
	m.vars["XLA_FLAGS"] = "--xla_gpu_per_fusion_autotune_cache_dir= --xla_dump_to=/tmp/d"
	c := choose(t, m.env("go", "xla"))
	if got, once := flagValue(c.Env["XLA_FLAGS"], flagAutotuneDir); !once || got != "" {
		t.Errorf("user's empty autotune dir replaced: XLA_FLAGS=%q", c.Env["XLA_FLAGS"])
	}
	if got, once := flagValue(c.Env["XLA_FLAGS"], flagKernelCache); !once || got == "" {
		t.Errorf("kernel cache missing: XLA_FLAGS=%q", c.Env["XLA_FLAGS"])
	}
	if !strings.HasPrefix(c.Env["XLA_FLAGS"], "--xla_gpu_per_fusion_autotune_cache_dir= --xla_dump_to=/tmp/d ") {
		t.Errorf("user's flags not kept first: %q", c.Env["XLA_FLAGS"])
	}
	delete(m.vars, "XLA_FLAGS")
	m.vars[EnvXLACache] = "off"
	if c := choose(t, m.env("go", "xla")); strings.Contains(c.Env["XLA_FLAGS"], "cache") {
		t.Errorf("%s=off: XLA_FLAGS=%q", EnvXLACache, c.Env["XLA_FLAGS"])
	}
	m.vars[EnvXLACache] = filepath.Join(m.root, "mine")
	if d := m.env().XLACacheDir(plugin); !strings.HasPrefix(d, filepath.Join(m.root, "mine")+string(filepath.Separator)) {
		t.Errorf("%s set: folder %q", EnvXLACache, d)
	}
	delete(m.vars, EnvXLACache)
	m.vars["XDG_CACHE_HOME"] = filepath.Join(m.root, "xdg")
	if d := m.env().XLACacheDir(plugin); !strings.HasPrefix(d, filepath.Join(m.root, "xdg", "fastgo", "xla")) {
		t.Errorf("XDG_CACHE_HOME set: folder %q", d)
	}
}

// TestPrepareXLACache: the folders are made private; one that cannot be
// made drops its flag with a message saying how to fix it.
func TestPrepareXLACache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "xla", "abc")
	env := map[string]string{"XLA_FLAGS": "--xla_dump_to=/tmp/d " + flagAutotuneDir + "=" + filepath.Join(dir, "autotune") + " " + flagKernelCache + "=" + filepath.Join(dir, "kernels.bin")}
	if err := prepareXLACache(env); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dir, filepath.Join(dir, "autotune")} {
		st, err := os.Stat(d)
		if err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, mode %v; want a 0700 folder", d, err, st.Mode().Perm())
		}
	}
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	env = map[string]string{"XLA_FLAGS": "--xla_dump_to=/tmp/d " + flagAutotuneDir + "=" + filepath.Join(blocker, "autotune")}
	err := prepareXLACache(env)
	if err == nil || !strings.Contains(err.Error(), EnvXLACache) || env["XLA_FLAGS"] != "--xla_dump_to=/tmp/d" {
		t.Errorf("unwritable folder: err %v, XLA_FLAGS %q", err, env["XLA_FLAGS"])
	}
}
