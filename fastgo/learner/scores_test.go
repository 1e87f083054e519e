package learner

import (
	"math"
	"strings"
	"testing"
)

// probsOf makes softmax-like rows [len(preds), nClasses] whose argmax is
// preds[i].
func probsOf(preds []int, nClasses int) []float32 {
	out := make([]float32, len(preds)*nClasses)
	for i, p := range preds {
		for k := range nClasses {
			out[i*nClasses+k] = 0.1 / float32(nClasses-1)
		}
		out[i*nClasses+p] = 0.9
	}
	return out
}

// The scores equal scikit-learn 1.2.1's f1_score, precision_score and
// recall_score (Debian's python3-sklearn) on the same predictions: what
// fastai's F1Score, Precision and Recall show.
func TestScoresMatchSklearn(t *testing.T) {
	metric := map[string]func(...ScoreOption) Metric{"f1": F1Score, "precision": Precision, "recall": Recall}
	type want struct {
		metric string
		opts   []ScoreOption
		value  float64
	}
	cases := []struct {
		name           string
		preds, targets []int
		nClasses       int
		wants          []want
	}{{
		// 4 classes, class 3 neither a target nor a prediction: it is
		// not a label, as for sklearn's labels=None.
		name: "multi-class", nClasses: 4,
		preds:   []int{0, 0, 1, 2, 2, 2, 1, 0, 2, 1, 0, 2},
		targets: []int{0, 1, 1, 2, 0, 2, 2, 0, 2, 1, 1, 1},
		wants: []want{
			{"f1", []ScoreOption{Macro}, 0.5793650793650794},
			{"f1", []ScoreOption{Micro}, 0.5833333333333334},
			{"f1", []ScoreOption{Weighted}, 0.5734126984126984},
			{"precision", []ScoreOption{Macro}, 0.5888888888888889},
			{"precision", []ScoreOption{Micro}, 0.5833333333333334},
			{"precision", []ScoreOption{Weighted}, 0.6027777777777777},
			{"recall", []ScoreOption{Average("macro")}, 0.6055555555555555},
			{"recall", []ScoreOption{Micro}, 0.5833333333333334},
			{"recall", []ScoreOption{Weighted}, 0.5833333333333334},
		},
	}, {
		name: "binary", nClasses: 2,
		preds:   []int{1, 0, 1, 1, 0, 0, 1, 0},
		targets: []int{1, 1, 0, 1, 0, 0, 1, 1},
		wants: []want{
			{"f1", nil, 0.6666666666666665},
			{"f1", []ScoreOption{PosLabel(0)}, 0.5714285714285715},
			{"f1", []ScoreOption{Macro}, 0.6190476190476191},
			{"precision", nil, 0.75},
			{"precision", []ScoreOption{PosLabel(0)}, 0.5},
			{"precision", []ScoreOption{Macro}, 0.625},
			{"recall", []ScoreOption{Binary}, 0.6},
			{"recall", []ScoreOption{PosLabel(0)}, 0.6666666666666666},
			{"recall", []ScoreOption{Macro}, 0.6333333333333333},
		},
	}, {
		// Class 2 has targets and is never predicted: its precision is
		// 0 (zero_division), and it counts in the averages.
		name: "never predicted", nClasses: 3,
		preds:   []int{0, 1, 0, 1, 0},
		targets: []int{0, 1, 2, 2, 0},
		wants: []want{
			{"f1", []ScoreOption{Macro}, 0.48888888888888893},
			{"f1", []ScoreOption{Weighted}, 0.4533333333333333},
			{"precision", []ScoreOption{Macro}, 0.38888888888888884},
			{"precision", []ScoreOption{Weighted}, 0.36666666666666664},
			{"recall", []ScoreOption{Macro}, 0.6666666666666666},
			{"recall", []ScoreOption{Weighted}, 0.6},
		},
	}}
	for _, tc := range cases {
		probs := probsOf(tc.preds, tc.nClasses)
		for _, w := range tc.wants {
			m := metric[w.metric](w.opts...)
			if !m.Accumulate {
				t.Errorf("%s: %s is not accumulated over the validation set", tc.name, m.Name)
			}
			if err := m.check(tc.nClasses); err != nil {
				t.Errorf("%s: %s%v refused: %v", tc.name, m.Name, w.opts, err)
				continue
			}
			got := m.Fn(probs, tc.nClasses, tc.targets)
			if math.Abs(got-w.value) > 1e-12 {
				t.Errorf("%s: %s%v = %.17g, sklearn %.17g", tc.name, m.Name, w.opts, got, w.value)
			}
		}
	}
	if got := F1Score(Macro).Fn(nil, 3, nil); !math.IsNaN(got) {
		t.Errorf("F1 over no items = %v, want NaN", got)
	}
}

// Options that cannot work are refused by learner.New, before any fit.
func TestScoreOptionsRefused(t *testing.T) {
	cases := []struct {
		classes int
		m       Metric
		want    string
	}{
		{4, F1Score(), `average "binary" needs 2 classes and the vocabulary has 4: give learner.Macro`},
		{4, Precision(Average("macr")), `average "macr": give one of "binary", "macro", "micro" or "weighted"`},
		{2, Recall(PosLabel(2)), "PosLabel(2) is not a class index: give one in [0, 2)"},
	}
	for _, tc := range cases {
		_, err := New(tinyData(tc.classes), tinyModel(tc.classes), WithBackend(testBackend()), Metrics(tc.m))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.m.Name) {
			t.Errorf("Metrics(%s) on %d classes: err = %v, want one naming the metric and %q", tc.m.Name, tc.classes, err, tc.want)
		}
	}
	// Set on the field rather than through Metrics: refused before the
	// first batch.
	l := newTiny(t)
	l.Metrics = append(l.Metrics, F1Score())
	before := modelValues(t, l)
	if err := l.FitOneCycle(1, 1e-3); err == nil || !strings.Contains(err.Error(), "needs 2 classes") {
		t.Errorf("FitOneCycle with F1Score() on 4 classes = %v, want the binary refusal", err)
	}
	for k, v := range modelValues(t, l) {
		if !slicesEqual(v, before[k]) {
			t.Fatalf("the refused fit changed %s", k)
		}
	}
}

func slicesEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// The epoch table's F1 is F1 over every validation prediction — the same
// as over GetPreds' — not a mean of per-batch values (trial 2's W3: the
// table said 0.4815 where the predictions gave 0.4872).
func TestAccumMetricOverWholeValidationSet(t *testing.T) {
	var calls, rows []int
	counting := AccumMetric("rows", func(probs []float32, nClasses int, targets []int) float64 {
		calls = append(calls, len(targets))
		rows = append(rows, len(probs)/nClasses)
		return float64(len(targets))
	})
	f1 := F1Score(Macro)
	l := newTiny(t, Metrics(f1, Recall(Weighted), counting))
	if err := l.FitOneCycle(2, 1e-2); err != nil {
		t.Fatal(err)
	}
	nValid := l.Data.Valid.Len() * 16 // tinyData: 2 batches of 16
	if len(calls) != 2 || calls[0] != nValid || rows[0] != nValid {
		t.Fatalf("the AccumMetric was called %d times with %v targets and %v rows; want once per epoch with all %d", len(calls), calls, rows, nValid)
	}
	last := l.Recorder.Rows[len(l.Recorder.Rows)-1]
	p, err := l.GetPreds(nil)
	if err != nil {
		t.Fatal(err)
	}
	// index 0 is error_rate (newTiny's)
	if want := f1.Fn(p.Probs, p.NumClasses, p.Targets); last.Metrics[1] != want {
		t.Errorf("table f1_score = %.17g, over GetPreds %.17g: want them equal", last.Metrics[1], want)
	}
	if want := Recall(Weighted).Fn(p.Probs, p.NumClasses, p.Targets); last.Metrics[2] != want {
		t.Errorf("table recall_score = %.17g, over GetPreds %.17g: want them equal", last.Metrics[2], want)
	}
	if want := 1 - accuracy(p.Probs, p.NumClasses, p.Targets); math.Abs(last.Metrics[0]-want) > 1e-12 {
		t.Errorf("table error_rate = %v, over GetPreds %v", last.Metrics[0], want)
	}
	if last.Metrics[3] != float64(nValid) {
		t.Errorf("table rows = %v, want %d", last.Metrics[3], nValid)
	}
}

// Any predictions give scores in [0, 1], and micro F1, precision and
// recall all equal accuracy for single-label classification (sklearn's
// identity).
func FuzzScores(f *testing.F) {
	f.Add([]byte{0, 1, 2, 2, 1, 0, 3, 3}, uint8(4))
	f.Add([]byte{1, 1}, uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, classes uint8) {
		nc := int(classes%5) + 2 // 2 to 6 classes
		n := len(data) / 2
		if n == 0 {
			return
		}
		preds, targets := make([]int, n), make([]int, n)
		for i := range n {
			preds[i], targets[i] = int(data[2*i])%nc, int(data[2*i+1])%nc
		}
		probs := probsOf(preds, nc)
		acc := accuracy(probs, nc, targets)
		for _, m := range []Metric{F1Score(Micro), Precision(Micro), Recall(Micro)} {
			if got := m.Fn(probs, nc, targets); math.Abs(got-acc) > 1e-12 {
				t.Errorf("%s micro = %v, accuracy %v", m.Name, got, acc)
			}
		}
		opts := []ScoreOption{Macro, Weighted}
		if nc == 2 {
			opts = append(opts, Binary, PosLabel(0))
		}
		for _, o := range opts {
			for _, m := range []Metric{F1Score(o), Precision(o), Recall(o)} {
				if got := m.Fn(probs, nc, targets); !(got >= 0 && got <= 1) {
					t.Errorf("%s(%v) = %v on preds %v targets %v, want a value in [0, 1]", m.Name, o, got, preds, targets)
				}
			}
		}
	})
}
