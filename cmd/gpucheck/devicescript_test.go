package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeSite builds a site-packages folder as jax-cuda13-pjrt and
// jax-cuda13-plugin[with_cuda] lay it out (empty files).
func fakeSite(t *testing.T) string {
	t.Helper()
	site := filepath.Join(t.TempDir(), "lib", "python3.12", "site-packages")
	for _, f := range []string{
		"jax_plugins/xla_cuda13/xla_cuda_plugin.so",
		"jax_plugins/xla_cuda12/xla_cuda_plugin.so", // an older one too: 13 wins
		"nvidia/cu13/bin/ptxas",
		"nvidia/cu13/nvvm/libdevice/libdevice.10.bc",
		"nvidia/cu13/lib/libcublas.so.13",
		"nvidia/cudnn/lib/libcudnn.so.9",
	} {
		p := filepath.Join(site, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return site
}

// runDeviceScript runs scripts/gpu-device-run.sh with env added; gpu says
// whether the machine seems to have a GPU (a fake nvidia-smi and driver
// folder).
func runDeviceScript(t *testing.T, gpu bool, env ...string) (out string, rc int, outDir string) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	outDir = t.TempDir()
	bin := t.TempDir()
	procDir := filepath.Join(t.TempDir(), "no-such-folder")
	if gpu {
		procDir = t.TempDir()
		smi := "#!/bin/sh\necho 'GPU 0: NVIDIA H200 (UUID: GPU-fake)'\n"
		if err := os.WriteFile(filepath.Join(bin, "nvidia-smi"), []byte(smi), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", filepath.Join(repoRoot(), "scripts", "gpu-device-run.sh"), filepath.Join(t.TempDir(), "no-bundle"))
	// Only the fake nvidia-smi and the basic tools: the test machine's own
	// GPU, if any, must not count.
	cmd.Env = append([]string{"PATH=" + bin + ":/usr/bin:/bin", "OUT=" + outDir, "GPU_PROC_DIR=" + procDir, "HOME=" + t.TempDir()}, env...)
	b, err := cmd.CombinedOutput()
	rc = 0
	if ee, ok := err.(*exec.ExitError); ok {
		rc = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(b), rc, outDir
}

func TestDeviceScriptWithoutGPU(t *testing.T) {
	if _, err := os.Stat("/usr/bin/nvidia-smi"); err == nil {
		t.Skip("this machine has nvidia-smi in /usr/bin: the no-GPU case cannot be faked")
	}
	site := fakeSite(t)
	out, rc, dir := runDeviceScript(t, false, "SITE_PACKAGES=/nonexistent:"+site)
	if rc != 0 || !strings.Contains(out, "no NVIDIA GPU on this machine") {
		t.Fatalf("exit %d, output:\n%s\nwant exit 0 saying there is no GPU", rc, out)
	}
	env, _ := os.ReadFile(filepath.Join(dir, "env.txt"))
	for _, want := range []string{
		"PJRT CUDA plugin: " + filepath.Join(site, "jax_plugins/xla_cuda13/xla_cuda_plugin.so"),
		"XLA_FLAGS=--xla_gpu_cuda_data_dir=" + filepath.Join(site, "nvidia/cu13"),
		"LD_LIBRARY_PATH=" + filepath.Join(site, "nvidia/cu13/lib") + ":" + filepath.Join(site, "nvidia/cudnn/lib"),
	} {
		if !strings.Contains(string(env), want) {
			t.Errorf("env.txt lacks %q:\n%s", want, env)
		}
	}
	if s, _ := os.ReadFile(filepath.Join(dir, "summary.md")); !strings.Contains(string(s), "nothing measured") {
		t.Errorf("summary.md: %q", s)
	}
}

func TestDeviceScriptWithGPU(t *testing.T) {
	site := fakeSite(t)
	// No plugin anywhere: a clear error.
	out, rc, _ := runDeviceScript(t, true, "SITE_PACKAGES="+t.TempDir())
	if rc != 1 || !strings.Contains(out, "a GPU but no PJRT CUDA plugin") || !strings.Contains(out, "jax-cuda13-pjrt") {
		t.Errorf("no plugin: exit %d, output:\n%s", rc, out)
	}
	// Plugin found, dry run: the set-up only.
	out, rc, _ = runDeviceScript(t, true, "SITE_PACKAGES="+site, "GPU_RUN_DRY=1")
	if rc != 0 || !strings.Contains(out, "NVIDIA H200") || !strings.Contains(out, "set-up done") {
		t.Errorf("dry run: exit %d, output:\n%s", rc, out)
	}
	// No bundle: it says how to make one.
	out, rc, _ = runDeviceScript(t, true, "SITE_PACKAGES="+site)
	if rc != 1 || !strings.Contains(out, "run make gpu-bundle here") {
		t.Errorf("no bundle: exit %d, output:\n%s", rc, out)
	}
}
