package ops

import (
	"slices"
	"testing"
)

func TestOHWIToOIHWUndoesOIHWToOHWI(t *testing.T) {
	const o, i, kh, kw = 3, 2, 2, 3
	src := make([]float32, o*i*kh*kw)
	for k := range src {
		src[k] = float32(k)
	}
	ohwi := OIHWToOHWI(src, o, i, kh, kw)
	if slices.Equal(ohwi, src) {
		t.Fatal("OIHWToOHWI left the kernel as it was")
	}
	if got := OHWIToOIHW(ohwi, o, kh, kw, i); !slices.Equal(got, src) {
		t.Errorf("round trip gave %v, want %v", got, src)
	}
}
