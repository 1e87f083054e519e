package learner

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo"
)

// predictInput is n synthetic images of the tiny model's input size.
func predictInput(n int) fastgo.ByteTensor {
	x := fastgo.ByteTensor{Shape: []int{n, 8, 8, 3}, Data: make([]uint8, n*8*8*3)}
	for i := range x.Data {
		x.Data[i] = uint8(i * 7)
	}
	return x
}

// Many goroutines predicting with one learner — what a net/http handler
// over learner.LoadExported does — get the answers one goroutine gets,
// with no "concurrent map writes" crash (run with -race). Before the fix,
// 8 goroutines on a fresh learner crashed in getExec in 5-8 runs of 12.
func TestConcurrentPredict(t *testing.T) {
	l := newTiny(t)
	x := predictInput(3)
	f := make([]float32, len(x.Data))
	for i, v := range x.Data {
		f[i] = float32(v) / 255
	}
	seq := newTiny(t)
	wantBytes, err := seq.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	wantFloat, err := seq.PredictFloat(f, x.Shape)
	if err != nil {
		t.Fatal(err)
	}
	const goroutines = 16
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*4)
	for g := range goroutines {
		wg.Go(func() {
			for range 4 {
				got, want, err := []Prediction(nil), wantBytes, error(nil)
				if g%2 == 0 {
					got, err = l.Predict(x)
				} else {
					got, err = l.PredictFloat(f, x.Shape)
					want = wantFloat
				}
				if err != nil {
					errs <- err
					return
				}
				for i := range got {
					if got[i].Index != want[i].Index || !slices.Equal(got[i].Probs, want[i].Probs) {
						errs <- errors.New("a concurrent prediction differs from a sequential one")
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// While one goroutine fits, others predict, save, read the frozen state
// and take validation predictions: nothing crashes or races, a second fit
// is refused with ErrBusy (a Learner trains one fit at a time), and every
// saved file loads.
func TestConcurrentUseDuringFit(t *testing.T) {
	l := newTiny(t)
	x := predictInput(2)
	dir := t.TempDir()
	started := make(chan struct{})
	fitDone := make(chan error, 1)
	var once sync.Once
	cb := &funcCallback{afterBatch: func(*FitState) error { once.Do(func() { close(started) }); return nil }}
	go func() { fitDone <- l.Fit(3, 1e-2, WithCallbacks(cb)) }()
	<-started
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 6 {
		wg.Go(func() {
			for i := range 3 {
				var err error
				switch g % 3 {
				case 0:
					_, err = l.Predict(x)
				case 1:
					_, err = l.GetPreds(nil)
				case 2:
					err = l.Save(filepath.Join(dir, "s.learner"))
					_ = l.FrozenTo()
				}
				if err != nil {
					errs <- err
				}
				_ = i
			}
		})
	}
	busy := l.Fit(1, 1e-3)
	wg.Wait()
	if err := <-fitDone; err != nil {
		t.Fatalf("the fit failed: %v", err)
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if !errors.Is(busy, ErrBusy) {
		t.Errorf("a second fit while one runs: %v, want ErrBusy", busy)
	}
	if err := newTiny(t).Load(filepath.Join(dir, "s.learner")); err != nil {
		t.Errorf("a save made during the fit does not load: %v", err)
	}
}

// funcCallback runs a function after every batch.
type funcCallback struct{ afterBatch func(*FitState) error }

func (c *funcCallback) AfterBatch(f *FitState) error { return c.afterBatch(f) }

// Two notebooks saving a learner under one path at the same moment: each
// save's temporary file is its own until renamed, and neither deletes the
// other's (before: a save removed every temporary of the path, and the
// other save failed on its rename). A save killed part way still leaves a
// temporary the next save removes.
func TestConcurrentSavesOfOnePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "first.learner")
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 2 {
		l := newTiny(t)
		if err := l.ensureBuilt(); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			for range 25 {
				if err := l.Save(path); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := newTiny(t).Load(path); err != nil {
		t.Errorf("the file the saves left does not load: %v", err)
	}
	killed := filepath.Join(filepath.Dir(path), tempPrefix(path)+"123")
	if err := os.WriteFile(killed, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := StaleSaves(path); len(got) != 0 {
		t.Errorf("StaleSaves = %v just after it was made: it could be a save about to lock it", got)
	}
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(killed, old, old); err != nil {
		t.Fatal(err)
	}
	if got := StaleSaves(path); len(got) != 1 || got[0] != killed {
		t.Errorf("StaleSaves = %v, want the killed save's %s", got, killed)
	}
}

// D3 (trial 1): Freeze, Unfreeze and FreezeTo while another goroutine
// fits were accepted, resetting the optimizer state under the running
// fit. They are refused with ErrBusy, as a second fit is, and change
// nothing; once the fit is over they work.
func TestFreezeDuringFitIsBusy(t *testing.T) {
	l := newTiny(t)
	resume := pausedFit(l)
	frozen := l.FrozenTo()
	for name, f := range map[string]func() error{"Freeze": l.Freeze, "Unfreeze": l.Unfreeze, "FreezeTo(1)": func() error { return l.FreezeTo(1) }} {
		if err := f(); !errors.Is(err, ErrBusy) {
			t.Errorf("%s during a fit: err = %v, want ErrBusy", name, err)
		}
	}
	if l.FrozenTo() != frozen {
		t.Errorf("a refused freeze changed the frozen state: %d → %d", frozen, l.FrozenTo())
	}
	if err := resume(); err != nil {
		t.Fatal(err)
	}
	if err := l.Freeze(); err != nil || l.FrozenTo() != 1 {
		t.Errorf("Freeze after the fit: err %v, frozen to %d; want nil and 1", err, l.FrozenTo())
	}
}

// Reset while another goroutine fits replaced the store under the running
// fit (its next step ran on a store without the model's values). It is
// refused with ErrBusy, as the freezes are, and changes nothing.
func TestResetDuringFitIsBusy(t *testing.T) {
	l := newTiny(t)
	resume := pausedFit(l)
	store := l.Store()
	if err := l.Reset(); !errors.Is(err, ErrBusy) {
		t.Errorf("Reset during a fit: err = %v, want ErrBusy", err)
	}
	if l.Store() != store {
		t.Error("the refused Reset replaced the store")
	}
	if err := resume(); err != nil {
		t.Fatalf("the fit: %v", err)
	}
	if err := l.Reset(); err != nil || len(l.Recorder.Rows) != 0 {
		t.Errorf("Reset after the fit: err %v, %d rows; want nil and none", err, len(l.Recorder.Rows))
	}
}

// pausedFit starts a fit of l in another goroutine and returns once its
// first batch is done, the fit waiting there; resume lets it finish and
// returns what it returned.
func pausedFit(l *Learner) (resume func() error) {
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	cb := &funcCallback{afterBatch: func(*FitState) error {
		once.Do(func() { close(started); <-release })
		return nil
	}}
	fitDone := make(chan error, 1)
	go func() { fitDone <- l.Fit(1, 1e-2, WithCallbacks(cb)) }()
	<-started
	return func() error { close(release); return <-fitDone }
}
