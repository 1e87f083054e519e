package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// writeExec writes an executable script.
func writeExec(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// fakeGpucheck plays cmd/gpucheck: one result line per -parts, into -json;
// the real460 part hangs, to be stopped at its limit.
const fakeGpucheck = `#!/bin/sh
parts=""; json=""; label=""
while [ $# -gt 0 ]; do
	case $1 in -parts) parts=$2; shift;; -json) json=$2; shift;; -label) label=$2; shift;; esac
	shift
done
[ "$parts" = real460 ] && sleep 60
case $parts in
compile) line="{\"part\":\"compile\",\"dtype\":\"float32\",\"bs\":64,\"variant\":\"$label\",\"build_s\":0.5,\"compile_s\":2.5,\"seconds\":3}" ;;
*) line="{\"part\":\"$parts\",\"dtype\":\"float32\",\"bs\":64,\"variant\":\"overlap-on(prefetch 2, sync every 8)\",\"img_per_s\":100,\"step_ms\":640}" ;;
esac
echo "$line" > "$json"
echo "I1206 compute/xla Compiled in 1.5s" >&2
`

// TestDeviceScriptRunsPartsUnderBudget: every part runs in its own
// process under its limit (a hanging one is stopped there), the results
// are collected as they come, optional parts are skipped when the budget
// has no room for them, and the summary is written.
func TestDeviceScriptRunsPartsUnderBudget(t *testing.T) {
	for _, tool := range []string{"xz", "timeout", "/usr/bin/python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s", tool)
		}
	}
	bundle := t.TempDir()
	for _, name := range []string{"gpucheck", "gpucheck-patched"} {
		writeExec(t, filepath.Join(bundle, "bin", name), fakeGpucheck)
		if out, err := exec.Command("xz", filepath.Join(bundle, "bin", name)).CombinedOutput(); err != nil {
			t.Fatalf("xz: %v %s", err, out)
		}
	}
	if err := os.MkdirAll(filepath.Join(bundle, "pets", "images"), 0o755); err != nil {
		t.Fatal(err)
	}
	torch := filepath.Join(t.TempDir(), "torch.py")
	writeExec(t, torch, `import json
print(json.dumps({"part": "step", "dtype": "float32", "bs": 64, "variant": "eager", "img_per_s": 125.0, "step_ms": 512.0}))
print(json.dumps({"part": "finetune", "dtype": "float32", "seconds": 15.0}))
`)
	site := fakeSite(t)
	outDir := t.TempDir()
	bin := t.TempDir()
	writeExec(t, filepath.Join(bin, "nvidia-smi"), "#!/bin/sh\necho 'GPU 0: NVIDIA H100 (UUID: GPU-fake)'\n")
	cmd := exec.Command("bash", filepath.Join(repoRoot(), "scripts", "gpu-device-run.sh"), bundle)
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "OUT=" + outDir, "GPU_PROC_DIR=" + t.TempDir(), "HOME=" + t.TempDir(),
		"SITE_PACKAGES=" + site, "PY=/usr/bin/python3", "TORCH_SCRIPT=" + torch,
		"GPU_RUN_BUDGET=20", "GPU_RUN_LIMIT_PCT=10"}
	start := time.Now()
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if took := time.Since(start); took > 40*time.Second {
		t.Errorf("the run took %v with a 20 s budget", took)
	}
	progress, _ := os.ReadFile(filepath.Join(outDir, "progress.txt"))
	for _, want := range []string{
		"compile-cold: exit 0", "compile-warm: exit 0", "step64: exit 0", "torch: exit 0",
		"real460: stopped at its 5 s limit", "patched-async: exit 0", "patched-exec-warm: exit 0",
		"compiled skipped",
	} {
		if !strings.Contains(string(progress), want) {
			t.Errorf("progress.txt lacks %q:\n%s\n%s", want, progress, b)
		}
	}
	results, _ := os.ReadFile(filepath.Join(outDir, "results.jsonl"))
	for _, want := range []string{`"run_part": "compile-cold"`, `"run_part": "patched-exec-cold"`, `"run_part": "torch"`, `"variant": "warm"`} {
		if !strings.Contains(string(results), want) {
			t.Errorf("results.jsonl lacks %s:\n%s", want, results)
		}
	}
	summary, _ := os.ReadFile(filepath.Join(outDir, "summary.md"))
	for _, want := range []string{"0.80x", "met: a warm process starts training within 3 s of its graph being built (2.50 s)", "compile-cold: Compiled in 1.5s"} {
		if !strings.Contains(string(summary), want) {
			t.Errorf("summary.md lacks %q:\n%s", want, summary)
		}
	}
	if _, err := os.Stat(filepath.Join(outDir, "gpu-results.tgz")); err != nil {
		t.Errorf("no gpu-results.tgz: %v", err)
	}
}

// TestSummaryFitsAndRatios: the summary's arithmetic on known figures.
func TestSummaryFitsAndRatios(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	dir := t.TempDir()
	var lines []string
	add := func(run string, r map[string]any) {
		r["run_part"] = run
		b, _ := json.Marshal(r)
		lines = append(lines, string(b))
	}
	on := "overlap-on(prefetch 2, sync every 8)"
	for _, bs := range []int{32, 64, 128} {
		ms := 5 + 0.2*float64(bs) // a = 5 ms, b = 0.2 ms per image
		add("step", map[string]any{"part": "step", "dtype": "float32", "bs": bs, "variant": on, "step_ms": ms, "img_per_s": float64(bs) / ms * 1000})
		tms := 2 + 0.3*float64(bs)
		add("torch", map[string]any{"part": "step", "dtype": "float32", "bs": bs, "variant": "eager", "step_ms": tms, "img_per_s": float64(bs) / tms * 1000})
	}
	add("step64", map[string]any{"part": "step", "dtype": "float32", "bs": 64, "variant": "overlap-off", "step_ms": 25.0, "img_per_s": 2560.0})
	add("patched-async", map[string]any{"part": "step", "dtype": "float32", "bs": 64, "variant": on, "step_ms": 16.0, "img_per_s": 4000.0})
	add("compile-cold", map[string]any{"part": "compile", "variant": "cold", "build_s": 0.9, "compile_s": 20.0, "seconds": 21.0})
	add("compile-warm", map[string]any{"part": "compile", "variant": "warm", "build_s": 0.9, "compile_s": 4.0, "seconds": 5.0})
	add("finetune", map[string]any{"part": "finetune", "variant": "warm", "seconds": 12.0})
	add("torch", map[string]any{"part": "finetune", "seconds": 15.0})
	if err := os.WriteFile(filepath.Join(dir, "results.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// nvidia-smi's table, as the device script saves it.
	smi := "|   0  NVIDIA H100 80GB HBM3          On  |   00000000:19:00.0 Off |                    0 |\n"
	if err := os.WriteFile(filepath.Join(dir, "nvidia-smi.txt"), []byte(smi), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("/usr/bin/python3", filepath.Join(repoRoot(), "scripts", "gpu_summary.py"), dir).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	for _, want := range []string{
		"| fastgo overlap on | float32 | 5.00 | 0.200 | 3 |", // the fit recovers a and b
		"| PyTorch eager | float32 | 2.00 | 0.300 | 3 |",
		"| step bs 64 | float32 | 2560.0 img/s | 3595.5 img/s | 1.40x | 4000.0 img/s | 1.11x |", // overlap and NoWait gains
		"met: resnet34 step float32 bs 64 ≥ 1.0× PyTorch eager (1.19x)",                         // (2+19.2)/(5+12.8)
		"NOT met: a warm process starts training within 3 s of its graph being built (4.00 s)",
		"met: FineTune(1) end to end ≥ 1.0× PyTorch (1.25x)",
	} {
		if !strings.Contains(string(md), want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
	tsv, _ := os.ReadFile(filepath.Join(dir, "gpu.tsv"))
	if rows := strings.Count(string(tsv), "\n"); rows < 6 || !strings.HasPrefix(string(tsv), "date\tarch\tpart") {
		t.Errorf("gpu.tsv:\n%s", tsv)
	}
	// Each line names the card both sides ran on (nvidia-smi's).
	for _, line := range strings.Split(strings.TrimSpace(string(tsv)), "\n")[1:] {
		if !strings.HasSuffix(line, "\tNVIDIA H100 80GB HBM3") {
			t.Errorf("gpu.tsv line %q does not end with the card, NVIDIA H100 80GB HBM3", line)
		}
	}
}
