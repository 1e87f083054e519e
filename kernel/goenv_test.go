package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestGoEnvEverywhere: every place a go command runs uses the same Go
// toolchain and GOEXPERIMENT (a machine starts on Go 1.26.8; fastgo needs
// 1.27): go.mod's toolchain line, the Makefile, scripts/goenv.sh, every
// script that runs go (it sources goenv.sh), .ci/run, the kernelspec, the
// Dockerfile and the README.
func TestGoEnvEverywhere(t *testing.T) {
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(repoFile(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if m := regexp.MustCompile(`(?m)^toolchain (\S+)$`).FindStringSubmatch(read("go.mod")); m == nil || m[1] != goToolchain {
		t.Errorf("go.mod: toolchain line %v, want toolchain %s", m, goToolchain)
	}
	if mk := read("Makefile"); !strings.Contains(mk, "export GOTOOLCHAIN := "+goToolchain+"\n") || !strings.Contains(mk, "export GOEXPERIMENT := simd\n") {
		t.Errorf("Makefile does not export GOTOOLCHAIN := %s and GOEXPERIMENT := simd", goToolchain)
	}
	if env := read("scripts/goenv.sh"); !strings.Contains(env, "export GOTOOLCHAIN="+goToolchain+"\n") || !strings.Contains(env, "export GOEXPERIMENT=simd\n") {
		t.Errorf("scripts/goenv.sh does not export GOTOOLCHAIN=%s and GOEXPERIMENT=simd", goToolchain)
	}
	var scripts []string
	for _, pattern := range []string{"scripts/*.sh", "bench/*/*.sh", ".ci/run"} {
		m, err := filepath.Glob(repoFile(t, pattern))
		if err != nil {
			t.Fatal(err)
		}
		scripts = append(scripts, m...)
	}
	runsGo := regexp.MustCompile(`(?m)^[^#\n]*\bgo (run|build|test|install|list|vet|env|mod)\b|\bmake (test|unit|notebooks)\b`)
	for _, p := range scripts {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if strings.HasSuffix(p, "goenv.sh") || !runsGo.MatchString(s) {
			continue
		}
		if !regexp.MustCompile(`(?m)^\. scripts/goenv\.sh$`).MatchString(s) {
			t.Errorf("%s runs go but does not source scripts/goenv.sh", p)
		}
	}
	spec := makeKernelSpec(specOptions{Gonb: "/b/gonb", BinDir: "/b", Repo: "/r"})
	if spec.Env["GOTOOLCHAIN"] != goToolchain || spec.Env["GOEXPERIMENT"] != "simd" {
		t.Errorf("kernelspec env %v: want GOTOOLCHAIN=%s and GOEXPERIMENT=simd (cells build like the library)", spec.Env, goToolchain)
	}
	if readme := read("README.md"); !strings.Contains(readme, "export GOTOOLCHAIN="+goToolchain) {
		t.Errorf("README does not tell users to export GOTOOLCHAIN=%s", goToolchain)
	}
}
