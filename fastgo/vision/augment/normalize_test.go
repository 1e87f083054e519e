package augment

import (
	"fmt"
	"math"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/device"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

func TestNormalizeAndDecodeRoundTrip(t *testing.T) {
	batch := fastgo.ByteTensor{Shape: []int{2, 3, 5, 3}, Data: make([]uint8, 2*3*5*3)}
	for i := range batch.Data {
		batch.Data[i] = uint8(i * 37 % 256)
	}
	norm := MustNormalize(ImagenetStats())
	out, err := device.ApplyBatchTransforms(augBackendT(t), []device.Transform{norm}, batch, fastgo.Valid, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := augFloats(t, out)
	mean, std := ImagenetStats()
	for i, v := range got {
		c := i % 3
		if want := (float64(batch.Data[i])/255 - float64(mean[c])) / float64(std[c]); math.Abs(v-want) > 1e-5 {
			t.Fatalf("value %d: %g, want (x/255-mean)/std = %g", i, v, want)
		}
	}
	imgs, err := DecodeBatch(out, norm)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 2 || imgs[0].W != 5 || imgs[0].H != 3 {
		t.Fatalf("decoded %d images of %dx%d, want 2 of 5x3", len(imgs), imgs[0].W, imgs[0].H)
	}
	for i, img := range imgs {
		for j, p := range img.Pix {
			if want := batch.Data[i*45+j]; p != want {
				t.Fatalf("image %d byte %d decodes to %d, want %d", i, j, p, want)
			}
		}
	}
}

func TestDecodeBatchClampsAndRejects(t *testing.T) {
	x := tensors.FromFlatDataAndDimensions([]float32{-0.5, 0.5, 2, float32(math.NaN()), 1, 0}, 1, 1, 2, 3)
	imgs, err := DecodeBatch(x, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(imgs[0].Pix), "[0 128 255 0 255 0]"; got != want {
		t.Errorf("decoded %s, want %s", got, want)
	}
	for _, bad := range []*tensors.Tensor{
		nil,
		tensors.FromFlatDataAndDimensions([]float32{0, 0}, 1, 1, 2, 1),
		tensors.FromFlatDataAndDimensions([]int32{0, 0, 0}, 1, 1, 1, 3),
	} {
		if _, err := DecodeBatch(bad, nil); err == nil {
			t.Errorf("DecodeBatch accepted %v", bad)
		}
	}
}

func TestNormalizeRejects(t *testing.T) {
	for _, tc := range [][2][]float32{
		{nil, nil},
		{{0.5, 0.5}, {0.2}},
		{{0.5}, {0}},
		{{float32(math.Inf(1))}, {1}},
	} {
		if _, err := Normalize(tc[0], tc[1]); err == nil {
			t.Errorf("Normalize(%v, %v) accepted", tc[0], tc[1])
		}
	}
	// A channel mismatch is a graph-building error, reported by Exec.
	norm := MustNormalize([]float32{0.5}, []float32{0.5})
	e, err := graph.NewExec(augBackendT(t), func(x *graph.Node) *graph.Node { return norm.Apply(x, nil, fastgo.Train) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Call1(tensors.FromFlatDataAndDimensions(make([]float32, 6), 1, 1, 2, 3)); err == nil {
		t.Error("a 3-channel batch was normalised with 1-channel statistics")
	}
}

func ExampleNormalize() {
	norm, err := Normalize(ImagenetStats())
	if err != nil {
		panic(err)
	}
	fmt.Println(norm.Name())
	// Output:
	// Normalize -- {'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225], 'axes': (0, 2, 3)}
}
