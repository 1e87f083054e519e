package fastgo

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Vocab is fastai's CategoryMap: the ordered class names and their indices.
// Make one with [CategoryMap] (from labels) or [NewVocab] (names as given).
type Vocab struct {
	items L[string]
	index map[string]int
	// na: the vocab starts with NA, and unknown labels map to it.
	na bool
}

// NA is the class fastai puts first in a vocab made with add_na=True
// ("#na#"): the class of missing or unknown labels.
const NA = "#na#"

// NewVocab makes a vocab of the given names, in that order (fastai's
// CategoryMap with sort=False). Errors: a name that appears twice, naming
// it.
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

// CategoryMap is fastai's CategoryMap(col, sort=True, add_na=False): the
// unique labels of col, in the order they first appear, sorted when sort
// is true (Go's string order is Python's: code points), preceded by NA
// ("#na#") when addNA is true. With addNA an unknown label maps to index
// 0, the NA class (fastai's o2i is then a defaultdict), instead of an
// error. Errors: col holds NA itself while addNA is set.
//
//	CategoryMap([]string{"4", "2", "3", "4"}, true, true) // (#4) ['#na#','2','3','4']
func CategoryMap(col []string, sort, addNA bool) (*Vocab, error) {
	names := []string(Unique(L[string](col)))
	if sort {
		slices.Sort(names)
	}
	if addNA {
		if slices.Contains(names, NA) {
			return nil, fmt.Errorf("CategoryMap: the labels already hold %s, the class add_na adds; rename that label or leave AddNA off", PyRepr(NA))
		}
		names = append([]string{NA}, names...)
	}
	v, err := NewVocab(names)
	if err != nil {
		return nil, err
	}
	v.na = addNA
	return v, nil
}

// HasNA says whether the vocab starts with the NA class and maps unknown
// labels to it (fastai's add_na=True).
func (v *Vocab) HasNA() bool { return v.na }

// Len is the number of classes.
func (v *Vocab) Len() int { return len(v.items) }

// At is the name of class i.
func (v *Vocab) At(i int) string { return v.items[i] }

// Items is the class names in index order (a copy).
func (v *Vocab) Items() L[string] { return slices.Clone(v.items) }

// Index is the class index of label. An unknown label is 0, the NA
// class, in a vocab made with add_na ([Vocab.HasNA]); otherwise it is an
// error like fastai's KeyError: `Label '<x>' was not included in the
// training dataset`.
func (v *Vocab) Index(label string) (int, error) {
	i, ok := v.index[label]
	if !ok {
		if v.na {
			return 0, nil
		}
		//lint:ignore ST1005 fastai's message, word for word
		return 0, fmt.Errorf("Label %s was not included in the training dataset", PyRepr(label))
	}
	return i, nil
}

// String displays the vocab like an L: `(#37) ['Abyssinian','Bengal',...]`.
func (v *Vocab) String() string { return v.items.String() }

// Categorize is the type transform of CategoryBlock: it maps a label to its
// index in a vocab built from the training labels (fastai's Categorize,
// sort=True).
type Categorize struct {
	// Vocab, when set, fixes the classes and their order instead of the
	// sorted unique training labels. fastgo keeps the order given, as
	// fastai's Categorize(vocab, sort=False) does (fastai's default,
	// sort=True, would sort it).
	Vocab []string
	// AddNA puts the NA class ("#na#") first and maps labels missing from
	// the vocab (validation labels not seen in training) to it, instead of
	// failing (fastai's add_na, default false).
	AddNA bool
}

// CategoryBlock is fastai's CategoryBlock: single-label classification
// targets. The vocab is the sorted unique labels of the training split
// (Go's string order is Python's: "Abyssinian" < "Sphynx" < "american_bulldog").
func CategoryBlock() *Categorize { return &Categorize{} }

// Name is the transform's name as fastai's summary shows it.
func (c *Categorize) Name() string {
	vocab, sort := "None", "True"
	if c.Vocab != nil {
		vocab, sort = pyListRepr(c.Vocab), "False"
	}
	na := "False"
	if c.AddNA {
		na = "True"
	}
	return "Categorize -- {'vocab': " + vocab + ", 'sort': " + sort + ", 'add_na': " + na + "}"
}

// Setup builds the vocab from the training labels (fastai's setups:
// CategoryMap(labels, sort=True, add_na)), or from Vocab when set.
// Errors: a name that appears twice in Vocab.
func (c *Categorize) Setup(trainLabels []string) (*Vocab, error) {
	if c.Vocab != nil {
		if !c.AddNA {
			return NewVocab(c.Vocab) // duplicates are an error, not merged
		}
		if _, err := NewVocab(c.Vocab); err != nil {
			return nil, err
		}
		return CategoryMap(c.Vocab, false, true)
	}
	return CategoryMap(trainLabels, true, c.AddNA)
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
