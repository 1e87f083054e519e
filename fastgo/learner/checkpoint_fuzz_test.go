package learner

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// seedCheckpoint writes a small checkpoint without running a graph.
func seedCheckpoint(t testing.TB, l *Learner) []byte {
	t.Helper()
	for p, dims := range map[string][]int{"/head/weight": {4, 16}, "/head/bias": {4}, optScope + "/head/bias/step": {}} {
		if _, err := l.store.CreateVariable(p, tensors.FromShape(shapeF32(dims...))); err != nil {
			t.Fatal(err)
		}
	}
	l.Recorder.addBatch(1.5, 1e-3, 0.9)
	seed := filepath.Join(t.TempDir(), "seed.learner")
	if err := l.Save(seed); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(seed)
	if err != nil {
		t.Fatal(err)
	}
	return good
}

// A deterministic stand-in for the fuzzer in ordinary test runs: damaged
// copies of a checkpoint (bytes changed, truncated, lengths set huge) give
// errors, not panics.
func TestLoadDamagedCheckpoints(t *testing.T) {
	l := newTiny(t)
	good := seedCheckpoint(t, l)
	rng := rand.New(rand.NewPCG(1, 3))
	p := filepath.Join(t.TempDir(), "x.learner")
	for range 200 {
		data := append([]byte(nil), good...)
		switch rng.IntN(3) {
		case 0:
			for range 1 + rng.IntN(4) {
				data[rng.IntN(len(data))] = byte(rng.IntN(256))
			}
		case 1:
			data = data[:rng.IntN(len(data))]
		case 2:
			k := rng.IntN(len(data) - 8)
			copy(data[k:], []byte{0xf8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_ = l.Load(p)
	}
}

// Load must report, never panic on, damaged or foreign files. (The seed
// checkpoint is written without running a graph, to keep workers light.)
func FuzzLoadCheckpoint(f *testing.F) {
	l := newTiny(f)
	good := seedCheckpoint(f, l)
	f.Add(good)
	f.Add(good[:len(good)/3])
	f.Add([]byte("not a checkpoint"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "x.learner")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_ = l.Load(p) // an error is fine; a panic is not
	})
}
