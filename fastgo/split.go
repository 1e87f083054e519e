package fastgo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// Splitter divides items into a training and a validation set, returning
// the indices of each (fastai's splitter functions).
type Splitter func(items L[Path]) (train, valid []int, err error)

// RandomSplitter is fastai's RandomSplitter: a seeded random permutation of
// the items; its first int(validPct·N) indices are the validation set, the
// rest (in permutation order) the training set. 7390 items with 0.2 give
// 5912 / 1478.
//
// The permutation comes from math/rand/v2's PCG seeded with seed, not from
// torch, so the same seed picks different items than fastai does.
func RandomSplitter(validPct float64, seed uint64) Splitter {
	return func(items L[Path]) ([]int, []int, error) {
		if !(validPct >= 0 && validPct <= 1) {
			return nil, nil, fmt.Errorf("RandomSplitter: validPct is %v; use a fraction between 0 and 1, e.g. 0.2", validPct)
		}
		n := len(items)
		perm := rand.New(rand.NewPCG(seed, splitStream)).Perm(n)
		cut := int(validPct * float64(n))
		return perm[cut:], perm[:cut], nil
	}
}

// splitStream is PCG's second seed word for splitters, so a splitter and a
// DataLoader given the same seed do not draw the same numbers.
const splitStream = 0x5eed_5417

// GrandparentSplitter is fastai's GrandparentSplitter(train_name,
// valid_name) (fastai's defaults: "train", "valid"): items whose
// grandparent folder is named trainName ("train/cats/1.jpg") go to the
// training set, those under validName to the validation set, the others
// to neither. See [GrandparentSplitterNames] for several names per set.
func GrandparentSplitter(trainName, validName string) Splitter {
	return GrandparentSplitterNames([]string{trainName}, []string{validName})
}

// GrandparentSplitterNames is GrandparentSplitter with several folder
// names per set (fastai's train_name=('train', 'valid')): each set lists
// the items of its first name, in item order, then those of the next name,
// as fastai does; an item whose grandparent is named in both lists is in
// both sets. Errors: no item in the training folders (fastai returns an
// empty training set, which fails later, far from the cause).
func GrandparentSplitterNames(trainNames, validNames []string) Splitter {
	trainNames, validNames = slices.Clone(trainNames), slices.Clone(validNames)
	return func(items L[Path]) ([]int, []int, error) {
		idxs := func(names []string) []int {
			out := []int{}
			for _, name := range names {
				for i, p := range items {
					if p.Parent().Parent().Name() == name {
						out = append(out, i)
					}
				}
			}
			return out
		}
		train, valid := idxs(trainNames), idxs(validNames)
		if len(train) == 0 {
			return nil, nil, fmt.Errorf("GrandparentSplitter: no item lies in a folder %s/<label>/ — check the folder names or use another splitter", strings.Join(Map(L[string](trainNames), PyRepr), " or "))
		}
		return train, valid, nil
	}
}

// FuncSplitter is fastai's FuncSplitter: items for which isValid is true go
// to the validation set, the others to the training set.
func FuncSplitter(isValid func(Path) bool) Splitter {
	return func(items L[Path]) ([]int, []int, error) {
		train, valid := []int{}, []int{}
		for i, p := range items {
			if isValid(p) {
				valid = append(valid, i)
			} else {
				train = append(train, i)
			}
		}
		return train, valid, nil
	}
}
