package vision

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
)

func TestImageBlockCreate(t *testing.T) {
	b := ImageBlock()
	if b.Name() != "PILBase.create" {
		t.Errorf("Name() = %q, want PILBase.create", b.Name())
	}
	v, err := b.Create(fastgo.Path(filepath.Join(testImages, "Abyssinian_1.jpg")))
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Describe(); got != "PILImage mode=RGB size=600x400" {
		t.Errorf("Describe() = %q", got)
	}
	if got := v.TensorShape(); !reflect.DeepEqual(got, []int{3, 400, 600}) {
		t.Errorf("TensorShape() = %v, want [3 400 600]", got)
	}
	missing := fastgo.Path(filepath.Join(t.TempDir(), "nope.jpg"))
	if _, err := b.Create(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Create(missing) error %v, want a not-exist error", err)
	}
}

func TestImageBlockCollate(t *testing.T) {
	a, c := numbered(3, 2), checkerboard(3, 2)
	x, err := ImageBlock().Collate([]fastgo.Value{a, &c})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(x.Shape, []int{2, 2, 3, 3}) {
		t.Errorf("shape %v, want [2 2 3 3] (NHWC)", x.Shape)
	}
	if !reflect.DeepEqual(x.Data, append(append([]uint8{}, a.Pix...), c.Pix...)) {
		t.Errorf("data is not the two images one after the other")
	}

	_, err = ImageBlock().Collate([]fastgo.Value{a, numbered(2, 3), a})
	var ce *fastgo.CollateError
	if !errors.As(err, &ce) {
		t.Fatalf("mismatched sizes gave %v, want a *fastgo.CollateError", err)
	}
	if want := [][]int{{3, 2, 3}, {3, 3, 2}, {3, 2, 3}}; !reflect.DeepEqual(ce.Shapes, want) {
		t.Errorf("CollateError shapes %v, want %v", ce.Shapes, want)
	}
	if _, err := ImageBlock().Collate(nil); err == nil {
		t.Error("an empty batch gave no error")
	}
}

func TestImageStd(t *testing.T) {
	m := numbered(4, 3)
	std := m.ToStd()
	if std.Bounds().Dx() != 4 || std.Bounds().Dy() != 3 || std.RGBAAt(2, 1) != m.At(2, 1) {
		t.Errorf("ToStd pixel (2,1) = %v, want %v", std.RGBAAt(2, 1), m.At(2, 1))
	}
	assertSameImage(t, "FromStd(ToStd(m))", FromStd(std), m)
}

// samplePath is the shared 739-image Oxford-IIIT Pet sample, seen from this
// package's folder (the repository root's ../shared).
const samplePath = "../../../shared/data/oxford-iiit-pet-sample/images"

// TestSharedSample decodes every image of the shared sample and resizes
// every tenth (every one with FASTGO_HEAVY=1) to 460×460: the real
// dataset's quirks (a GIF named .jpg) must not stop it.
func TestSharedSample(t *testing.T) {
	entries, err := os.ReadDir(samplePath)
	if err != nil {
		t.Skipf("the shared pet sample is not here (%v): this test needs ../shared/data/oxford-iiit-pet-sample next to the repository", err)
	}
	if testing.Short() {
		t.Skip("decoding 739 images takes seconds; skipped with -short")
	}
	r := Resize(460)
	formats := map[string]int{}
	for i, e := range entries {
		p := filepath.Join(samplePath, e.Name())
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		formats[FormatOf(data)]++
		m, err := Decode(data, p)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if i%10 != 0 && os.Getenv("FASTGO_HEAVY") == "" {
			continue
		}
		split := fastgo.Valid
		if i%2 == 0 {
			split = fastgo.Train
		}
		out, err := r.Apply(m, fastgo.ItemContext{Split: split, Rand: rand.New(rand.NewPCG(uint64(i), 0))})
		if err != nil {
			t.Errorf("%s: %v", e.Name(), err)
			continue
		}
		if s := out.Describe(); s != "PILImage mode=RGB size=460x460" {
			t.Errorf("%s: resized to %s", e.Name(), s)
		}
	}
	if len(entries) != 739 || formats["GIF"] != 1 || formats["JPEG"] != 738 {
		t.Errorf("%d files, formats %v; want 739 files: 738 JPEG and 1 GIF", len(entries), formats)
	}
	data, err := os.ReadFile(filepath.Join(samplePath, "Abyssinian_34.jpg"))
	if err != nil || FormatOf(data) != "GIF" {
		t.Errorf("Abyssinian_34.jpg: %v, format %q, want GIF", err, FormatOf(data))
	}
}

func ExampleImageBlock() {
	block := ImageBlock()
	v, err := block.Create("../../testdata/images/Abyssinian_34.jpg") // a GIF, despite its name
	if err != nil {
		panic(err)
	}
	fmt.Println(block.Name(), v.Describe(), v.TensorShape())

	small := ResizeImage(v.(Image), 8, 8)
	batch, err := block.Collate([]fastgo.Value{small, small})
	if err != nil {
		panic(err)
	}
	fmt.Println(batch.Shape)

	_, err = block.Collate([]fastgo.Value{v, small})
	var ce *fastgo.CollateError
	fmt.Println(errors.As(err, &ce), ce.Shapes)
	// Output:
	// PILBase.create PILImage mode=RGB size=250x202 [3 202 250]
	// [2 8 8 3]
	// true [[3 202 250] [3 8 8]]
}
