package learner

import (
	"errors"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// InitStore's values are what the model starts from (as pretrained weights
// are), they come back after Reset, and an init error stops New.
func TestInitStoreValuesSurviveBuildAndReset(t *testing.T) {
	bias := []float32{0.5, -0.25, 1, 2}
	init := func(s *model.Store) error {
		_, err := s.RootScope().In("head").CreateVariable("bias", tensors.FromValue(bias))
		return err
	}
	l := newTiny(t, InitStore(init))
	check := func(when string) {
		t.Helper()
		got := modelValues(t, l)["/head/bias"]
		if len(got) != len(bias) {
			t.Fatalf("%s: /head/bias = %v, want %v", when, got, bias)
		}
		for i := range bias {
			if got[i] != bias[i] {
				t.Fatalf("%s: /head/bias = %v, want %v", when, got, bias)
			}
		}
	}
	if _, err := l.GetPreds(nil); err != nil { // builds the model
		t.Fatal(err)
	}
	check("after building")
	if err := l.Fit(1, 1e-2); err != nil {
		t.Fatal(err)
	}
	if err := l.Reset(); err != nil {
		t.Fatal(err)
	}
	check("after Reset")

	_, err := New(tinyData(4), tinyModel(4), WithBackend(testBackend()),
		InitStore(func(*model.Store) error { return errors.New("weights missing") }))
	if err == nil || !strings.Contains(err.Error(), "weights missing") {
		t.Errorf("New with a failing InitStore: err = %v, want it to carry the init error", err)
	}
}
