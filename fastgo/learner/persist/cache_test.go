package persist

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/internal/testutil"
	"github.com/fastgo-ml/fastgo/internal/testutil/tinylearn"
)

// One Run All of the chapter left 965 MB of saved learners that nothing
// mentioned (#20.3). Each save now says where and how much; the cache is
// kept under FASTGO_CACHE_MAX by removing the oldest; ClearCache empties it.
func TestCacheIsVisibleAndBounded(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvCacheDir, dir)
	var out bytes.Buffer
	train := func(key string) {
		t.Helper()
		l := tinylearn.New(t, As(key), learner.Output(&out))
		l.Quiet = false
		if err := l.Fit(1, 1e-3); err != nil {
			t.Fatal(err)
		}
	}
	train("a")
	if !strings.Contains(out.String(), fmt.Sprintf("Saved learner %q", "a")) || !strings.Contains(out.String(), dir) ||
		!strings.Contains(out.String(), "the cache holds 1 learner,") || !strings.Contains(out.String(), "persist.ClearCache()") {
		t.Fatalf("the save does not say where and how much: %q", out.String())
	}
	one := CacheStats().Bytes
	t.Setenv(EnvCacheMax, fmt.Sprint(2*one+one/2)) // room for two
	train("b")
	out.Reset()
	train("c")
	if !strings.Contains(out.String(), "Removed the oldest saved learner a") || !strings.Contains(out.String(), EnvCacheMax) {
		t.Errorf("a third learner over the bound: %q, want the oldest removed and said", out.String())
	}
	if st := CacheStats(); st.Learners != 2 || st.Bytes > 2*one+one/2 {
		t.Errorf("cache %+v, want 2 learners within the bound", st)
	}
	if _, err := learner.New(tinylearn.Data(), tinylearn.Model(), learner.WithBackend(testutil.Backend()), Resume("a")); err == nil || !strings.Contains(err.Error(), "nothing was saved") {
		t.Errorf("Resume of the removed learner: %v", err)
	}
	if err := os.WriteFile(dir+"/.c.learner.tmp123", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	freed, err := ClearCache()
	if err != nil || freed.Learners != 2 {
		t.Errorf("ClearCache = %+v, %v; want 2 learners freed", freed, err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("after ClearCache the cache holds %v", left)
	}
}

func TestCacheLimit(t *testing.T) {
	for v, want := range map[string]int64{"": defaultCacheMax, "500M": 500 << 20, "1.5G": 3 << 29, "2gb": 2 << 30, "0": 0, "1000": 1000, "lots": defaultCacheMax, "-1G": defaultCacheMax} {
		t.Setenv(EnvCacheMax, v)
		if got := cacheLimit(); got != want {
			t.Errorf("%s=%q: %d, want %d", EnvCacheMax, v, got, want)
		}
	}
}

// P6 (trial 1): in a notebook, Auto saved each fit under a name made up
// for it ("resnet18-dcf8b316") and never said how to get it back. Its
// save line names the Resume that restores it, and that Resume works.
func TestAutoSaveSaysHowToResume(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	t.Setenv("FASTGO_DISPLAY", "notebook")
	var out bytes.Buffer
	l := tinylearn.New(t, Auto(), learner.Output(&out))
	l.Quiet = false
	if err := l.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	name := (&keeper{}).name(l)
	want := fmt.Sprintf("persist.Resume(%q)", name)
	if !strings.Contains(out.String(), want) {
		t.Fatalf("the save line %q does not say %s", out.String(), want)
	}
	var restored bytes.Buffer
	tinylearn.New(t, Resume(name), learner.Output(&restored))
	if !strings.Contains(restored.String(), fmt.Sprintf("Restored learner %q", name)) {
		t.Errorf("Resume of the named save: %q", restored.String())
	}
}
