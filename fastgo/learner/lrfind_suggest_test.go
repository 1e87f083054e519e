package learner_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo/learner"
)

// suggestLRs is an evenly log-spaced learning-rate series (ten points per
// decade from 1e-5), so that a slope against log(lr) is proportional to the
// loss difference.
func suggestLRs(n int) []float64 {
	lrs := make([]float64, n)
	for i := range lrs {
		lrs[i] = 1e-5 * math.Pow(10, float64(i)/10)
	}
	return lrs
}

type suggestFn func(lrs, losses []float64) (float64, int, error)

// Expected indices are derived by hand in each case's comment.
func TestSuggestions(t *testing.T) {
	cases := []struct {
		name    string
		fn      suggestFn
		lrs     []float64 // nil: suggestLRs(len(losses))
		losses  []float64
		wantIdx int
		wantLR  func(lrs []float64) float64 // nil: lrs[wantIdx]
	}{
		// minimum: first lowest loss at 3; suggestion is a tenth of its lr.
		{"minimum", learner.SuggestMinimum, nil, []float64{3, 2, 1, 0.5, 1, 0.5, 4}, 3,
			func(lrs []float64) float64 { return lrs[3] / 10 }},
		{"minimum single point", learner.SuggestMinimum, nil, []float64{2}, 0,
			func(lrs []float64) float64 { return lrs[0] / 10 }},
		// steep, even log spacing: loss steps -0.1, -0.4, -1.5, -0.1, +0.05 → step 2.
		{"steep", learner.SuggestSteep, nil, []float64{3, 2.9, 2.5, 1.0, 0.9, 0.95}, 2, nil},
		// steep, uneven spacing: slopes -1/ln2, -1/ln2, -1/ln25, -0.5/ln2 → first tie, 0.
		{"steep uses log lr", learner.SuggestSteep, []float64{1, 2, 4, 100, 200}, []float64{3, 2, 1, 0, -0.5}, 0, nil},
		// valley: run 0..9 decreasing (lds 10 at 9), start = 9-10 = -1,
		// sec = 10/3 → idx = -1 + 3 + 1 = 3.
		{"valley decreasing run", learner.SuggestValley, nil, []float64{5, 4, 3, 2, 1, 0.5, 0.4, 0.3, 0.2, 0.1, 2, 3}, 3, nil},
		// valley: longest decreasing subsequence 3,2.5,2,1.5,1,0.5 ends at 6
		// with lds 6, start 0, sec 2 → idx 0 + 2 + 1 = 3.
		{"valley subsequence", learner.SuggestValley, nil, []float64{1, 3, 2.5, 2, 1.5, 1, 0.5, 4}, 3, nil},
		// valley: lds [1 2 3 1 2 3]; the first maximum (end 2) is kept,
		// start -1, sec 1 → idx -1 + 1 + 0 = 0.
		{"valley keeps first longest", learner.SuggestValley, nil, []float64{3, 2, 1, 5, 4, 3}, 0, nil},
		// valley: end 1, start -1, sec 2/3 → idx -1, Python's last element.
		{"valley negative index wraps", learner.SuggestValley, nil, []float64{2, 1}, 1, nil},
		{"valley flat", learner.SuggestValley, nil, []float64{1, 1, 1}, 0, nil},
		// slide: losses fall by 1 per point to 1 at index 19, then stay flat
		// (30 points). grad: -1 for 0..18, -0.5 at 19, 0 after. The window
		// (r = l+15) moves left while the ends differ: at r=19,l=4 they
		// differ by 0.5 (lr remembered: 4); at r=18,l=3 both are -1 → stop.
		{"slide", learner.SuggestSlide, nil, slideCurve(), 4, nil},
		// slide: flat losses, the window never moves: idx = n-1-15 = 9.
		{"slide flat", learner.SuggestSlide, nil, make([]float64, 25), 9, nil},
		// slide with lrDiff 3, adjust 2: losses fall by 1 per point to 3 at
		// 27, then jump to 5, 7. grad: -1 up to 26, 0.5 at 27, 2 at 28, 29.
		// r=29,l=26 and r=28,l=25 differ by 3, r=27,l=24 by 1.5 (remember
		// 24); r=26,l=23 are both -1 → stop.
		{"slide suggester", learner.SlideSuggester(3, 0.005, 2), nil,
			fallThenJump(), 24,
			func(lrs []float64) float64 { return lrs[24] * 2 }},
	}
	for _, c := range cases {
		lrs := c.lrs
		if lrs == nil {
			lrs = suggestLRs(len(c.losses))
		}
		lr, idx, err := c.fn(lrs, c.losses)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		want := lrs[c.wantIdx]
		if c.wantLR != nil {
			want = c.wantLR(lrs)
		}
		if idx != c.wantIdx || lr != want {
			t.Errorf("%s: got lr %g idx %d, want lr %g idx %d", c.name, lr, idx, want, c.wantIdx)
		}
	}
}

func fallThenJump() []float64 {
	var losses []float64
	for i := range 28 {
		losses = append(losses, 30-float64(i))
	}
	return append(losses, 5, 7)
}

func slideCurve() []float64 {
	losses := make([]float64, 30)
	for i := range losses {
		losses[i] = math.Max(20-float64(i), 1)
	}
	return losses
}

func TestSuggestionErrors(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"empty", suggestErr(learner.SuggestMinimum(nil, nil)), "needs at least 1 points, got 0"},
		{"lengths", suggestErr(learner.SuggestValley([]float64{1, 2}, []float64{1})), "2 learning rates but 1 losses"},
		{"steep short", suggestErr(learner.SuggestSteep([]float64{1}, []float64{1})), "needs at least 2 points"},
		{"steep lr", suggestErr(learner.SuggestSteep([]float64{1, 0}, []float64{1, 1})), "learning rate 1 is 0"},
		{"slide short", suggestErr(learner.SuggestSlide(suggestLRs(15), make([]float64, 15))), "needs at least 16 points, got 15"},
		{"slide width", suggestErr(learner.SlideSuggester(0, 0.005, 1)(suggestLRs(3), make([]float64, 3))), "lrDiff is 0"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, c.err, c.want)
		}
	}
}

func suggestErr(_ float64, _ int, err error) error { return err }

func TestTrimForSuggestions(t *testing.T) {
	seq := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = float64(i)
		}
		return s
	}
	// 100 recorded, num_it 100: keep [10, 95).
	lrs, losses := learner.TrimForSuggestions(seq(100), seq(100), 100)
	if len(lrs) != 85 || lrs[0] != 10 || lrs[84] != 94 || !slices.Equal(lrs, losses) {
		t.Errorf("trim 100: got %d points %v…, want 85 from 10 to 94", len(lrs), lrs[:min(3, len(lrs))])
	}
	// A NaN at 50 cuts both at 50.
	l := seq(100)
	l[50], l[60] = math.NaN(), math.NaN()
	lrs, losses = learner.TrimForSuggestions(seq(100), l, 100)
	if len(lrs) != 40 || len(losses) != 40 || losses[39] != 49 {
		t.Errorf("trim at NaN: got %d lrs, %d losses, want 40 each ending at 49", len(lrs), len(losses))
	}
	// The finder stopped early: 12 points, num_it 100 → nothing left.
	lrs, losses = learner.TrimForSuggestions(seq(12), seq(12), 100)
	if len(lrs) != 0 || len(losses) != 0 {
		t.Errorf("trim short: got %v %v, want empty", lrs, losses)
	}
	// Different lengths: cut to the shorter (20), then [2, 15).
	lrs, losses = learner.TrimForSuggestions(seq(25), seq(20), 20)
	if len(lrs) != 13 || len(losses) != 13 || lrs[12] != 14 {
		t.Errorf("trim mismatched: got %d / %d points, want 13 ending at 14", len(lrs), len(losses))
	}
	// Results are copies.
	src := seq(30)
	lrs, _ = learner.TrimForSuggestions(src, seq(30), 10)
	lrs[0] = -1
	if src[1] != 1 {
		t.Error("TrimForSuggestions returned a view of its input; want a copy")
	}
}

// The four suggestions on an lr_find-shaped curve: 100 learning rates from
// 1e-7 to 10, a loss flat at first, falling fastest near 1e-3, lowest near
// 5e-3 and exploding after. (The values agree with fastai's functions run on
// the same series.) Printed as the book's cell prints them.
func ExampleSuggestValley() {
	const numIt = 100
	var lrs, losses []float64
	for i := range numIt {
		lr := 1e-7 * math.Pow(10/1e-7, float64(i)/numIt)
		x := math.Log10(lr)                                            // -7 … 1
		loss := 2.5 - 1.5/(1+math.Exp(-3*(x+3))) + math.Exp(2*(x+1.5)) // sigmoid drop, then blow-up
		lrs, losses = append(lrs, lr), append(losses, loss)
	}
	lrs, losses = learner.TrimForSuggestions(lrs, losses, numIt)
	minimum, _, _ := learner.SuggestMinimum(lrs, losses)
	steep, _, _ := learner.SuggestSteep(lrs, losses)
	valley, _, _ := learner.SuggestValley(lrs, losses)
	slide, _, _ := learner.SuggestSlide(lrs, losses)
	fmt.Printf("Minimum/10: %.2e, steepest point: %.2e\n", minimum, steep)
	fmt.Printf("valley: %.2e, slide: %.2e\n", valley, slide)
	// Output:
	// Minimum/10: 5.25e-04, steepest point: 8.32e-04
	// valley: 4.37e-05, slide: 2.29e-04
}
