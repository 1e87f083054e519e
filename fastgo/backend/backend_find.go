package backend

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// This file finds what a GoMLX backend can run on: PJRT plugin files and
// NVIDIA GPUs. It only looks at files and variables (no cgo, no XLA), so it
// works in every build and `go run ./kernel doctor` can report it.

// Plugin is a PJRT plugin file found on this machine.
type Plugin struct {
	// Name is the plugin's name as go-xla derives it from the file name
	// (`pjrt_c_api_<name>_plugin.so`): "cuda", "cpu", ... For a plugin from
	// a JAX Python package it is "cuda".
	Name string
	// Path is the plugin's absolute path; fastgo always loads plugins by path
	// (`xla:/abs/path.so`) so that nothing depends on search-path order.
	Path string
	// Source says where it was found: "PJRT_PLUGIN_LIBRARY_PATH",
	// "go-xla folder", "LD_LIBRARY_PATH" or "jax python package".
	Source string
	// NvidiaDir is, for CUDA plugins, the `nvidia/` folder with CUDA's
	// libraries that sits beside the plugin (or above it, as in a Python
	// site-packages folder); "" when there is none.
	NvidiaDir string
}

// IsCUDA reports whether the plugin targets NVIDIA GPUs (go-xla's own test:
// the name says CUDA or NVIDIA).
func (p Plugin) IsCUDA() bool {
	s := strings.ToUpper(p.Name + " " + filepath.Base(p.Path))
	return strings.Contains(s, "CUDA") || strings.Contains(s, "NVIDIA")
}

// IsCPU reports whether the plugin is XLA's CPU plugin.
func (p Plugin) IsCPU() bool {
	return p.Name == "cpu" || strings.HasPrefix(p.Name, "cpu_v")
}

// GPU is an NVIDIA GPU seen by the driver.
type GPU struct {
	// Name is the model, e.g. "NVIDIA H200".
	Name string
	// MemoryMiB is the total memory when known (nvidia-smi), else 0.
	MemoryMiB int
}

// FindPlugins lists the PJRT plugins fastgo can use, best first within each
// source: the folders of PJRT_PLUGIN_LIBRARY_PATH when it is set, otherwise
// go-xla v0.4.5's standard folders (~/.local/lib/go-xla, /usr/local/lib/go-xla,
// their nvidia/ subfolders, the older gomlx/pjrt folders and LD_LIBRARY_PATH;
// go-xla also reads /etc/ld.so.conf, which fastgo does not),
// and, always, the CUDA plugin of the jax-cuda12-pjrt / jax-cuda13-pjrt Python
// packages (site-packages/jax_plugins/xla_cuda*/xla_cuda_plugin.so).
func FindPlugins() []Plugin { return hostEnv().findPlugins() }

// FindGPUs lists the NVIDIA GPUs the driver reports, from
// /proc/driver/nvidia/gpus or, when that is absent, nvidia-smi.
func FindGPUs() []GPU { return hostEnv().findGPUs() }

// env is everything the backend choice reads from the machine, so tests can
// fake it.
type env struct {
	lookup    func(string) (string, bool)
	home      string
	root      string // prefix for absolute system paths ("" on the host)
	nvidiaSMI func() (string, error)
	compiled  []string // backends compiled into this binary (compute.List())
}

func (e env) getenv(k string) string { v, _ := e.lookup(k); return v }

// sys maps a system path to the (possibly faked) root.
func (e env) sys(p string) string {
	if e.root == "" {
		return p
	}
	return filepath.Join(e.root, p)
}

var rePluginFile = []*regexp.Regexp{
	regexp.MustCompile(`^pjrt_c_api_(.+)_plugin\.so$`),
	regexp.MustCompile(`^pjrt[-_]plugin[-_](.+)\.so$`),
}

// pluginName is go-xla's name for a plugin file, or "" when the file name is
// not a plugin's.
func pluginName(file string) string {
	for _, re := range rePluginFile {
		if m := re.FindStringSubmatch(file); m != nil {
			return m[1]
		}
	}
	return ""
}

func (e env) pluginDirs() (dirs, sources []string) {
	add := func(d, source string) {
		if d != "" && filepath.IsAbs(d) && !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
			sources = append(sources, source)
		}
	}
	if v, ok := e.lookup("PJRT_PLUGIN_LIBRARY_PATH"); ok {
		// Like go-xla: when set, it replaces the standard folders.
		for d := range strings.SplitSeq(v, ":") {
			add(d, "PJRT_PLUGIN_LIBRARY_PATH")
		}
		return dirs, sources
	}
	if e.home != "" {
		goxla := filepath.Join(e.home, ".local", "lib", "go-xla")
		add(goxla, "go-xla folder")
		add(filepath.Join(goxla, "nvidia"), "go-xla folder")
		add(filepath.Join(e.home, ".local", "lib", "gomlx", "pjrt"), "go-xla folder")
	}
	for _, d := range []string{"/usr/local/lib/go-xla", "/usr/local/lib/go-xla/nvidia", "/usr/local/lib/gomlx/pjrt"} {
		add(e.sys(d), "go-xla folder")
	}
	for d := range strings.SplitSeq(e.getenv("LD_LIBRARY_PATH"), ":") {
		add(d, "LD_LIBRARY_PATH")
	}
	return dirs, sources
}

// sitePackages lists Python package folders where a jax-cuda*-pjrt wheel may
// be installed: the active virtual environment, PYTHONPATH, the user's and
// the system's folders, pyenv versions and /opt/venv (the Docker image's).
func (e env) sitePackages() []string {
	var globs []string
	if v := e.getenv("VIRTUAL_ENV"); v != "" {
		globs = append(globs, filepath.Join(v, "lib", "python3*", "site-packages"))
	}
	for p := range strings.SplitSeq(e.getenv("PYTHONPATH"), ":") {
		if filepath.IsAbs(p) {
			globs = append(globs, p)
		}
	}
	if e.home != "" {
		globs = append(globs,
			filepath.Join(e.home, ".local", "lib", "python3*", "site-packages"),
			filepath.Join(e.home, ".pyenv", "versions", "*", "lib", "python3*", "site-packages"))
	}
	for _, g := range []string{
		"/opt/venv/lib/python3*/site-packages",
		"/usr/local/lib/python3*/dist-packages",
		"/usr/local/lib/python3*/site-packages",
		"/usr/lib/python3/dist-packages",
		"/usr/lib/python3*/site-packages",
	} {
		globs = append(globs, e.sys(g))
	}
	var out []string
	for _, g := range globs {
		matches, _ := filepath.Glob(g)
		for _, m := range matches {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

func (e env) findPlugins() []Plugin {
	var found []Plugin
	seen := map[string]bool{}
	add := func(p Plugin) {
		if abs, err := filepath.EvalSymlinks(p.Path); err == nil && !seen[abs] {
			seen[abs] = true
			if p.IsCUDA() {
				p.NvidiaDir = nvidiaDirFor(p.Path)
			}
			found = append(found, p)
		}
	}
	dirs, sources := e.pluginDirs()
	for i, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, entry := range entries { // ReadDir sorts by name.
			if name := pluginName(entry.Name()); name != "" && !entry.IsDir() {
				add(Plugin{Name: name, Path: filepath.Join(d, entry.Name()), Source: sources[i]})
			}
		}
	}
	for _, sp := range e.sitePackages() {
		matches, _ := filepath.Glob(filepath.Join(sp, "jax_plugins", "xla_cuda*", "xla_cuda_plugin.so"))
		slices.Sort(matches)
		slices.Reverse(matches) // xla_cuda13 before xla_cuda12.
		for _, m := range matches {
			add(Plugin{Name: "cuda", Path: m, Source: "jax python package"})
		}
	}
	return found
}

// nvidiaDirFor finds the nvidia/ folder (CUDA's libraries from the nvidia-*
// Python wheels, or go-xla's installer) that a CUDA plugin needs: beside the
// plugin, or one or two folders up (site-packages/nvidia for
// site-packages/jax_plugins/xla_cuda12/xla_cuda_plugin.so).
func nvidiaDirFor(plugin string) string {
	dir := filepath.Dir(plugin)
	for range 3 {
		cand := filepath.Join(dir, "nvidia")
		if fi, err := os.Stat(cand); err == nil && fi.IsDir() && cand != plugin {
			return cand
		}
		dir = filepath.Dir(dir)
	}
	return ""
}

// cudaDataDir is the folder XLA's --xla_gpu_cuda_data_dir should name for
// the CUDA libraries in nvidiaDir: the one holding bin/ptxas (and
// nvvm/libdevice), which XLA needs to compile kernels — nvidia/cuda_nvcc
// for the CUDA 12 wheels, nvidia/cu13 for the CUDA 13 ones — else the
// first of toolkits (system CUDA folders) with a bin/ptxas, else nvidiaDir
// itself. The lent H200's image has CUDA 13 wheels without ptxas and the
// toolkit in /usr/local/cuda.
func cudaDataDir(nvidiaDir string, toolkits ...string) string {
	for _, pattern := range []string{"bin/ptxas", "*/bin/ptxas", "*/*/bin/ptxas"} {
		matches, _ := filepath.Glob(filepath.Join(nvidiaDir, pattern))
		slices.Sort(matches)
		slices.Reverse(matches) // cu13 before cuda_nvcc, a newer CUDA first
		for _, m := range matches {
			if isFile(m) {
				return filepath.Dir(filepath.Dir(m))
			}
		}
	}
	for _, dir := range toolkits {
		if isFile(filepath.Join(dir, "bin", "ptxas")) {
			return dir
		}
	}
	return nvidiaDir
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

func (e env) findGPUs() []GPU {
	var gpus []GPU
	infos, _ := filepath.Glob(e.sys("/proc/driver/nvidia/gpus/*/information"))
	slices.Sort(infos)
	for _, info := range infos {
		f, err := os.Open(info)
		if err != nil {
			continue
		}
		gpu := GPU{Name: "NVIDIA GPU"}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "Model" {
				gpu.Name = strings.TrimSpace(v)
			}
		}
		_ = f.Close()
		gpus = append(gpus, gpu)
	}
	// nvidia-smi knows the memory; it also covers containers without /proc/driver/nvidia.
	if e.nvidiaSMI == nil {
		return gpus
	}
	out, err := e.nvidiaSMI()
	if err != nil {
		return gpus
	}
	var smi []GPU
	for line := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		name, mem, ok := strings.Cut(line, ",")
		if !ok {
			continue
		}
		mib, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(mem), "MiB")))
		smi = append(smi, GPU{Name: strings.TrimSpace(name), MemoryMiB: mib})
	}
	if len(smi) >= len(gpus) {
		return smi
	}
	return gpus
}

func runNvidiaSMI() (string, error) {
	if _, err := exec.LookPath("nvidia-smi"); err != nil {
		return "", err
	}
	out, err := exec.Command("nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader").Output()
	return string(out), err
}
