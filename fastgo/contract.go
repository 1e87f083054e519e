package fastgo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Split says which subset an item or batch belongs to.
type Split int

const (
	// Train is the training subset: random item transforms (crop position)
	// and augmentation apply.
	Train Split = 0
	// Valid is the validation subset: deterministic, centred transforms.
	Valid Split = 1
)

func (s Split) String() string {
	if s == Valid {
		return "valid"
	}
	return "train"
}

// ItemContext is what an item transform knows about the item it works on.
type ItemContext struct {
	Split Split
	// Rand is seeded from the DataLoader's seed, the epoch and the item's
	// index, so results do not depend on worker scheduling.
	Rand *rand.Rand
}

// Value is a sample's input (x) after its block created it, e.g. a decoded
// image. Item transforms change it; collation turns a slice of them into a
// batch.
type Value interface {
	// Describe is the short form Summary prints, e.g. "PILImage mode=RGB size=500x414".
	Describe() string
	// TensorShape is the shape the value has as a tensor, in fastai's
	// channel-first convention for display (e.g. [3 414 500]); Summary's
	// collate diagnosis prints it.
	TensorShape() []int
}

// InputBlock creates the input value of a sample from its item (fastai's
// TransformBlock type transforms, e.g. PILBase.create for ImageBlock).
type InputBlock interface {
	// Name is the type-transform pipeline name shown by Summary ("PILBase.create").
	Name() string
	// Create loads the value for one item; errors name the item.
	Create(item Path) (Value, error)
	// Collate stacks same-shaped values into one uint8 batch tensor
	// ([B,H,W,3] for images). It returns a *CollateError when shapes differ.
	Collate(values []Value) (ByteTensor, error)
}

// ItemTransform runs on the CPU on each sample's input value (fastai's
// item_tfms, e.g. vision.Resize(460)).
type ItemTransform interface {
	// Name is shown by Summary, e.g. "Resize -- {'size': (460, 460), 'method': 'crop', 'pad_mode': 'reflection'}".
	Name() string
	Apply(v Value, ctx ItemContext) (Value, error)
}

// BatchTransform runs on the device, inside the GoMLX graph (fastai's
// batch_tfms). fastgo only carries them from the DataBlock to the learner;
// the concrete ones (augment.AugTransforms, augment.Normalize) also implement
// device.Transform.
type BatchTransform interface {
	Name() string
}

// BatchSetupper is implemented by batch transforms that take settings
// from the data (fastai's Transform.setups, which TfmdDL calls with the
// training loader): DataBlock.DataLoaders calls SetupBatch on each, in
// order, once both loaders exist, passing the batch transforms that come
// before it (augment.NormalizeFromBatch measures one training batch after
// them). An error fails DataLoaders, naming the transform.
type BatchSetupper interface {
	SetupBatch(dls *DataLoaders, before []BatchTransform) error
}

// TransformSpec describes a transform by name and numeric parameters, so
// that a program loading an exported model can build the same transform
// without the training code (vision.ItemTransformFromSpec,
// augment.BatchTransformFromSpec). fastai pickles the transforms
// themselves in learn.export; a name and numbers is the part of that a Go
// program can rebuild.
type TransformSpec struct {
	// Name is the constructor's name, e.g. "Resize", "AugTransforms", "Normalize".
	Name string
	// Params holds its settings, e.g. "size": [460], "mean": [0.485 0.456 0.406].
	Params map[string][]float64
}

// MaxSide is the largest side, in pixels, of the square images fastgo's
// transforms make (vision.Resize, augment.AugTransforms) and of any size a
// model file records: 16384 (a 805 MB image). A larger size is a typo or a
// broken file, and would exhaust memory in a loader rather than fail.
const MaxSide = 1 << 14

// Int reads the spec's parameter key as one whole number from lo to
// MaxSide (a larger side is a broken file, not a model): a spec comes from
// a model file, which is user input. Errors name the transform, the key
// and the value.
func (s TransformSpec) Int(key string, lo int) (int, error) {
	v := s.Params[key]
	if len(v) != 1 || v[0] != math.Trunc(v[0]) || v[0] < float64(lo) || v[0] > MaxSide {
		return 0, fmt.Errorf("%s spec: %s is %v, want one whole number from %d to %d", s.Name, key, v, lo, MaxSide)
	}
	return int(v[0]), nil
}

// Specifier is implemented by transforms that can describe themselves, so
// that learner.Export can record them.
type Specifier interface {
	Spec() TransformSpec
}

// ByteTensor is a dense uint8 tensor in row-major order: the only thing the
// CPU pipeline hands to the device. Images are NHWC: [B,H,W,3].
type ByteTensor struct {
	Shape []int
	Data  []uint8
}

// CollateError is returned when the samples of a batch do not share a shape.
type CollateError struct {
	// Shapes holds every sample's TensorShape, in batch order.
	Shapes [][]int
}

// Error says which shapes differ and what to do about it.
func (e *CollateError) Error() string {
	shapes := make([]string, len(e.Shapes))
	for i, s := range e.Shapes {
		shapes[i] = fmt.Sprintf("item %d: %v", i, s)
	}
	return "cannot collate the items into a batch: they do not all have the same shape (" +
		strings.Join(shapes, ", ") + "); add an item transform that gives every item the same size " +
		"to the DataBlock's ItemTfms, e.g. vision.Resize(460)"
}

// TorchShapes is the shapes as PyTorch prints them, comma-joined, as
// fastai's summary shows them: `torch.Size([3, 414, 500]),torch.Size([3, 375, 500])`.
func (e *CollateError) TorchShapes() string {
	out := make([]string, len(e.Shapes))
	for i, s := range e.Shapes {
		dims := make([]string, len(s))
		for j, d := range s {
			dims[j] = strconv.Itoa(d)
		}
		out[i] = "torch.Size([" + strings.Join(dims, ", ") + "])"
	}
	return strings.Join(out, ",")
}
