package fastgo_test

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/fastgo-ml/fastgo/fastgo"
)

// fakeImage is an "image" that is only a size and a seed for its pixels, so
// the data pipeline can be tested without decoding anything.
type fakeImage struct {
	item   fastgo.Path
	h, w   int
	offset int // set by fakeResize from the item's random numbers
}

func (f fakeImage) Describe() string   { return fmt.Sprintf("PILImage mode=RGB size=%dx%d", f.w, f.h) }
func (f fakeImage) TensorShape() []int { return []int{3, f.h, f.w} }

// fakeBlock plays vision.ImageBlock: an item's size comes from its name
// (the pets' real sizes for the first ones Summary shows, a hash
// otherwise), and items named "broken_*" fail to load.
type fakeBlock struct {
	sizes map[string][2]int
}

func (fakeBlock) Name() string { return "PILBase.create" }

func (b fakeBlock) Create(item fastgo.Path) (fastgo.Value, error) {
	if strings.HasPrefix(item.Name(), "broken_") {
		return nil, fmt.Errorf("decode %s: not an image", item)
	}
	if s, ok := b.sizes[item.Name()]; ok {
		return fakeImage{item: item, h: s[0], w: s[1]}, nil
	}
	h := hash(string(item))
	return fakeImage{item: item, h: 200 + int(h%300), w: 250 + int(h/300%250)}, nil
}

func (fakeBlock) Collate(values []fastgo.Value) (fastgo.ByteTensor, error) {
	shapes := make([][]int, len(values))
	same := true
	for i, v := range values {
		shapes[i] = v.TensorShape()
		same = same && fmt.Sprint(shapes[i]) == fmt.Sprint(shapes[0])
	}
	if !same {
		return fastgo.ByteTensor{}, &fastgo.CollateError{Shapes: shapes}
	}
	f0 := values[0].(fakeImage)
	per := f0.h * f0.w * 3
	out := fastgo.ByteTensor{Shape: []int{len(values), f0.h, f0.w, 3}, Data: make([]uint8, len(values)*per)}
	for i, v := range values {
		f := v.(fakeImage)
		seed := hash(string(f.item)) + uint32(f.offset)
		// A few bytes are enough to tell samples apart, and keep the
		// loader benchmark about the loader.
		for j := range min(per, 64) {
			out.Data[i*per+j] = uint8(seed + uint32(j))
		}
	}
	return out, nil
}

// fakeResize plays vision.Resize: a square of the given size, with an
// offset drawn from the item's random numbers on the training set (the
// crop position) and fixed on the validation set.
type fakeResize struct{ size int }

func (r fakeResize) Name() string {
	return fmt.Sprintf("Resize -- {'size': (%d, %d), 'method': 'crop', 'pad_mode': 'reflection'}", r.size, r.size)
}

func (r fakeResize) Apply(v fastgo.Value, ctx fastgo.ItemContext) (fastgo.Value, error) {
	f, ok := v.(fakeImage)
	if !ok {
		return nil, errors.New("fakeResize: not a fakeImage")
	}
	f.h, f.w, f.offset = r.size, r.size, 50
	if ctx.Split == fastgo.Train {
		f.offset = ctx.Rand.IntN(100)
	}
	return f, nil
}

type fakeAug struct{}

func (fakeAug) Name() string { return "Flip -- {'p': 0.5}" }

func hash(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// breeds are the 37 Oxford-IIIT Pet classes: cats capitalised, dogs not.
var breeds = strings.Fields(`Abyssinian Bengal Birman Bombay British_Shorthair Egyptian_Mau Maine_Coon
Persian Ragdoll Russian_Blue Siamese Sphynx american_bulldog american_pit_bull_terrier basset_hound
beagle boxer chihuahua english_cocker_spaniel english_setter german_shorthaired great_pyrenees havanese
japanese_chin keeshond leonberger miniature_pinscher newfoundland pomeranian pug saint_bernard samoyed
scottish_terrier shiba_inu staffordshire_bull_terrier wheaten_terrier yorkshire_terrier`)

// petNames returns n pet-like file names under dir (breed_<k>.jpg, breeds
// in turn), without touching the disk: a GetItems for tests.
func petNames(n int) func(dir fastgo.Path) (fastgo.L[fastgo.Path], error) {
	return func(dir fastgo.Path) (fastgo.L[fastgo.Path], error) {
		out := make(fastgo.L[fastgo.Path], n)
		for i := range n {
			out[i] = dir.Join(fmt.Sprintf("%s_%d.jpg", breeds[i%len(breeds)], i/len(breeds)+1))
		}
		return out, nil
	}
}

// petsBlock is the chapter's DataBlock with fakes for the image parts.
func petsBlock(n int, itemTfms ...fastgo.ItemTransform) *fastgo.DataBlock {
	return &fastgo.DataBlock{
		Blocks:   fastgo.Blocks{X: fakeBlock{}, Y: fastgo.CategoryBlock()},
		GetItems: petNames(n),
		Splitter: fastgo.RandomSplitter(0.2, 42),
		GetY:     fastgo.UsingName(fastgo.RegexLabeller(`(.+)_\d+.jpg$`)),
		ItemTfms: itemTfms,
	}
}
