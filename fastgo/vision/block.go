package vision

import (
	"bytes"
	"fmt"

	"github.com/fastgo-ml/fastgo/fastgo"
)

// imageBlock is the InputBlock returned by ImageBlock.
type imageBlock struct{}

// ImageBlock is fastai's ImageBlock: the input block that decodes each item
// (an image file, recognised by content) into an RGB [Image] and collates
// same-sized images into a uint8 [B,H,W,3] batch.
func ImageBlock() fastgo.InputBlock { return imageBlock{} }

// Name is fastai's type-transform name, shown by Summary.
func (imageBlock) Name() string { return "PILBase.create" }

// Create decodes the image file; errors are *DecodeError values naming it.
func (imageBlock) Create(item fastgo.Path) (fastgo.Value, error) {
	m, err := LoadImage(string(item))
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Collate stacks the images into one NHWC uint8 tensor. Images of
// different sizes give a *fastgo.CollateError listing every shape (add
// Resize to the item transforms to fix it).
func (b imageBlock) Collate(values []fastgo.Value) (fastgo.ByteTensor, error) {
	return b.CollateInto(values, nil)
}

// CollateInto is Collate writing into dst when it has the capacity (a
// loader's reused batch memory, see fastgo.CollaterInto).
func (imageBlock) CollateInto(values []fastgo.Value, dst []byte) (fastgo.ByteTensor, error) {
	if len(values) == 0 {
		return fastgo.ByteTensor{}, fmt.Errorf("vision: cannot collate an empty batch of images")
	}
	images := make([]Image, len(values))
	same := true
	for i, v := range values {
		switch x := v.(type) {
		case Image:
			images[i] = x
		case *Image:
			images[i] = *x
		default:
			return fastgo.ByteTensor{}, fmt.Errorf("vision: ImageBlock collates vision.Image values, item %d is %T", i, v)
		}
		same = same && images[i].W == images[0].W && images[i].H == images[0].H
	}
	if !same {
		shapes := make([][]int, len(images))
		for i, m := range images {
			shapes[i] = m.TensorShape()
		}
		return fastgo.ByteTensor{}, &fastgo.CollateError{Shapes: shapes}
	}
	w, h := images[0].W, images[0].H
	size := w * h * 3
	parts := make([][]uint8, len(images))
	for i, m := range images {
		if len(m.Pix) != size {
			return fastgo.ByteTensor{}, fmt.Errorf("vision: image %d of the batch (%dx%d) has %d bytes, want %d", i, w, h, len(m.Pix), size)
		}
		parts[i] = m.Pix
	}
	var data []byte
	if n := size * len(parts); cap(dst) >= n {
		data = dst[:n]
		for i, p := range parts {
			copy(data[i*size:], p)
		}
	} else {
		// bytes.Join allocates without zeroing memory it overwrites at
		// once: a 460-px batch of 64 is 40 MB.
		data = bytes.Join(parts, nil)
	}
	return fastgo.ByteTensor{Shape: []int{len(images), h, w, 3}, Data: data}, nil
}
