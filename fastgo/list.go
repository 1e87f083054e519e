package fastgo

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// ReprItems is how many items an L shows before "...". fastcore showed 10
// until late 2024 and 20 since; fastgo follows the book, which shows 10.
const ReprItems = 10

// L is fastcore's L: a list that displays as `(#N) [a,b,...]` — the count,
// then the first ReprItems items joined by commas without spaces, then
// "..." when there are more.
type L[T any] []T

// Len is the number of items.
func (l L[T]) Len() int { return len(l) }

// At returns item i; negative indices count from the end, as in Python.
func (l L[T]) At(i int) T {
	if i < 0 {
		i += len(l)
	}
	return l[i]
}

// Filter returns the items for which keep is true, in order.
func (l L[T]) Filter(keep func(T) bool) L[T] {
	out := L[T]{}
	for _, v := range l {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}

// String renders the list the way fastai shows it in a notebook:
// CollRepr(l, ReprItems).
func (l L[T]) String() string { return CollRepr(l, ReprItems) }

// CollRepr is fastcore's coll_repr(c, max_n): "(#N) [", the Python reprs
// of the first maxN items joined by "," (no space), "..." right after the
// last one shown when there are more than maxN, then "]". Strings are
// quoted as Python's repr does, bools are True/False, other items use
// their String method or fmt's default. maxN below 0 shows no item
// (Python's islice would raise). fastcore's default max_n is 20 since late
// 2024 (10 before, as the book shows); L's String uses ReprItems.
//
//	CollRepr([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 5) // (#10) [0,1,2,3,4...]
func CollRepr[T any](items []T, maxN int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "(#%d) [", len(items))
	for i, v := range items {
		if i >= maxN {
			b.WriteString("...")
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(repr(v))
	}
	b.WriteByte(']')
	return b.String()
}

// Select returns the items at idxs, in that order (fastcore's `l[[3,1]]`).
// Like At, negative indices count from the end.
func (l L[T]) Select(idxs []int) L[T] {
	out := make(L[T], len(idxs))
	for i, j := range idxs {
		out[i] = l.At(j)
	}
	return out
}

// repr is Python's repr for the values an L usually holds.
func repr(v any) string {
	switch x := v.(type) {
	case string:
		return PyRepr(x)
	case bool:
		if x {
			return "True"
		}
		return "False"
	case fmt.Stringer:
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}

// Map applies f to every item (a function, since Go methods cannot take
// type parameters).
func Map[T, U any](l L[T], f func(T) U) L[U] {
	out := make(L[U], len(l))
	for i, v := range l {
		out[i] = f(v)
	}
	return out
}

// Sorted returns a sorted copy.
func Sorted[T cmp.Ordered](l L[T]) L[T] {
	out := slices.Clone(l)
	slices.Sort(out)
	return out
}

// SortedBy returns a copy sorted by key, stable for equal keys.
func SortedBy[T any, K cmp.Ordered](l L[T], key func(T) K) L[T] {
	out := slices.Clone(l)
	slices.SortStableFunc(out, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	return out
}

// Unique returns the items with duplicates removed, keeping first
// occurrences in order.
func Unique[T comparable](l L[T]) L[T] {
	seen := make(map[T]bool, len(l))
	out := L[T]{}
	for _, v := range l {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// Index is the position of the first item equal to v, or -1 (fastcore's
// L.index, which raises instead).
func Index[T comparable](l L[T], v T) int {
	return slices.Index(l, v)
}

// PyList is how Jupyter shows a Python list of these items (IPython's
// pretty printer): `['great_pyrenees']` on one line when it fits in 79
// characters, else one item per line:
//
//	[('american_pit_bull_terrier', 'staffordshire_bull_terrier', 10),
//	 ('Ragdoll', 'Birman', 8)]
//
// Strings are quoted as Python's repr does (see PyRepr), bools are
// True/False, other items use their String method or fmt's default.
func PyList[T any](items []T) string {
	parts := make([]string, len(items))
	n := 2
	for i, v := range items {
		parts[i] = repr(v)
		n += len(parts[i]) + 2
	}
	if n-2 <= pyLineWidth || len(parts) < 2 {
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return "[" + strings.Join(parts, ",\n ") + "]"
}

// pyLineWidth is IPython's pretty-printer width.
const pyLineWidth = 79

// PyRepr is Python's repr of a str, as fastai prints labels and paths:
// single quotes unless the text holds a single quote and no double quote;
// backslash escapes for the quote, the backslash, \t \n \r and
// unprintable characters.
func PyRepr(s string) string {
	q := '\''
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		q = '"'
	}
	var b strings.Builder
	b.WriteRune(q)
	for _, r := range s {
		switch {
		case r == q || r == '\\':
			b.WriteRune('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == ' ' || unicode.IsPrint(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	b.WriteRune(q)
	return b.String()
}
