package tensor_test

import (
	"math"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo/tensor"
)

// Each case is what PyTorch 2.x prints for the same tensor (default print
// options), derived from torch/_tensor_str.py's rules.
func TestEagerTensorPrintsLikePyTorch(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	cases := []struct {
		name string
		t    *tensor.Tensor
		want string
	}{
		{"scalar", tensor.New(1.80449), "tensor(1.8045)"},
		{"negative scalar", tensor.New(-0.5), "tensor(-0.5000)"},
		{"zero scalar (int mode)", tensor.New(0.0), "tensor(0.)"},
		{"int scalar", tensor.New(7), "tensor(7)"},
		{"integral floats", tensor.New([]float64{0, 1, -2}), "tensor([ 0.,  1., -2.])"},
		{"ints share a width", tensor.New([]int{3, -12, 100}), "tensor([  3, -12, 100])"},
		{"sign space", tensor.New([]float64{-1.5, 2.25}), "tensor([-1.5000,  2.2500])"},
		{"zero ignored for width", tensor.New([]float64{0, 0.5}), "tensor([0.0000, 0.5000])"},
		{"ratio over 1000 → sci", tensor.New([]float64{0.001, 1.5}), "tensor([1.0000e-03, 1.5000e+00])"},
		{"ratio exactly 1000 stays fixed", tensor.New([]float64{0.5, 500}), "tensor([  0.5000, 500.0000])"},
		{"below 1e-4 → sci", tensor.New([]float64{0.00005, 0.00006}), "tensor([5.0000e-05, 6.0000e-05])"},
		{"over 1e8 → sci", tensor.New([]float64{2e8, 3e8}), "tensor([2.0000e+08, 3.0000e+08])"},
		{"integral over 1000x → sci", tensor.New([]float64{1, 2000}), "tensor([1.0000e+00, 2.0000e+03])"},
		{"integral tiny stays int", tensor.New([]float64{1, 2}), "tensor([1., 2.])"},
		{"non-finite", tensor.New([]float64{nan, inf, -inf, 1.5}), "tensor([   nan,    inf,   -inf, 1.5000])"},
		{"non-finite int mode", tensor.New([]float64{nan, 2}), "tensor([nan, 2.])"},
		{"empty 1-D", tensor.New([]float64{}), "tensor([])"},
		{"empty int", tensor.New([]int{}), "tensor([], dtype=torch.int64)"},
		{"empty 2-D", tensor.FromData(nil, 0, 2), "tensor([], size=(0, 2))"},
		{"3-D blank line between blocks", tensor.New([][][]int{{{1, 2}}, {{3, 4}}}), "tensor([[[1, 2]],\n\n        [[3, 4]]])"},
		{"wrapped vector", tensor.Range(30), "tensor([ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, 16, 17,\n" +
			"        18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29])"},
		{"summarised vector", tensor.Range(1001), "tensor([   0,    1,    2,  ...,  998,  999, 1000])"},
	}
	for _, c := range cases {
		if got := c.t.String(); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

// A summarised matrix decides its width from the shown values only: the
// hidden 1e6 must not switch it to scientific notation.
func TestEagerTensorSummaryWidthFromShownValues(t *testing.T) {
	data := make([]float64, 40*40)
	for i := range data {
		data[i] = 0.5
	}
	data[20*40+20] = 1e6 // hidden in the middle
	got := tensor.FromData(data, 40, 40).String()
	want := "tensor([[0.5000, 0.5000, 0.5000,  ..., 0.5000, 0.5000, 0.5000],\n" +
		"        [0.5000, 0.5000, 0.5000,  ..., 0.5000, 0.5000, 0.5000],\n" +
		"        [0.5000, 0.5000, 0.5000,  ..., 0.5000, 0.5000, 0.5000],\n" +
		"        ...,\n" +
		"        [0.5000, 0.5000, 0.5000,  ..., 0.5000, 0.5000, 0.5000],\n" +
		"        [0.5000, 0.5000, 0.5000,  ..., 0.5000, 0.5000, 0.5000],\n" +
		"        [0.5000, 0.5000, 0.5000,  ..., 0.5000, 0.5000, 0.5000]])"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// Below the threshold (1000 elements) nothing is hidden.
	if s := tensor.Range(1000).String(); strings.Contains(s, "...") || !strings.Contains(s, "999]") {
		t.Errorf("Range(1000) must print every element, got %.60q…", s)
	}
}

// Any float32 values print without panicking as one tensor([...]) whose
// items are all there and whose lines fit PyTorch's 80 columns.
func FuzzEagerTensorString(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 0, 192})                // 1, -2
	f.Add([]byte{0, 0, 192, 127, 0, 0, 128, 127, 1, 0, 0, 0}) // NaN, +Inf, denormal
	f.Fuzz(func(t *testing.T, raw []byte) {
		n := min(len(raw)/4, 1000)
		data := make([]float64, n)
		for i := range data {
			bits := uint32(raw[4*i]) | uint32(raw[4*i+1])<<8 | uint32(raw[4*i+2])<<16 | uint32(raw[4*i+3])<<24
			data[i] = float64(math.Float32frombits(bits))
		}
		s := tensor.FromData(data).String()
		if !strings.HasPrefix(s, "tensor([") || !strings.HasSuffix(s, "])") {
			t.Fatalf("%v printed as %q", data, s)
		}
		for _, line := range strings.Split(s, "\n") {
			if len(line) > 80 {
				t.Errorf("line of %d characters: %q", len(line), line)
			}
		}
		inner := strings.TrimSuffix(strings.TrimPrefix(s, "tensor(["), "])")
		if got := len(strings.Split(inner, ",")); n > 0 && got != n {
			t.Errorf("%d values printed as %d items: %q", n, got, s)
		}
	})
}
