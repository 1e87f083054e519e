package fastgo

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Vocab is fastai's CategoryMap: the ordered class names and their indices.
type Vocab struct {
	items L[string]
	index map[string]int
}

// NewVocab makes a vocab of the given names, in that order; names must be
// unique.
func NewVocab(names []string) (*Vocab, error) {
	v := &Vocab{items: slices.Clone(L[string](names)), index: make(map[string]int, len(names))}
	for i, n := range names {
		if _, dup := v.index[n]; dup {
			return nil, fmt.Errorf("vocab: label %s appears twice; each class name must be unique", PyRepr(n))
		}
		v.index[n] = i
	}
	return v, nil
}

// Len is the number of classes.
func (v *Vocab) Len() int { return len(v.items) }

// At is the name of class i.
func (v *Vocab) At(i int) string { return v.items[i] }

// Items is the class names in index order (a copy).
func (v *Vocab) Items() L[string] { return slices.Clone(v.items) }

// Index is the class index of label, or an error like fastai's KeyError:
// `Label '<x>' was not included in the training dataset`.
func (v *Vocab) Index(label string) (int, error) {
	i, ok := v.index[label]
	if !ok {
		//lint:ignore ST1005 fastai's message, word for word
		return 0, fmt.Errorf("Label %s was not included in the training dataset", PyRepr(label))
	}
	return i, nil
}

// String displays the vocab like an L: `(#37) ['Abyssinian','Bengal',...]`.
func (v *Vocab) String() string { return v.items.String() }

// Categorize is the type transform of CategoryBlock: it maps a label to its
// index in a vocab built from the training labels (fastai's Categorize with
// sort=True, add_na=False).
type Categorize struct {
	// Vocab, when set, fixes the classes and their order instead of the
	// sorted unique training labels.
	Vocab []string
}

// CategoryBlock is fastai's CategoryBlock: single-label classification
// targets. The vocab is the sorted unique labels of the training split
// (Go's string order is Python's: "Abyssinian" < "Sphynx" < "american_bulldog").
func CategoryBlock() *Categorize { return &Categorize{} }

// Name is the transform's name as fastai's summary shows it.
func (c *Categorize) Name() string {
	vocab := "None"
	if c.Vocab != nil {
		vocab = pyListRepr(c.Vocab)
	}
	return "Categorize -- {'vocab': " + vocab + ", 'sort': True, 'add_na': False}"
}

// Setup builds the vocab from the training labels.
func (c *Categorize) Setup(trainLabels []string) (*Vocab, error) {
	if c.Vocab != nil {
		return NewVocab(c.Vocab)
	}
	names := slices.Clone(trainLabels)
	slices.Sort(names)
	return NewVocab(slices.Compact(names))
}

func pyListRepr(items []string) string {
	parts := make([]string, len(items))
	for i, s := range items {
		parts[i] = PyRepr(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// TensorCategory is a batch of class indices (fastai's TensorCategory).
// It prints like PyTorch: `TensorCategory([13,  5, 23])`.
type TensorCategory []int

// torch's print options: elements shown from each end once a tensor has
// more than threshold elements, and the line width.
const (
	torchThreshold = 1000
	torchEdgeItems = 3
	torchLineWidth = 80
)

// String formats the indices the way torch prints a 1-D integer tensor:
// right-aligned to the widest number, ", " between items, wrapped at 80
// columns under the opening bracket, and elided to the first and last three
// items with " ..." above 1000 items.
func (t TensorCategory) String() string {
	const prefix = "TensorCategory("
	vals := []int(t)
	summarize := len(vals) > torchThreshold
	if summarize {
		vals = append(slices.Clone(vals[:torchEdgeItems]), vals[len(vals)-torchEdgeItems:]...)
	}
	width := 0
	for _, v := range vals {
		width = max(width, len(strconv.Itoa(v)))
	}
	items := make([]string, 0, len(vals)+1)
	for i, v := range vals {
		if summarize && i == torchEdgeItems {
			items = append(items, " ...")
		}
		s := strconv.Itoa(v)
		items = append(items, strings.Repeat(" ", width-len(s))+s)
	}
	perLine := max(1, (torchLineWidth-len(prefix))/(width+2))
	var lines []string
	for i := 0; i < len(items); i += perLine {
		lines = append(lines, strings.Join(items[i:min(i+perLine, len(items))], ", "))
	}
	return prefix + "[" + strings.Join(lines, ",\n"+strings.Repeat(" ", len(prefix)+1)) + "])"
}

// categoryRepr is one sample's label as fastai prints it: TensorCategory(13).
func categoryRepr(i int) string { return "TensorCategory(" + strconv.Itoa(i) + ")" }
