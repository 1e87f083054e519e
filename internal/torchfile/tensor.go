package torchfile

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/nlpodyssey/gopickle/types"
)

// DType is a storage's element type, named as torch names its legacy
// storage classes without "Storage" ("Float" for torch.FloatStorage).
type DType string

// elemSize maps the storage classes torch.save names to their element size.
var elemSize = map[DType]int{
	"Float": 4, "Half": 2, "BFloat16": 2, "Double": 8, "Long": 8, "Int": 4, "Short": 2, "Char": 1,
	"Byte": 1, "Bool": 1,
}

// Size is the size in bytes of one element.
func (d DType) Size() int { return elemSize[d] }

// Floating says whether the type is a floating-point one (what
// [Tensor.Float32] reads).
func (d DType) Floating() bool {
	return d == "Float" || d == "Double" || d == "Half" || d == "BFloat16"
}

// storageClass is a storage class named in the pickle (torch.FloatStorage).
type storageClass struct{ dtype DType }

// Storage is one tensor storage of the file: its element type, the device
// it was saved from ("cpu", "cuda:0"), and its bytes, little-endian.
type Storage struct {
	DType    DType
	Location string
	Data     []byte
}

// Len is the number of elements.
func (s *Storage) Len() int { return len(s.Data) / s.DType.Size() }

// Tensor is a tensor of the file, as torch._utils._rebuild_tensor_v2 would
// build it: a view (offset, shape, strides in elements) of a storage.
// Parameter is set for nn.Parameter values; Type names a tensor subclass
// (fastai's TensorImage) when the file recorded one.
type Tensor struct {
	Storage      *Storage
	Offset       int
	Shape        []int
	Stride       []int
	RequiresGrad bool
	Parameter    bool
	Type         *Global
}

// Numel is the number of elements.
func (t *Tensor) Numel() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Float32 copies the tensor out of its storage in row-major order,
// converting float16, bfloat16 and float64 to float32. Integer and boolean
// tensors are an error.
func (t *Tensor) Float32() ([]float32, error) {
	s := t.Storage
	var read func(i int) float32
	switch s.DType {
	case "Float":
		read = func(i int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(s.Data[4*i:])) }
	case "Double":
		read = func(i int) float32 { return float32(math.Float64frombits(binary.LittleEndian.Uint64(s.Data[8*i:]))) }
	case "Half":
		read = func(i int) float32 { return halfToFloat(binary.LittleEndian.Uint16(s.Data[2*i:])) }
	case "BFloat16":
		read = func(i int) float32 {
			return math.Float32frombits(uint32(binary.LittleEndian.Uint16(s.Data[2*i:])) << 16)
		}
	default:
		return nil, fmt.Errorf("a %s tensor, not a floating-point one", s.DType)
	}
	if err := t.check(); err != nil {
		return nil, err
	}
	out := make([]float32, t.Numel())
	err := t.each(func(dst, src int) { out[dst] = read(src) })
	return out, err
}

// Int64 copies an integer tensor out of its storage in row-major order.
func (t *Tensor) Int64() ([]int64, error) {
	s := t.Storage
	var read func(i int) int64
	switch s.DType {
	case "Long":
		read = func(i int) int64 { return int64(binary.LittleEndian.Uint64(s.Data[8*i:])) }
	case "Int":
		read = func(i int) int64 { return int64(int32(binary.LittleEndian.Uint32(s.Data[4*i:]))) }
	default:
		return nil, fmt.Errorf("a %s tensor, not a 64- or 32-bit integer one", s.DType)
	}
	if err := t.check(); err != nil {
		return nil, err
	}
	out := make([]int64, t.Numel())
	err := t.each(func(dst, src int) { out[dst] = read(src) })
	return out, err
}

// maxNumel bounds a tensor's element count (8 GiB of float32).
const maxNumel = 1 << 31

// check says whether the view lies inside its storage and is of a size
// that can be copied out.
func (t *Tensor) check() error {
	n := t.Storage.Len()
	if len(t.Stride) != len(t.Shape) {
		return fmt.Errorf("shape %v and strides %v differ in length", t.Shape, t.Stride)
	}
	size := 1
	for _, d := range t.Shape {
		if d < 0 || d > maxNumel || size*d > maxNumel {
			return fmt.Errorf("shape %v: more than %d elements", t.Shape, maxNumel)
		}
		size *= d
	}
	if size == 0 {
		return nil
	}
	if t.Offset < 0 || t.Offset >= n {
		return fmt.Errorf("offset %d outside its storage of %d elements", t.Offset, n)
	}
	// The extreme storage positions the view reaches.
	lo, hi := t.Offset, t.Offset
	for a, d := range t.Shape {
		if d > 1 && (t.Stride[a] > n || t.Stride[a] < -n) {
			return fmt.Errorf("stride %d of shape %v past its storage of %d elements", t.Stride[a], t.Shape, n)
		}
		if t.Stride[a] >= 0 {
			hi += (d - 1) * t.Stride[a]
		} else {
			lo += (d - 1) * t.Stride[a]
		}
	}
	if lo < 0 || hi >= n {
		return fmt.Errorf("shape %v, strides %v and offset %d reach outside its storage of %d elements",
			t.Shape, t.Stride, t.Offset, n)
	}
	return nil
}

// each calls f for every element with its row-major index and its storage
// index; check has passed.
func (t *Tensor) each(f func(dst, src int)) error {
	size := t.Numel()
	idx := make([]int, len(t.Shape))
	for i := range size {
		off := t.Offset
		for a, v := range idx {
			off += v * t.Stride[a]
		}
		f(i, off)
		for a := len(idx) - 1; a >= 0; a-- {
			if idx[a]++; idx[a] < t.Shape[a] {
				break
			}
			idx[a] = 0
		}
	}
	return nil
}

// halfToFloat converts an IEEE 754 binary16 value to float32.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf, NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: normalise
		e := uint32(127 - 15 + 1)
		for frac&0x400 == 0 {
			frac <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (frac&0x3ff)<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// rebuildTensor is torch._utils._rebuild_tensor_v2(storage, offset, size,
// stride, requires_grad, backward_hooks[, metadata]).
type rebuildTensor struct{}

func (rebuildTensor) Call(args ...any) (any, error) {
	if len(args) < 4 {
		return nil, fmt.Errorf("_rebuild_tensor_v2 with %d arguments", len(args))
	}
	storage, ok := args[0].(*Storage)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2 of a %s, not a storage", ClassName(args[0]))
	}
	offset, okOffset := Int(args[1])
	shape, okShape := ints(args[2])
	stride, okStride := ints(args[3])
	if !okOffset || !okShape || !okStride || offset < 0 {
		return nil, fmt.Errorf("_rebuild_tensor_v2: bad offset %v, size %v or stride %v", args[1], args[2], args[3])
	}
	for _, d := range shape {
		if d < 0 || d > 1<<40 {
			return nil, fmt.Errorf("_rebuild_tensor_v2: dimension %d in shape %v", d, shape)
		}
	}
	t := &Tensor{Storage: storage, Offset: offset, Shape: shape, Stride: stride}
	if len(args) > 4 {
		t.RequiresGrad, _ = args[4].(bool)
	}
	return t, nil
}

// rebuildParameter is torch._utils._rebuild_parameter(data, requires_grad,
// backward_hooks) and _rebuild_parameter_with_state(…, state).
type rebuildParameter struct{}

func (rebuildParameter) Call(args ...any) (any, error) {
	if len(args) < 1 {
		return nil, fmt.Errorf("_rebuild_parameter with no arguments")
	}
	t, ok := args[0].(*Tensor)
	if !ok {
		return nil, fmt.Errorf("_rebuild_parameter of a %s, not a tensor", ClassName(args[0]))
	}
	p := *t
	p.Parameter = true
	if len(args) > 1 {
		p.RequiresGrad, _ = args[1].(bool)
	}
	return &p, nil
}

// rebuildFromType is fastai.torch_core._rebuild_from_type(func, type, args,
// dict): a tensor subclass (TensorImage…) pickled by TensorBase.__reduce_ex__.
// Only func = _rebuild_tensor_v2 is followed.
type rebuildFromType struct{}

func (rebuildFromType) Call(args ...any) (any, error) {
	if len(args) < 3 {
		return nil, fmt.Errorf("_rebuild_from_type with %d arguments", len(args))
	}
	if _, ok := args[0].(rebuildTensor); !ok {
		return nil, fmt.Errorf("_rebuild_from_type with %s, not torch._utils._rebuild_tensor_v2", ClassName(args[0]))
	}
	inner, ok := args[2].(*types.Tuple)
	if !ok {
		return nil, fmt.Errorf("_rebuild_from_type: arguments are a %s", ClassName(args[2]))
	}
	v, err := rebuildTensor{}.Call(*inner...)
	if err != nil {
		return nil, err
	}
	t := v.(*Tensor)
	t.Type, _ = args[1].(*Global)
	return t, nil
}

// ints reads a tuple (or torch.Size) of ints.
func ints(v any) ([]int, bool) {
	if o, ok := v.(*Object); ok && o.Is("torch.Size") && len(o.Args) == 1 {
		v = o.Args[0]
	}
	s, ok := Seq(v)
	if !ok {
		return nil, false
	}
	out := make([]int, len(s))
	for i, x := range s {
		if out[i], ok = Int(x); !ok {
			return nil, false
		}
	}
	return slices.Clip(out), true
}
