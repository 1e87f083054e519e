package learner

import (
	"fmt"
	"math"
	"testing"
)

func relClose(a, b, rel float64) bool { return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b)) }

// combined_cos(0.25, 1e-2/25, 1e-2, 1e-7), the fastbook check, against
// values worked out by hand from sched_cos: its ends, the peak, and the
// midpoints of each phase (where cos(π/2) = 0 gives the mean).
func TestCombinedCosMatchesFastai(t *testing.T) {
	f := CombinedCos(0.25, 1e-2/25, 1e-2, 1e-7)
	cases := []struct{ t, want float64 }{
		{0, 4e-4},
		{0.125, (4e-4 + 1e-2) / 2},
		{0.25, 1e-2},
		{0.625, (1e-2 + 1e-7) / 2},
		{1, 1e-7},
		// t = 0.05 (i=1 of 20): 4e-4 + (1+cos(π·0.8))·(1e-2−4e-4)/2.
		{0.05, 4e-4 + (1+math.Cos(math.Pi*0.8))*(1e-2-4e-4)/2},
	}
	for _, c := range cases {
		if got := f(c.t); !relClose(got, c.want, 1e-9) {
			t.Errorf("combined_cos(%g) = %.10g, want %.10g", c.t, got, c.want)
		}
	}
	// Warm-up rises, annealing falls.
	prev := f(0)
	for i := 1; i <= 20; i++ {
		v := f(float64(i) / 20)
		if (i <= 5) != (v > prev) {
			t.Errorf("step %d: %g after %g: want rising until t=0.25, then falling", i, v, prev)
		}
		prev = v
	}
}

// The values match Python's fastai combined_cos (checked with the same
// formulas in Python's math module).
func ExampleCombinedCos() {
	f := CombinedCos(0.25, 1e-2/25, 1e-2, 1e-7)
	for i := 0; i <= 20; i += 4 {
		fmt.Printf("%.2f %.6e\n", float64(i)/20, f(float64(i)/20))
	}
	// Output:
	// 0.00 4.000000e-04
	// 0.20 9.083282e-03
	// 0.40 9.045095e-03
	// 0.60 5.522687e-03
	// 0.80 1.654430e-03
	// 1.00 1.000000e-07
}

func TestSliceSpreadsOverGroups(t *testing.T) {
	slice := func(s SliceLR) func(int) ([]float64, error) {
		return func(n int) ([]float64, error) { return GroupLRs(s, n) }
	}
	number := func(v float64) func(int) ([]float64, error) {
		return func(n int) ([]float64, error) { return GroupLRs(v, n) }
	}
	cases := []struct {
		name string
		lrs  func(n int) ([]float64, error)
		n    int
		want []float64
	}{
		{"Slice(1e-6, 1e-4)", slice(Slice(1e-6, 1e-4)), 3, []float64{1e-6, 1e-5, 1e-4}},
		{"Slice(2e-3)", slice(Slice(2e-3)), 3, []float64{2e-4, 2e-4, 2e-3}},
		{"Slice(1e-5, 1e-3)", slice(Slice(1e-5, 1e-3)), 3, []float64{1e-5, 1e-4, 1e-3}},
		{"3e-3", number(3e-3), 3, []float64{3e-3, 3e-3, 3e-3}},
		{"int 1", func(n int) ([]float64, error) { return GroupLRs(1, n) }, 2, []float64{1, 1}},
		{"Slice(1e-6, 1e-4) over 1", slice(Slice(1e-6, 1e-4)), 1, []float64{1e-4}},
	}
	for _, c := range cases {
		got, err := c.lrs(c.n)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for i := range c.want {
			if !relClose(got[i], c.want[i], 1e-12) {
				t.Errorf("%s over %d groups = %v, want %v", c.name, c.n, got, c.want)
				break
			}
		}
	}
	// A string or any other type does not compile (LR says what is taken);
	// what compiles but is wrong is an error.
	for _, bad := range []SliceLR{Slice(), Slice(1, 2, 3), Slice(1e-3, 1e-5)} {
		if _, err := GroupLRs(bad, 3); err == nil {
			t.Errorf("GroupLRs(%v) gave no error", bad)
		}
	}
	if _, err := GroupLRs([]float64{1}, 3); err == nil {
		t.Error("one rate for 3 groups gave no error")
	}
	if _, err := GroupLRs(-1.0, 3); err == nil {
		t.Error("a negative rate gave no error")
	}
}
