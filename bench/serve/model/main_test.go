package main

import (
	"slices"
	"testing"

	"github.com/fastgo-ml/fastgo/internal/ops"
)

func TestOHWIToOIHWUndoesOIHWToOHWI(t *testing.T) {
	const o, i, kh, kw = 3, 2, 2, 3
	src := make([]float32, o*i*kh*kw)
	for k := range src {
		src[k] = float32(k)
	}
	if got := ohwiToOIHW(ops.OIHWToOHWI(src, o, i, kh, kw), o, kh, kw, i); !slices.Equal(got, src) {
		t.Errorf("round trip gave %v, want %v", got, src)
	}
}

func TestFastaiKey(t *testing.T) {
	for path, want := range map[string]string{
		"/body/conv1/weight":               "0.0.weight",
		"/body/bn1/running_var":            "0.1.running_var",
		"/body/layer1/0/conv1/weight":      "0.4.0.conv1.weight",
		"/body/layer4/0/downsample/1/bias": "0.7.0.downsample.1.bias",
		"/head/2/running_mean":             "1.2.running_mean",
		"/head/8/weight":                   "1.8.weight",
		"/_opt/body/conv1/weight/m":        "",
		"/#rngState":                       "",
	} {
		got, ok := fastaiKey(path)
		if got != want || ok != (want != "") {
			t.Errorf("fastaiKey(%q) = %q, %v; want %q", path, got, ok, want)
		}
	}
}
