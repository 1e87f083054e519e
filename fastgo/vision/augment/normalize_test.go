package augment

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/device"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/internal/testutil/testpets"
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

// NormalizeFromBatch (fastai's Normalize() without statistics) measures
// the first training batch after the transforms before it: the stats are
// that batch's per-channel mean and unbiased std + 1e-7, and that batch
// normalised has mean 0 and std 1 per channel.
func TestNormalizeFromBatch(t *testing.T) {
	norm := NormalizeFromBatch()
	if norm.Mean() != nil || !strings.Contains(norm.Name(), "'mean': None, 'std': None") {
		t.Fatalf("before setup: mean %v, name %q", norm.Mean(), norm.Name())
	}
	aug := MustAugTransforms(24, MinScale(0.75))
	dls := testpets.PetLoaders(t, vision.ImageBlock(), []fastgo.ItemTransform{vision.Resize(32)}, []fastgo.BatchTransform{aug, norm})
	mean, std := norm.Mean(), norm.Std()
	if len(mean) != 3 || len(std) != 3 {
		t.Fatalf("after DataLoaders: mean %v std %v", mean, std)
	}
	batch, err := dls.OneBatch()
	if err != nil {
		t.Fatal(err)
	}
	augmented, err := device.ApplyBatchTransforms(augBackendT(t), []device.Transform{aug}, batch.X, fastgo.Train, dls.Train.Seed)
	if err != nil {
		t.Fatal(err)
	}
	v := augFloats(t, augmented)
	for c := range 3 {
		m, sd := channelMeanStd(v, c, 3)
		sd += 1e-7
		if math.Abs(float64(mean[c])-m) > 1e-6 || math.Abs(float64(std[c])-sd) > 1e-6 {
			t.Errorf("channel %d: measured %g/%g, want %g/%g", c, mean[c], std[c], m, sd)
		}
	}
	out, err := device.ApplyBatchTransforms(augBackendT(t), []device.Transform{aug, norm}, batch.X, fastgo.Train, dls.Train.Seed)
	if err != nil {
		t.Fatal(err)
	}
	z := augFloats(t, out)
	for c := range 3 {
		if m, sd := channelMeanStd(z, c, 3); math.Abs(m) > 1e-4 || math.Abs(sd-1) > 1e-4 {
			t.Errorf("channel %d normalised: mean %g, std %g; want 0 and 1", c, m, sd)
		}
	}
	// Measured once: another DataLoaders keeps the statistics (as fastai).
	testpets.PetLoaders(t, vision.ImageBlock(), []fastgo.ItemTransform{vision.Resize(16)}, []fastgo.BatchTransform{norm})
	if got := norm.Mean(); !slices.Equal(got, mean) {
		t.Errorf("set up again: %v, was %v", got, mean)
	}
	// The statistics travel with an export.
	back, err := BatchTransformFromSpec(norm.Spec())
	if err != nil || !slices.Equal(back.(*Normalization).Std(), std) {
		t.Errorf("spec round trip: %v %v", back, err)
	}
	// Fewer training items than a batch: the batch there is.
	small := NormalizeFromBatch()
	testpets.PetLoaders(t, vision.ImageBlock(), []fastgo.ItemTransform{vision.Resize(16)}, []fastgo.BatchTransform{small}, fastgo.WithBatchSize(64))
	if len(small.Mean()) != 3 {
		t.Errorf("8 training items, batch size 64: not measured (%v)", small.Mean())
	}
	// Not set up: running it is an error, not NaN.
	fresh := NormalizeFromBatch()
	if _, err := device.ApplyBatchTransforms(augBackendT(t), []device.Transform{fresh}, batch.X, fastgo.Train, 0); err == nil || !strings.Contains(err.Error(), "not measured yet") {
		t.Errorf("unmeasured: %v", err)
	}
	if _, err := DecodeBatch(out, fresh); err == nil {
		t.Error("DecodeBatch with an unmeasured normalisation: no error")
	}
}

// channelMeanStd is channel c's mean and unbiased standard deviation in
// NHWC values with nc channels (float64, two passes).
func channelMeanStd(v []float64, c, nc int) (mean, std float64) {
	n := 0
	for i := c; i < len(v); i += nc {
		mean += v[i]
		n++
	}
	mean /= float64(n)
	for i := c; i < len(v); i += nc {
		std += (v[i] - mean) * (v[i] - mean)
	}
	return mean, math.Sqrt(std / float64(n-1))
}
