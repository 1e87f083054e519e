// Package testutil holds helpers shared by fastgo's tests.
package testutil

import (
	"image"
	"image/png"
	"os"
	"testing"
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
