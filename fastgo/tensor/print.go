package tensor

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// PyTorch's default print options (torch.set_printoptions).
const (
	printPrecision = 4    // digits after the point
	printThreshold = 1000 // more elements than this are summarised with "..."
	printEdgeItems = 3    // items kept at each end of a summarised dimension
	printLineWidth = 80   // 1-D rows wrap to stay within this width
)

// String prints the tensor as PyTorch's repr does with default print
// options, e.g.
//
//	tensor([[ 0.6734,  0.2576],
//	        [-2.2457, -0.3727]])
//
// Float values have 4 decimals and share one width per tensor (so a
// negative sign leaves a space before positive values); all-integral float
// tensors print as `tensor([0., 1.])`; int tensors as `tensor([0, 1, 0])`;
// bool tensors as `tensor([ True, False])`; scalars as `tensor(1.8045)`. Scientific notation (`1.0000e-05`) is used
// for the whole tensor when the largest non-zero magnitude is over 1000
// times the smallest, over 1e8, or (for non-integral values) the smallest is
// below 1e-4. Tensors of more than 1000 elements show only their first and
// last 3 items per dimension. A tensor carrying an error prints
// `tensor(error: <message>)`.
func (t *Tensor) String() string {
	if err := t.Err(); err != nil {
		return "tensor(error: " + err.Error() + ")"
	}
	const prefix = "tensor("
	indent := len(prefix)
	var body string
	var suffixes []string
	if len(t.data) == 0 {
		body = "[]"
		if len(t.shape) != 1 {
			suffixes = append(suffixes, "size="+pyTuple(t.shape))
		}
		if t.kind != floatKind { // nothing else would show what an empty tensor holds
			suffixes = append(suffixes, "dtype=torch."+t.dtype())
		}
	} else {
		summarize := len(t.data) > printThreshold
		seen := t.data
		if summarize {
			seen = summarizedData(t.shape, t.data)
		}
		f := newFormatter(seen, t.kind)
		body = formatNested(t.shape, t.data, indent, summarize, f)
	}
	return addSuffixes(prefix+body, suffixes, indent)
}

// formatter is torch._tensor_str._Formatter: one element format and width
// for a whole tensor.
type formatter struct {
	kind    kind
	intMode bool // float tensor whose finite values are all integral
	sciMode bool
	width   int
}

func newFormatter(values []float64, k kind) formatter {
	f := formatter{kind: k, intMode: true, width: 1}
	if k == boolKind {
		for _, v := range values {
			f.width = max(f.width, len(boolString(v)))
		}
		return f
	}
	if k == intKind {
		for _, v := range values {
			f.width = max(f.width, len(strconv.FormatInt(int64(v), 10)))
		}
		return f
	}
	var nonzero []float64
	for _, v := range values {
		if v != 0 && !math.IsInf(v, 0) && !math.IsNaN(v) {
			nonzero = append(nonzero, v)
		}
	}
	if len(nonzero) == 0 {
		return f
	}
	lo, hi := math.Inf(1), 0.0
	for _, v := range nonzero {
		lo, hi = math.Min(lo, math.Abs(v)), math.Max(hi, math.Abs(v))
		if v != math.Ceil(v) {
			f.intMode = false
		}
	}
	f.sciMode = hi/lo > 1000 || hi > 1e8 || (!f.intMode && lo < 1e-4)
	for _, v := range nonzero {
		switch {
		case f.sciMode:
			f.width = max(f.width, len(pyFloat(v, 'e')))
		case f.intMode:
			f.width = max(f.width, len(pyFloat0(v))+1) // +1 for the trailing "."
		default:
			f.width = max(f.width, len(pyFloat(v, 'f')))
		}
	}
	return f
}

func (f formatter) format(v float64) string {
	var s string
	switch {
	case f.kind == boolKind:
		s = boolString(v)
	case f.kind == intKind:
		s = strconv.FormatInt(int64(v), 10)
	case f.sciMode:
		s = pyFloat(v, 'e')
	case f.intMode:
		s = pyFloat0(v)
		if !math.IsInf(v, 0) && !math.IsNaN(v) {
			s += "."
		}
	default:
		s = pyFloat(v, 'f')
	}
	return strings.Repeat(" ", max(f.width-len(s), 0)) + s
}

// boolString is Python's repr of a bool stored as 1 or 0.
func boolString(v float64) string {
	if v != 0 {
		return "True"
	}
	return "False"
}

// FormatFloat is Python's f"{v:.Nf}" with N = decimals: "nan", "inf" and
// "-inf" for the non-finite values (where Go prints "NaN", "+Inf"). The
// learner's epoch table uses it.
func FormatFloat(v float64, decimals int) string {
	if s, ok := pyNonFinite(v); ok {
		return s
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

// pyFloat is Python's '{:.4f}' / '{:.4e}' (inf, -inf and nan spelled as
// Python does).
func pyFloat(v float64, verb byte) string {
	if s, ok := pyNonFinite(v); ok {
		return s
	}
	return strconv.FormatFloat(v, verb, printPrecision, 64)
}

// pyFloat0 is Python's '{:.0f}'.
func pyFloat0(v float64) string {
	if s, ok := pyNonFinite(v); ok {
		return s
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func pyNonFinite(v float64) (string, bool) {
	switch {
	case math.IsNaN(v):
		return "nan", true
	case math.IsInf(v, 1):
		return "inf", true
	case math.IsInf(v, -1):
		return "-inf", true
	}
	return "", false
}

// formatNested is torch's _tensor_str_with_formatter over a row-major block.
func formatNested(shape []int, data []float64, indent int, summarize bool, f formatter) string {
	switch len(shape) {
	case 0:
		return f.format(data[0])
	case 1:
		return formatVector(data, indent, summarize, f)
	}
	n := shape[0]
	size := len(data) / n
	sub := func(i int) string {
		return formatNested(shape[1:], data[i*size:(i+1)*size], indent+1, summarize, f)
	}
	var parts []string
	if summarize && n > 2*printEdgeItems {
		for i := range printEdgeItems {
			parts = append(parts, sub(i))
		}
		parts = append(parts, "...")
		for i := n - printEdgeItems; i < n; i++ {
			parts = append(parts, sub(i))
		}
	} else {
		for i := range n {
			parts = append(parts, sub(i))
		}
	}
	sep := "," + strings.Repeat("\n", len(shape)-1) + strings.Repeat(" ", indent+1)
	return "[" + strings.Join(parts, sep) + "]"
}

// formatVector is torch's _vector_str: elements joined by ", ", wrapped so
// that lines fit printLineWidth.
func formatVector(data []float64, indent int, summarize bool, f formatter) string {
	perLine := max(1, (printLineWidth-indent)/(f.width+2))
	var items []string
	if summarize && len(data) > 2*printEdgeItems {
		for _, v := range data[:printEdgeItems] {
			items = append(items, f.format(v))
		}
		items = append(items, " ...")
		for _, v := range data[len(data)-printEdgeItems:] {
			items = append(items, f.format(v))
		}
	} else {
		for _, v := range data {
			items = append(items, f.format(v))
		}
	}
	var lines []string
	for i := 0; i < len(items); i += perLine {
		lines = append(lines, strings.Join(items[i:min(i+perLine, len(items))], ", "))
	}
	return "[" + strings.Join(lines, ",\n"+strings.Repeat(" ", indent+1)) + "]"
}

// summarizedData is torch's get_summarized_data: the values a summarised
// print shows, which alone decide its format and width.
func summarizedData(shape []int, data []float64) []float64 {
	if len(shape) == 0 {
		return data
	}
	n := shape[0]
	if len(shape) == 1 {
		if n > 2*printEdgeItems {
			return append(append([]float64{}, data[:printEdgeItems]...), data[n-printEdgeItems:]...)
		}
		return data
	}
	size := len(data) / n
	var out []float64
	for i := range n {
		if n > 2*printEdgeItems && i >= printEdgeItems && i < n-printEdgeItems {
			continue
		}
		out = append(out, summarizedData(shape[1:], data[i*size:(i+1)*size])...)
	}
	return out
}

// addSuffixes is torch's _add_suffixes: ", size=(0, 2)" and the like, on a
// new line when the current one would pass printLineWidth.
func addSuffixes(s string, suffixes []string, indent int) string {
	var b strings.Builder
	b.WriteString(s)
	lastLine := len(s) - strings.LastIndex(s, "\n") + 1
	for _, suf := range suffixes {
		if lastLine+len(suf)+2 > printLineWidth {
			b.WriteString(",\n" + strings.Repeat(" ", indent) + suf)
			lastLine = indent + len(suf)
		} else {
			b.WriteString(", " + suf)
			lastLine += len(suf) + 2
		}
	}
	b.WriteString(")")
	return b.String()
}

// pyTuple is Python's repr of a tuple of ints: (0, 2), (0,), ().
func pyTuple(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// FormatRepr is Python's repr of a float (what print(x) shows for a
// Python float): the shortest digits that read back as v, "0.0" and
// "100000.0" with their ".0", exponent form below 1e-4 and from 1e16 on
// ("1e-05", "1.5e+16"), "nan", "inf" and "-inf". fastai's callbacks print
// their values so ("with valid_loss value: 0.2783").
func FormatRepr(v float64) string {
	if s, ok := pyNonFinite(v); ok {
		return s
	}
	if a := math.Abs(v); a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.FormatFloat(v, 'e', -1, 64)
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}
