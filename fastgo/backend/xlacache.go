package backend

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// XLA's persistent compilation caches. Every GoNB cell is a new process,
// and a new process compiles the ResNet training graph again: ~20 s on an
// H200, most of it autotuning convolutions and building kernels. XLA can
// keep both on disk (openxla/xla xla/debug_options_flags.cc):
// --xla_gpu_per_fusion_autotune_cache_dir holds one file per autotuned
// fusion, read and written as it compiles; --xla_gpu_kernel_cache_file
// holds the compiled kernels. fastgo turns both on for CUDA, under one
// folder per plugin build, through XLA_FLAGS (never XLA_DEBUG_OPTIONS,
// which would reset XLA's other defaults); a flag the user set in
// XLA_FLAGS wins.

// EnvXLACache names the variable that moves XLA's caches (a folder), or
// turns them off ("off").
const EnvXLACache = "FASTGO_XLA_CACHE"

const (
	flagAutotuneDir = "--xla_gpu_per_fusion_autotune_cache_dir"
	flagKernelCache = "--xla_gpu_kernel_cache_file"
)

// xlaCacheRoot is where XLA's caches go: $FASTGO_XLA_CACHE, else the
// user's cache folder's fastgo/xla ($XDG_CACHE_HOME or ~/.cache, the
// parent of fastgo's learner cache); "" when turned off.
func (e env) xlaCacheRoot() string {
	if v := strings.TrimSpace(e.getenv(EnvXLACache)); v != "" {
		if v == "off" {
			return ""
		}
		return v
	}
	if x := e.getenv("XDG_CACHE_HOME"); x != "" {
		return filepath.Join(x, "fastgo", "xla")
	}
	if e.home == "" {
		return ""
	}
	return filepath.Join(e.home, ".cache", "fastgo", "xla")
}

// XLACacheDir is the folder of XLA's caches for a plugin: one per plugin
// build (its path, size and time), since a new XLA may not read an older
// one's files. "" when FASTGO_XLA_CACHE=off or no cache folder is known.
func (e env) XLACacheDir(plugin string) string {
	root := e.xlaCacheRoot()
	if root == "" {
		return ""
	}
	id := plugin
	if st, err := os.Stat(plugin); err == nil {
		id = fmt.Sprintf("%s|%d|%d", plugin, st.Size(), st.ModTime().UnixNano())
	}
	sum := sha256.Sum256([]byte(id))
	return filepath.Join(root, fmt.Sprintf("%x", sum[:6]))
}

// setXLACacheEnv adds the cache flags for a CUDA plugin to m's XLA_FLAGS
// (the user's flags kept, and winning).
func (e env) setXLACacheEnv(m map[string]string, plugin string) {
	dir := e.XLACacheDir(plugin)
	if dir == "" {
		return
	}
	flags, ok := m["XLA_FLAGS"]
	if !ok {
		flags = e.getenv("XLA_FLAGS")
	}
	flags = mergeXLAFlags(flags, flagAutotuneDir+"="+filepath.Join(dir, "autotune"))
	m["XLA_FLAGS"] = mergeXLAFlags(flags, flagKernelCache+"="+filepath.Join(dir, "kernels.bin"))
}

// prepareXLACache creates the folders the cache flags in XLA_FLAGS name
// (user-private: what is cached is code XLA runs). A folder that cannot be
// made is reported and its flag dropped, so that XLA compiles as if no
// cache was asked for.
func prepareXLACache(env map[string]string) error {
	flags := strings.Fields(env["XLA_FLAGS"])
	var kept []string
	var errs []string
	for _, f := range flags {
		key, val, _ := strings.Cut(f, "=")
		dir := ""
		switch key {
		case flagAutotuneDir:
			dir = val
		case flagKernelCache:
			dir = filepath.Dir(val)
		}
		if dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				errs = append(errs, fmt.Sprintf("%s: %v", key, err))
				continue
			}
		}
		kept = append(kept, f)
	}
	if len(errs) == 0 {
		return nil
	}
	env["XLA_FLAGS"] = strings.Join(kept, " ")
	return fmt.Errorf("XLA's compilation cache is off (set %s to a writable folder): %s", EnvXLACache, strings.Join(errs, "; "))
}
