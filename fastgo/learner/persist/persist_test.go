package persist

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/internal/testutil"
	"github.com/fastgo-ml/fastgo/internal/testutil/tinylearn"
)

func TestPersistAcrossLearners(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	var out bytes.Buffer
	if _, err := learner.New(tinylearn.Data(), tinylearn.Model(), learner.WithBackend(testutil.Backend()), Resume("pets")); err == nil ||
		!strings.Contains(err.Error(), `persist.Resume("pets"): nothing was saved`) || !strings.Contains(err.Error(), `persist.As("pets")`) {
		t.Errorf("Resume before anything was saved: err = %v, want one naming the key and what to run", err)
	}
	l := tinylearn.New(t, As("pets"), learner.Output(&out))
	if err := l.Fit(1, 1e-2); err != nil {
		t.Fatal(err)
	}
	want := tinylearn.Weights(t, l)
	// A later cell asks for the trained state by name.
	l2 := tinylearn.New(t, Resume("pets"), learner.Output(&out))
	if !strings.Contains(out.String(), `Restored learner "pets"`) {
		t.Errorf("no restore message, output %q", out.String())
	}
	got := tinylearn.Weights(t, l2)
	for p, v := range want {
		if !slices.Equal(v, got[p]) {
			t.Errorf("%s not restored", p)
		}
	}
	if len(l2.Recorder.Rows) != 1 {
		t.Errorf("recorder not restored: %d rows", len(l2.Recorder.Rows))
	}
	// Re-running the cell that creates the learner starts over, as in
	// Python: As saves, it never restores.
	out.Reset()
	again := tinylearn.New(t, As("pets"), learner.Output(&out))
	if out.Len() != 0 || len(again.Recorder.Rows) != 0 {
		t.Errorf("a learner made again with As restored something: %q, %d rows", out.String(), len(again.Recorder.Rows))
	}
	if err := again.Fit(1, 1e-2); err != nil {
		t.Fatal(err)
	}
	if again.Recorder.Rows[0].Epoch != 0 {
		t.Errorf("the re-run fit starts at epoch %d, want epoch 0 of a fresh learner", again.Recorder.Rows[0].Epoch)
	}
	// Unfreezing in a cell of its own (the book's learn.unfreeze()) is
	// what the next cell resumes.
	if err := again.Freeze(); err != nil {
		t.Fatal(err)
	}
	if r := tinylearn.New(t, Resume("pets"), learner.Output(&out)); r.FrozenTo() != again.FrozenTo() || r.FrozenTo() == 0 {
		t.Errorf("resumed frozen to %d, want %d as the freezing cell left it", r.FrozenTo(), again.FrozenTo())
	}
	if err := l2.Reset(); err != nil {
		t.Fatal(err)
	}
	if _, err := learner.New(tinylearn.Data(), tinylearn.Model(), learner.WithBackend(testutil.Backend()), Resume("pets")); err == nil {
		t.Error("after Reset, Resume still finds a saved state")
	}
	// In a notebook Auto's key is the model name and vocabulary.
	t.Setenv("FASTGO_DISPLAY", "notebook")
	l4 := tinylearn.New(t)
	if k := (&keeper{}).name(l4); !strings.HasPrefix(k, "tiny-") {
		t.Errorf("notebook key %q, want tiny-<vocab hash>", k)
	}
	// Not in a notebook and no key: nothing is written.
	t.Setenv("FASTGO_DISPLAY", "terminal")
	if p := (&keeper{}).path(l4); p != "" {
		t.Errorf("outside a notebook Auto keeps %s, want nothing", p)
	}
}

// Temporaries of a killed save are removed by the next save, and a
// restore says the last save was cut short.
func TestStaleTempsAreCleaned(t *testing.T) {
	t.Setenv(EnvCacheDir, t.TempDir())
	var out bytes.Buffer
	l := tinylearn.New(t, As("stale"), learner.Output(&out))
	if err := l.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	p := (&keeper{key: "stale"}).path(l)
	stale := filepath.Join(filepath.Dir(p), "."+filepath.Base(p)+".tmp123")
	if err := os.WriteFile(stale, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Minute) // a save killed a while ago
	os.Chtimes(stale, old, old)
	if got := learner.StaleSaves(p); len(got) != 1 || got[0] != stale {
		t.Fatalf("StaleSaves(%s) = %v, want the temporary %s", p, got, stale)
	}
	var out2 bytes.Buffer
	tinylearn.New(t, Resume("stale"), learner.Output(&out2))
	if !strings.Contains(out2.String(), "was cut short") {
		t.Errorf("restore said %q, want a note on the cut-short save", out2.String())
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("the restore left the stale temporary")
	}
	os.WriteFile(stale, []byte("half"), 0o644)
	os.Chtimes(stale, old, old)
	if err := l.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("the next save left the stale temporary")
	}
}
