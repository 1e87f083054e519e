package simdlevel

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestLevelFollowsTheSwitches runs this test binary again with each switch
// and checks Level's answer changes as the backend's kernels do: AVX-512 off
// (by GODEBUG or GOMLX_GO_SIMD_AVX512) leaves AVX2, and both off leave None.
func TestLevelFollowsTheSwitches(t *testing.T) {
	if os.Getenv("SIMDLEVEL_PRINT") != "" {
		os.Stdout.WriteString("level=" + Level() + "\n")
		return
	}
	base := run(t)
	if base == None {
		t.Skip("no x86 vector kernels in this build or on this processor")
	}
	if base == AVX512 {
		for _, env := range []string{"GODEBUG=cpu.avx512f=off", "GOMLX_GO_SIMD_AVX512=false"} {
			if got := run(t, env); got != AVX2 {
				t.Errorf("with %s: Level() = %s, want %s", env, got, AVX2)
			}
		}
	}
	if got := run(t, "GOMLX_GO_SIMD_AVX512=false", "GOMLX_GO_SIMD_AVX2=0"); got != None {
		t.Errorf("with both levels off: Level() = %s, want %s", got, None)
	}
}

func run(t *testing.T, env ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLevelFollowsTheSwitches$")
	cmd.Env = append(append(os.Environ(), "SIMDLEVEL_PRINT=1"), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v", env, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "level="); ok {
			return v
		}
	}
	t.Fatalf("%v: no level in %q", env, out)
	return ""
}
