package vision

import (
	"fmt"
	"math"

	"github.com/fastgo-ml/fastgo/fastgo"
)

// ResizeMethod is how [Resize] fits an image into the target square
// (fastai's ResizeMethod).
type ResizeMethod int

const (
	// Crop takes the largest box of the target's aspect ratio inside the
	// image (random position on train, centred on valid), then resizes it.
	Crop ResizeMethod = iota
	// Pad takes the smallest box of the target's aspect ratio containing
	// the image, fills the outside with the PadMode, then resizes it.
	Pad
	// Squish resizes the whole image, ignoring its aspect ratio.
	Squish
)

// String is fastai's name: "crop", "pad" or "squish".
func (m ResizeMethod) String() string {
	switch m {
	case Crop:
		return "crop"
	case Pad:
		return "pad"
	case Squish:
		return "squish"
	}
	return fmt.Sprintf("ResizeMethod(%d)", int(m))
}

// PadMode says how [Pad] fills the area outside the image (fastai's
// PadMode).
type PadMode int

const (
	// Reflection mirrors the image at its edges without repeating the edge
	// pixel (numpy's "reflect").
	Reflection PadMode = iota
	// Zeros fills with black.
	Zeros
	// Border repeats the edge pixel.
	Border
)

// String is fastai's name: "reflection", "zeros" or "border".
func (p PadMode) String() string {
	switch p {
	case Reflection:
		return "reflection"
	case Zeros:
		return "zeros"
	case Border:
		return "border"
	}
	return fmt.Sprintf("PadMode(%d)", int(p))
}

// ResizeTransform is fastai's Resize item transform; make one with
// [Resize]. The fields may be set directly.
type ResizeTransform struct {
	// Size is the side of the square output.
	Size    int
	Method  ResizeMethod
	PadMode PadMode
}

// ResizeOption changes a setting of [Resize].
type ResizeOption func(*ResizeTransform)

// WithMethod chooses Crop (the default), Pad or Squish.
func WithMethod(m ResizeMethod) ResizeOption {
	return func(r *ResizeTransform) { r.Method = m }
}

// WithPadMode chooses how Pad fills: Reflection (the default), Zeros or
// Border.
func WithPadMode(p PadMode) ResizeOption {
	return func(r *ResizeTransform) { r.PadMode = p }
}

// Resize is fastai's Resize(size): an item transform that makes every image
// size×size, so that images can be collated into a batch. With the default
// Crop method it takes the largest centred square on the valid split and a
// random one (position drawn from the item's ItemContext.Rand) on the train
// split; with no Rand the square is centred. Resampling is Pillow's
// antialiased BILINEAR (see [ResizeImage]).
//
// Errors: Resize itself returns none; a size below 1 or too large (see
// [CheckSide]) is refused by Check, which DataBlock.DataLoaders (and
// Summary) call before any image is loaded, naming the setting.
func Resize(size int, opts ...ResizeOption) *ResizeTransform {
	r := &ResizeTransform{Size: size}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Name is fastai's repr, shown by Summary: `Resize -- {'size': (460, 460),
// 'method': 'crop', 'pad_mode': 'reflection', 'resamples':
// (<Resampling.BILINEAR: 2>, <Resampling.NEAREST: 0>), 'p': 1.0}`.
func (r *ResizeTransform) Name() string {
	return fmt.Sprintf("Resize -- {'size': (%d, %d), 'method': '%s', 'pad_mode': '%s', "+
		"'resamples': (<Resampling.BILINEAR: 2>, <Resampling.NEAREST: 0>), 'p': 1.0}",
		r.Size, r.Size, r.Method, r.PadMode)
}

// Apply resizes an [Image] (or *Image) for one item.
func (r *ResizeTransform) Apply(v fastgo.Value, ctx fastgo.ItemContext) (fastgo.Value, error) {
	var m Image
	switch x := v.(type) {
	case Image:
		m = x
	case *Image:
		m = *x
	default:
		return nil, fmt.Errorf("vision: Resize works on vision.Image values, got %T; put ImageBlock() first in the DataBlock's blocks", v)
	}
	if err := r.Check(); err != nil {
		return nil, err
	}
	if m.W <= 0 || m.H <= 0 || len(m.Pix) != m.W*m.H*3 {
		return nil, fmt.Errorf("vision: Resize: image of %dx%d has %d bytes, want %d", m.W, m.H, len(m.Pix), m.W*m.H*3)
	}
	pctX, pctY := 0.5, 0.5
	if ctx.Split == fastgo.Train && ctx.Rand != nil {
		pctX, pctY = ctx.Rand.Float64(), ctx.Rand.Float64()
	}
	return r.resize(m, pctX, pctY)
}

// resize applies the transform with the crop position fixed by pctX, pctY
// in [0, 1] (0.5 is centred).
func (r *ResizeTransform) resize(m Image, pctX, pctY float64) (Image, error) {
	if err := r.Check(); err != nil {
		return Image{}, err
	}
	if r.Method == Squish {
		return ResizeImage(m, r.Size, r.Size), nil
	}
	bx, by, bw, bh := r.box(m.W, m.H, pctX, pctY)
	if bx >= 0 && by >= 0 && bx+bw <= m.W && by+bh <= m.H {
		return resampleBox(m, bx, by, bw, bh, r.Size, r.Size), nil
	}
	return ResizeImage(cropPad(m, bx, by, bw, bh, r.PadMode), r.Size, r.Size), nil
}

// Check reports a Resize that cannot work — a size below 1 or too large
// for memory (see [CheckSide]), an unknown method or pad mode — before any
// image is loaded (DataBlock.DataLoaders calls it, see fastgo.Checker).
func (r *ResizeTransform) Check() error {
	if r.Size <= 0 {
		return fmt.Errorf("vision: Resize(%d): the size must be positive", r.Size)
	}
	if err := CheckSide(r.Size); err != nil {
		return fmt.Errorf("vision: Resize(%d): %w", r.Size, err)
	}
	if r.Method != Crop && r.Method != Pad && r.Method != Squish {
		return fmt.Errorf("vision: Resize: unknown method %v; use Crop, Pad or Squish", r.Method)
	}
	if r.PadMode < Reflection || r.PadMode > Border {
		return fmt.Errorf("vision: Resize: unknown pad mode %v; use Reflection, Zeros or Border", r.PadMode)
	}
	return nil
}

// CheckSide reports a square output of size×size pixels that fastgo will
// not make, so that a typo such as Resize(46000) (6.3 GB per image, in
// every loader worker) is an error naming the setting and its limit
// rather than an out-of-memory crash: a side over fastgo.MaxSide (16384),
// or more pixels than [MaxPixels] (the limit decoding applies; 0: none).
// Sizes below 1 are the caller's to refuse (0 means "keep the input size"
// to some transforms). The error names the limit and the largest size
// within it.
func CheckSide(size int) error {
	if MaxPixels > 0 && size > 0 && size > MaxPixels/size {
		largest := min(int(math.Sqrt(float64(MaxPixels))), fastgo.MaxSide)
		for largest*largest > MaxPixels {
			largest--
		}
		raise := ""
		if size <= fastgo.MaxSide {
			raise = ", or raise vision.MaxPixels if you mean it (3 bytes a pixel, for every image of every batch)"
		}
		return fmt.Errorf("%d×%d = %.0f pixels per image is over vision.MaxPixels (%d): use a size up to %d (the chapter uses 460, then 224)%s",
			size, size, float64(size)*float64(size), MaxPixels, largest, raise)
	}
	if size > fastgo.MaxSide {
		return fmt.Errorf("a side of %d pixels is over fastgo.MaxSide (%d), the largest image side fastgo makes: use a smaller size (the chapter uses 460, then 224)", size, fastgo.MaxSide)
	}
	return nil
}

// box is fastai's crop box for an image of w×h: the scale m is the smaller
// (crop) or larger (pad) of w/size and h/size, the box is
// (int(m·size), int(m·size)) and its top-left corner
// (int(pctX·(w−bw)), int(pctY·(h−bh))), truncated toward zero as Python's
// int() does, and negative (outside the image) for Pad.
func (r *ResizeTransform) box(w, h int, pctX, pctY float64) (x, y, bw, bh int) {
	sx, sy := float64(w)/float64(r.Size), float64(h)/float64(r.Size)
	m := min(sx, sy)
	if r.Method == Pad {
		m = max(sx, sy)
	}
	bw, bh = int(m*float64(r.Size)), int(m*float64(r.Size))
	// fastai's float arithmetic can truncate a side to one pixel less than
	// the image's — kept, so that pixels match fastai's — and to 0 for a
	// 1-px side ((1/49)·49 < 1): a box is at least 1 px, and a Crop box
	// never larger than the image.
	bw, bh = max(bw, 1), max(bh, 1)
	if r.Method == Crop {
		bw, bh = min(bw, w), min(bh, h)
	}
	return int(pctX * float64(w-bw)), int(pctY * float64(h-bh)), bw, bh
}

// cropPad returns the bw×bh box of m at (x, y), which may reach outside
// the image. Like fastai, it first crops to the part inside the image and
// then pads that part, so Reflection mirrors the cropped part.
func cropPad(m Image, x, y, bw, bh int, mode PadMode) Image {
	x0, y0 := max(x, 0), max(y, 0)
	x1, y1 := min(x+bw, m.W), min(y+bh, m.H)
	cw, ch := x1-x0, y1-y0
	// Source column (in m) of each output column, -1 for a zero fill.
	cols := make([]int, bw)
	for i := range cols {
		j := padIndex(i-(x0-x), cw, mode)
		cols[i] = -1
		if j >= 0 {
			cols[i] = x0 + j
		}
	}
	out := NewImage(bw, bh)
	for i := range bh {
		j := padIndex(i-(y0-y), ch, mode)
		if j < 0 {
			continue
		}
		src := m.Pix[(y0+j)*m.W*3:][:m.W*3]
		row := out.Pix[i*bw*3:][:bw*3]
		for k, c := range cols {
			if c >= 0 {
				copy(row[k*3:k*3+3], src[c*3:c*3+3])
			}
		}
	}
	return out
}

// padIndex maps index i of a padded axis to an index in [0, n) of the
// unpadded one, or -1 where Zeros fills. Reflection repeats the mirror
// pattern when the padding is wider than the image, as numpy.pad does.
func padIndex(i, n int, mode PadMode) int {
	if i >= 0 && i < n {
		return i
	}
	switch mode {
	case Border:
		return min(max(i, 0), n-1)
	case Reflection:
		if n == 1 {
			return 0
		}
		period := 2 * (n - 1)
		i %= period
		if i < 0 {
			i += period
		}
		if i >= n {
			i = period - i
		}
		return i
	}
	return -1
}
