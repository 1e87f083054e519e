package learner

import (
	"math"
	"slices"
	"strings"
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
	if _, err := GroupLRs([]float64{1, 2}, 3); err == nil {
		t.Error("two rates for 3 groups gave no error")
	}
	if _, err := GroupLRs(-1.0, 3); err == nil {
		t.Error("a negative rate gave no error")
	}
}

func TestCombineSchedsRefuses(t *testing.T) {
	lin := SchedLin(0, 1)
	for name, c := range map[string]struct {
		pcts   []float64
		scheds []Schedule
	}{
		"sum 0.9":        {[]float64{0.4, 0.5}, []Schedule{lin, lin}},
		"negative":       {[]float64{1.5, -0.5}, []Schedule{lin, lin}},
		"NaN":            {[]float64{math.NaN(), 1}, []Schedule{lin, lin}},
		"lengths differ": {[]float64{1}, []Schedule{lin, lin}},
		"empty":          {nil, nil},
		"nil schedule":   {[]float64{0.5, 0.5}, []Schedule{lin, nil}},
	} {
		if _, err := CombineScheds(c.pcts, c.scheds); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Ten tenths sum to 1 within rounding: accepted (fastai's exact sum would refuse).
	tenths := slices.Repeat([]float64{0.1}, 10)
	scheds := slices.Repeat([]Schedule{SchedLin(0, 1)}, 10)
	f, err := CombineScheds(tenths, scheds)
	if err != nil {
		t.Fatal(err)
	}
	if got := f(0.05); math.Abs(got-0.5) > 1e-12 {
		t.Errorf("tenths at 0.05 = %g, want 0.5", got)
	}
	// A zero-width last part gives its end at pos 1, where fastai has NaN.
	g, _ := CombineScheds([]float64{1, 0}, []Schedule{SchedLin(0, 1), SchedLin(5, 7)})
	if got := g(1); got != 7 {
		t.Errorf("zero-width last part at 1 = %g, want 7", got)
	}
	if got := g(0.5); got != 0.5 {
		t.Errorf("first part at 0.5 = %g", got)
	}
}

// A list of rates: one per group, or one for all (fastai's set_hyper);
// another count is refused with the counts.
func TestGroupLRsList(t *testing.T) {
	got, err := GroupLRs([]float64{1e-3, 1e-2}, 2)
	if err != nil || !slices.Equal(got, []float64{1e-3, 1e-2}) {
		t.Errorf("two for two: %v %v", got, err)
	}
	got, err = GroupLRs([]float64{3e-3}, 3)
	if err != nil || !slices.Equal(got, []float64{3e-3, 3e-3, 3e-3}) {
		t.Errorf("one for three: %v %v", got, err)
	}
	if _, err := GroupLRs([]float64{1, 2}, 3); err == nil || !strings.Contains(err.Error(), "2 learning rates given for 3 parameter groups") {
		t.Errorf("two for three: %v", err)
	}
	if _, err := GroupLRs([]float64{}, 3); err == nil {
		t.Error("empty list: no error")
	}
	if _, err := GroupLRs([]float64{1e-3, math.Inf(1)}, 2); err == nil {
		t.Error("infinite rate: no error")
	}
}

// P2 (trial 1): a learning rate of the user's own named type was refused
// by the compiler ("possibly missing ~ for float64"). Named numbers and
// lists work as their underlying types do, 0 included.
type myLR float64
type myRates []float64
type myFloat32 float32
type myInt int

func TestNamedLearningRateTypes(t *testing.T) {
	check := func(name string, got []float64, err error, want ...float64) {
		t.Helper()
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: %v %v, want %v", name, got, err, want)
		}
	}
	got, err := GroupLRs(myLR(1e-2), 2)
	check("myLR", got, err, 1e-2, 1e-2)
	got, err = GroupLRs(myFloat32(0.5), 2)
	check("myFloat32", got, err, 0.5, 0.5)
	got, err = GroupLRs(myInt(1), 2)
	check("myInt", got, err, 1, 1)
	got, err = GroupLRs(myRates{1e-3, 1e-2}, 2)
	check("myRates", got, err, 1e-3, 1e-2)
	if _, err := GroupLRs(myLR(-1), 2); err == nil {
		t.Error("myLR(-1): no error")
	}

	l := newTiny(t)
	l.LR = 3e-3
	if err := l.Fit(1, myLR(0)); err != nil { // 0: the learner's default
		t.Fatal(err)
	}
	if lr := l.Recorder.LRs[0]; lr != 3e-3 {
		t.Errorf("Fit(1, myLR(0)) trained at %g, want Learner.LR 3e-3", lr)
	}
	if err := l.FitOneCycle(1, myRates{1e-4, 1e-3}); err != nil {
		t.Fatal(err)
	}
}
