// Package testutil holds helpers shared by fastgo's tests.
package testutil

import (
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/tensors"
)

// ReadPNG decodes the PNG file at path, failing the test when it is missing
// or not a PNG.
func ReadPNG(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s is not a PNG: %v", path, err)
	}
	return img
}

// ReadFields is the whitespace-separated fields of a text file (a list of
// names written by scripts/parity_torch.py), failing the test when it
// cannot be read.
func ReadFields(t testing.TB, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(data))
}

// RandNormal is a float32 tensor of the given shape filled with standard
// normal draws from rng.
func RandNormal(rng *rand.Rand, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(data, dims...)
}
