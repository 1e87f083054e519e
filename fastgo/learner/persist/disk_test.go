package persist

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/internal/testutil"
	"github.com/fastgo-ml/fastgo/internal/testutil/tinylearn"
)

// fillCallback fills the cache's disk after the first epoch: the state
// then cannot be saved at the end of the fit.
type fillCallback struct{ dir string }

func (c fillCallback) AfterEpoch(*learner.FitState) error {
	f, err := os.Create(filepath.Join(c.dir, "filler"))
	if err != nil {
		return err
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			return nil // full
		}
	}
}

// A cache that cannot keep the state is found before the fit trains — a
// read-only folder, or a disk with less room than the state — and a disk
// that fills during the fit is said as such after it; every message names
// FASTGO_CACHE_DIR and none says "call Reset" (before: the state failed to
// save only after training, with that advice). Needs root to mount small
// tmpfs disks (CI is root); skipped with the reason otherwise.
func TestFullOrReadOnlyCache(t *testing.T) {
	for name, dir := range map[string]string{
		"read-only": testutil.Tmpfs(t, 1<<20, true),
		"too small": testutil.Tmpfs(t, 24<<10, false),
	} {
		t.Setenv(EnvCacheDir, dir)
		l := tinylearn.New(t, As("pets"), learner.Output(&bytes.Buffer{}))
		err := l.Fit(1, 1e-2)
		want := map[string][]string{"read-only": {"read-only", EnvCacheDir, "persist.Off()"}, "too small": {"free", EnvCacheDir, "persist.Off()"}}[name]
		for _, w := range want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s cache: fit returned %v\nwant it to say %q", name, err, w)
			}
		}
		if n := len(l.Recorder.Losses); n != 0 {
			t.Errorf("%s cache: the fit trained %d batches before saying so", name, n)
		}
	}
	dir := testutil.Tmpfs(t, 256<<10, false)
	t.Setenv(EnvCacheDir, dir)
	l := tinylearn.New(t, As("pets"), learner.Output(&bytes.Buffer{}))
	err := l.Fit(1, 1e-2, learner.WithCallbacks(fillCallback{dir}))
	for _, w := range []string{"is full", EnvCacheDir, "still in memory", "learn.Export"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("disk filled during the fit: %v\nwant it to say %q", err, w)
		}
	}
	if err != nil && strings.Contains(err.Error(), "call Reset") {
		t.Errorf("advice that does not fit a full disk: %v", err)
	}
}

// Two notebooks (a copy of 05_pet_breeds.ipynb) that keep learners under
// one name: the one that replaces the other's says so, and resuming a
// learner another notebook saved says which saved it (before: notebook A's
// Resume("first") restored the copy's model without a word).
func TestResumeSaysWhichNotebookSavedIt(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	t.Setenv("JPY_SESSION_NAME", "05_pet_breeds.ipynb")
	var a bytes.Buffer
	la := tinylearn.New(t, As("first"), learner.Output(&a))
	if err := la.Fit(1, 1e-2); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(a.String(), "replaces") {
		t.Errorf("the first save says it replaces something: %q", a.String())
	}
	t.Setenv("JPY_SESSION_NAME", "05_pet_breeds-Copy1.ipynb")
	var b bytes.Buffer
	lb := tinylearn.New(t, As("first"), learner.Output(&b))
	if err := lb.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `replaces learner "first" that notebook 05_pet_breeds.ipynb saved`) {
		t.Errorf("the copy's save said %q, want a note that it replaces the other notebook's learner", b.String())
	}
	t.Setenv("JPY_SESSION_NAME", "05_pet_breeds.ipynb")
	var r bytes.Buffer
	tinylearn.New(t, Resume("first"), learner.Output(&r))
	if !strings.Contains(r.String(), "notebook 05_pet_breeds-Copy1.ipynb saved this learner, not this notebook 05_pet_breeds.ipynb") {
		t.Errorf("resuming the copy's learner said %q, want which notebook saved it", r.String())
	}
	// Its own learner: no note.
	var own bytes.Buffer
	lo := tinylearn.New(t, As("mine"), learner.Output(&own))
	if err := lo.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	own.Reset()
	tinylearn.New(t, Resume("mine"), learner.Output(&own))
	if strings.Contains(own.String(), "Note:") {
		t.Errorf("resuming its own learner: %q", own.String())
	}
}
