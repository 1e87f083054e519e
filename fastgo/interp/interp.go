package interp

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/tensor"
)

// PredsSource is what produces a model's predictions over a dataset; a
// *learner.Learner is one (GetPreds(nil) predicts the validation set).
type PredsSource interface {
	GetPreds(dl learner.BatchSource) (*learner.Preds, error)
}

// ClassificationInterpretation is fastai's ClassificationInterpretation:
// a classifier's predictions over a dataset (usually the validation set)
// with each item's target and loss, to see where the model goes wrong.
// Build it with FromLearner (fastai's from_learner), FromSource, FromPreds
// or FromPredictions; it is read-only.
type ClassificationInterpretation struct {
	vocab   []string
	probs   []float32 // row-major [n, len(vocab)]
	targets []int
	decoded []int
	losses  []float32
	items   []fastgo.Path
}

// FromSource runs src over the validation set (src.GetPreds(nil)) and
// builds the interpretation, fastai's `ClassificationInterpretation.
// from_learner(learn)`: for a learner, FromSource(learn, learn.Data.Vocab,
// items). items are the validation items in dataset order, for TopLosses
// (nil if unknown).
func FromSource(src PredsSource, vocab []string, items []fastgo.Path) (*ClassificationInterpretation, error) {
	if src == nil {
		return nil, fmt.Errorf("interp.FromSource: source is nil; pass the learner")
	}
	p, err := src.GetPreds(nil)
	if err != nil {
		return nil, fmt.Errorf("interp.FromSource: %w", err)
	}
	return FromPreds(vocab, p, items)
}

// FromPreds builds the interpretation from predictions already made
// (learner.GetPreds' result).
func FromPreds(vocab []string, p *learner.Preds, items []fastgo.Path) (*ClassificationInterpretation, error) {
	if p == nil {
		return nil, fmt.Errorf("interp.FromPreds: predictions are nil")
	}
	if p.NumClasses != len(vocab) && len(p.Targets) > 0 {
		return nil, fmt.Errorf("interp.FromPreds: the predictions have %d classes but the vocab has %d; pass the vocab the model was trained with", p.NumClasses, len(vocab))
	}
	return FromPredictions(vocab, p.Probs, p.Targets, p.Losses, items)
}

// FromPredictions builds the interpretation from plain data: the class
// names, the probabilities (row-major [n, len(vocab)], e.g. softmax
// outputs), each item's target class index and loss, and optionally (nil)
// the items themselves. Inputs are copied. The predicted class of an item
// is its most probable one (the first on ties, like argmax).
//
// Errors: an empty vocab; no predictions (0 targets: an empty validation
// set); lengths that do not agree (probabilities, losses, items), with the
// counts; a target outside [0, len(vocab)).
func FromPredictions(vocab []string, probs []float32, targets []int, losses []float32, items []fastgo.Path) (*ClassificationInterpretation, error) {
	c, n := len(vocab), len(targets)
	switch {
	case c == 0:
		return nil, fmt.Errorf("interp.FromPredictions: the vocab is empty; pass the class names")
	case n == 0:
		return nil, fmt.Errorf("interp.FromPredictions: no predictions (0 items): an interpretation of nothing would show an all-zero matrix; is the validation set empty? (RandomSplitter(p) keeps int(p·n) items for it)")
	case len(probs) != n*c:
		return nil, fmt.Errorf("interp.FromPredictions: %d probabilities for %d targets × %d classes; want one row of %d per target", len(probs), n, c, c)
	case len(losses) != n:
		return nil, fmt.Errorf("interp.FromPredictions: %d losses for %d targets; want one per item", len(losses), n)
	case items != nil && len(items) != n:
		return nil, fmt.Errorf("interp.FromPredictions: %d items for %d targets; pass nil or one per item", len(items), n)
	}
	for i, t := range targets {
		if t < 0 || t >= c {
			return nil, fmt.Errorf("interp.FromPredictions: target %d of item %d is not a class index in [0, %d)", t, i, c)
		}
	}
	ci := &ClassificationInterpretation{
		vocab: slices.Clone(vocab), probs: slices.Clone(probs), targets: slices.Clone(targets),
		losses: slices.Clone(losses), items: slices.Clone(items), decoded: make([]int, n),
	}
	for i := range ci.decoded {
		ci.decoded[i] = learner.Argmax(ci.row(i))
	}
	return ci, nil
}

func (ci *ClassificationInterpretation) row(i int) []float32 {
	c := len(ci.vocab)
	return ci.probs[i*c : (i+1)*c]
}

// Len is the number of items.
func (ci *ClassificationInterpretation) Len() int { return len(ci.targets) }

// Vocab is a copy of the class names.
func (ci *ClassificationInterpretation) Vocab() []string { return slices.Clone(ci.vocab) }

// Targets is a copy of each item's actual class index.
func (ci *ClassificationInterpretation) Targets() []int { return slices.Clone(ci.targets) }

// Decoded is a copy of each item's predicted class index.
func (ci *ClassificationInterpretation) Decoded() []int { return slices.Clone(ci.decoded) }

// Losses is a copy of each item's loss.
func (ci *ClassificationInterpretation) Losses() []float32 { return slices.Clone(ci.losses) }

// Probs is a copy of item i's class probabilities (nil if i is out of range).
func (ci *ClassificationInterpretation) Probs(i int) []float32 {
	if i < 0 || i >= ci.Len() {
		return nil
	}
	return slices.Clone(ci.row(i))
}

// ConfusionMatrix counts items by actual class (rows) and predicted class
// (columns), both in vocab order: m[a][p] items of class a were predicted
// as p, and the diagonal holds the correct predictions.
func (ci *ClassificationInterpretation) ConfusionMatrix() [][]int {
	c := len(ci.vocab)
	m := make([][]int, c)
	for i := range m {
		m[i] = make([]int, c)
	}
	for i, t := range ci.targets {
		m[t][ci.decoded[i]]++
	}
	return m
}

// Confusion is one cell of the confusion matrix off its diagonal: Count
// items of class Actual were predicted as Predicted.
type Confusion struct {
	Actual, Predicted string
	Count             int
}

// String is the Python tuple fastai shows: ('Ragdoll', 'Birman', 8).
func (c Confusion) String() string {
	return "(" + fastgo.PyRepr(c.Actual) + ", " + fastgo.PyRepr(c.Predicted) + ", " + fmt.Sprint(c.Count) + ")"
}

// Confusions is MostConfused's result.
type Confusions []Confusion

// String is the Python list fastai's most_confused returns, as Jupyter
// shows it: on one line when it fits in 79 characters, else one tuple per
// line (fastgo.PyList; under NumPy 2 Python itself shows the counts as
// np.int64(10)).
func (cs Confusions) String() string { return fastgo.PyList(cs) }

// MostConfused is fastai's most_confused(min_val): every pair of distinct
// classes (actual, predicted) confused at least minVal times, most
// frequent first; ties keep the matrix's row-major (vocab) order. As in
// fastai, a minVal of 0 or less also lists every class with itself at
// count 0 (the diagonal is zeroed, not skipped).
func (ci *ClassificationInterpretation) MostConfused(minVal int) Confusions {
	m := ci.ConfusionMatrix()
	var out Confusions
	for a, row := range m {
		for p, n := range row {
			if a == p {
				n = 0
			}
			if n >= minVal {
				out = append(out, Confusion{Actual: ci.vocab[a], Predicted: ci.vocab[p], Count: n})
			}
		}
	}
	slices.SortStableFunc(out, func(x, y Confusion) int { return cmp.Compare(y.Count, x.Count) })
	return out
}

// TopLoss is one of the items with the highest losses.
type TopLoss struct {
	// Index is the item's position in the dataset (validation order).
	Index int
	// Item is the item's path, "" when the interpretation has no items.
	Item fastgo.Path
	// Loss is the item's loss.
	Loss float32
	// Predicted and Actual are the predicted and actual class names.
	Predicted, Actual string
	// Prob is the probability of the predicted class (the highest one):
	// what fastai's plot_top_losses shows (fastai issue #3591 argues for
	// the actual class's, which is ActualProb).
	Prob float32
	// ActualProb is the probability given to the actual class.
	ActualProb float32
}

// TopLosses is fastai's top_losses(k): the k items with the largest losses,
// largest first (ties by dataset order; a NaN loss counts as the largest,
// as in torch.topk). k <= 0 or k > Len() means every item.
func (ci *ClassificationInterpretation) TopLosses(k int) TopLosses {
	idx := make([]int, ci.Len())
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		la, lb := float64(ci.losses[a]), float64(ci.losses[b])
		switch na, nb := math.IsNaN(la), math.IsNaN(lb); {
		case na && nb:
			return 0
		case na:
			return -1
		case nb:
			return 1
		}
		return cmp.Compare(lb, la)
	})
	if k > 0 && k < len(idx) {
		idx = idx[:k]
	}
	out := make(TopLosses, len(idx))
	for r, i := range idx {
		row := ci.row(i)
		t, d := ci.targets[i], ci.decoded[i]
		out[r] = TopLoss{Index: i, Loss: ci.losses[i], Predicted: ci.vocab[d], Actual: ci.vocab[t], Prob: row[d], ActualProb: row[t]}
		if ci.items != nil {
			out[r].Item = ci.items[i]
		}
	}
	return out
}

// TopLosses is TopLosses' result.
type TopLosses []TopLoss

// String prints the losses and indices as PyTorch prints fastai's
// top_losses result:
//
//	torch.return_types.topk(
//	values=tensor([4.2031, 3.1560]),
//	indices=tensor([17,  3]))
func (tl TopLosses) String() string {
	values := make([]float64, len(tl))
	indices := make([]int, len(tl))
	for i, t := range tl {
		values[i], indices[i] = float64(t.Loss), t.Index
	}
	return "torch.return_types.topk(\nvalues=" + tensor.FromData(values).String() +
		",\nindices=" + tensor.New(indices).String() + ")"
}
