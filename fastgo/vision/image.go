package vision

import (
	"fmt"
	"image"
	"image/color"
)

// Image is a decoded RGB image: 8 bits per channel, rows top to bottom,
// pixels interleaved (HWC), so pixel (x, y) channel c is
// Pix[(y*W+x)*3+c]. It is fastai's PILImage in mode RGB and the value an
// [ImageBlock] creates.
type Image struct {
	W, H int
	Pix  []uint8
}

// NewImage returns a black w×h image.
func NewImage(w, h int) Image {
	return Image{W: w, H: h, Pix: make([]uint8, w*h*3)}
}

// Describe is the short form fastai prints: "PILImage mode=RGB size=500x414"
// (width × height).
func (m Image) Describe() string {
	return fmt.Sprintf("PILImage mode=RGB size=%dx%d", m.W, m.H)
}

// TensorShape is the image's shape as a channel-first tensor: [3 H W].
func (m Image) TensorShape() []int { return []int{3, m.H, m.W} }

// At returns the colour of pixel (x, y), for tests and display code; loops
// over many pixels should index Pix directly.
func (m Image) At(x, y int) color.RGBA {
	i := (y*m.W + x) * 3
	return color.RGBA{m.Pix[i], m.Pix[i+1], m.Pix[i+2], 255}
}

// ToStd converts the image to an opaque *image.RGBA, for display and for
// encoders of the standard library (png.Encode).
func (m Image) ToStd() *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, m.W, m.H))
	for i, j := 0, 0; i < len(m.Pix); i, j = i+3, j+4 {
		out.Pix[j] = m.Pix[i]
		out.Pix[j+1] = m.Pix[i+1]
		out.Pix[j+2] = m.Pix[i+2]
		out.Pix[j+3] = 255
	}
	return out
}

// FromStd converts any image.Image to an RGB Image, with the colour rules
// of [Decode]: grayscale is copied to the three channels, alpha is dropped
// (the straight, unpremultiplied colour is kept, as Pillow's convert("RGB")
// does), 16-bit samples keep their high byte, CMYK and YCbCr are converted
// with the standard library's formulas. The common concrete types are
// converted without a per-pixel interface call.
func FromStd(src image.Image) Image {
	b := src.Bounds()
	dst := NewImage(b.Dx(), b.Dy())
	w, h := dst.W, dst.H
	pix := dst.Pix
	switch s := src.(type) {
	case *image.YCbCr:
		fromYCbCr(pix, s.Y, s.Cb, s.Cr, s, w, h)
	case *image.NYCbCrA:
		fromYCbCr(pix, s.Y, s.Cb, s.Cr, &s.YCbCr, w, h)
	case *image.Gray:
		for y := range h {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			out := pix[y*w*3:][:w*3]
			for x, g := range row {
				out[3*x], out[3*x+1], out[3*x+2] = g, g, g
			}
		}
	case *image.Gray16:
		for y := range h {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:2*w]
			out := pix[y*w*3:][:w*3]
			for x := range w {
				g := row[2*x] // big-endian: the high byte comes first
				out[3*x], out[3*x+1], out[3*x+2] = g, g, g
			}
		}
	case *image.NRGBA:
		// Straight alpha: dropping it keeps the colour as stored.
		for y := range h {
			copyDropAlpha(pix[y*w*3:][:w*3], s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:4*w], 4, 1)
		}
	case *image.NRGBA64:
		for y := range h {
			copyDropAlpha(pix[y*w*3:][:w*3], s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:8*w], 8, 2)
		}
	case *image.RGBA:
		for y := range h {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			out := pix[y*w*3:][:w*3]
			for x := range w {
				r, g, bl, a := row[4*x], row[4*x+1], row[4*x+2], row[4*x+3]
				if a != 255 {
					r, g, bl = unpremultiply(r, a), unpremultiply(g, a), unpremultiply(bl, a)
				}
				out[3*x], out[3*x+1], out[3*x+2] = r, g, bl
			}
		}
	case *image.CMYK:
		for y := range h {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			out := pix[y*w*3:][:w*3]
			for x := range w {
				out[3*x], out[3*x+1], out[3*x+2] = color.CMYKToRGB(row[4*x], row[4*x+1], row[4*x+2], row[4*x+3])
			}
		}
	case *image.Paletted:
		var lut [256][3]uint8
		for i, c := range s.Palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			lut[i] = [3]uint8{n.R, n.G, n.B}
		}
		for y := range h {
			row := s.Pix[s.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			out := pix[y*w*3:][:w*3]
			for x, idx := range row {
				c := lut[idx]
				out[3*x], out[3*x+1], out[3*x+2] = c[0], c[1], c[2]
			}
		}
	default:
		// Rare types (RGBA64, Alpha, custom images): one interface call
		// per pixel is acceptable here.
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				n := color.NRGBA64Model.Convert(src.At(x, y)).(color.NRGBA64)
				pix[i], pix[i+1], pix[i+2] = uint8(n.R>>8), uint8(n.G>>8), uint8(n.B>>8)
				i += 3
			}
		}
	}
	return dst
}

// fromYCbCr converts the visible rectangle of a YCbCr image; y, cb, cr are
// the planes of ycc (passed separately so NYCbCrA shares the code). The
// arithmetic is color.YCbCrToRGB's, with the chroma products looked up in
// tables instead of multiplied per pixel.
func fromYCbCr(pix, yp, cb, cr []uint8, ycc *image.YCbCr, w, h int) {
	b := ycc.Rect
	shift := -1 // log2 of the horizontal chroma subsampling
	switch ycc.SubsampleRatio {
	case image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio440:
		shift = 0
	case image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420:
		shift = 1
	case image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410:
		shift = 2
	}
	t := &yccTab
	for y := range h {
		yrow := yp[ycc.YOffset(b.Min.X, b.Min.Y+y):][:w]
		out := pix[y*w*3:][:w*3]
		ci := ycc.COffset(b.Min.X, b.Min.Y+y)
		if shift == 1 && b.Min.X%2 == 0 {
			// 4:2:0 and 4:2:2 from an even column (every decoded JPEG):
			// each chroma sample serves a pair of pixels.
			half := (w + 1) / 2
			cbr, crr := cb[ci:][:half], cr[ci:][:half]
			for j := range half {
				rc, gc, bc := t.rCr[crr[j]], t.gCb[cbr[j]]+t.gCr[crr[j]], t.bCb[cbr[j]]
				for x := 2 * j; x < min(2*j+2, w); x++ {
					yy := int32(yrow[x]) * 0x10101
					o := out[3*x : 3*x+3 : 3*x+3]
					o[0], o[1], o[2] = clampShift16(yy+rc), clampShift16(yy+gc), clampShift16(yy+bc)
				}
			}
			continue
		}
		for x, yv := range yrow {
			var c int
			if shift >= 0 && b.Min.X >= 0 {
				c = ci + (b.Min.X+x)>>shift - b.Min.X>>shift
			} else {
				c = ycc.COffset(b.Min.X+x, b.Min.Y+y)
			}
			yy := int32(yv) * 0x10101
			cbv, crv := cb[c], cr[c]
			o := out[3*x : 3*x+3 : 3*x+3]
			o[0] = clampShift16(yy + t.rCr[crv])
			o[1] = clampShift16(yy + t.gCb[cbv] + t.gCr[crv])
			o[2] = clampShift16(yy + t.bCb[cbv])
		}
	}
}

// yccTab holds color.YCbCrToRGB's fixed-point chroma terms (the JFIF
// factors times 65536) for every chroma value.
var yccTab = func() (t struct{ rCr, gCb, gCr, bCb [256]int32 }) {
	for i := range 256 {
		c := int32(i) - 128
		t.rCr[i], t.gCb[i], t.gCr[i], t.bCb[i] = 91881*c, -22554*c, -46802*c, 116130*c
	}
	return t
}()

// clampShift16 is v>>16 clamped to a byte, with color.YCbCrToRGB's branch
// structure.
func clampShift16(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}

// copyDropAlpha copies the colour channels of a row of RGBA-like pixels of
// size bytes each (samples of sampleBytes bytes, big-endian: the first
// byte is the high byte).
func copyDropAlpha(out, row []uint8, size, sampleBytes int) {
	for x, j := 0, 0; j < len(row); x, j = x+3, j+size {
		out[x] = row[j]
		out[x+1] = row[j+sampleBytes]
		out[x+2] = row[j+2*sampleBytes]
	}
}

// unpremultiply recovers the straight colour of a premultiplied sample;
// a fully transparent pixel has lost its colour and stays black.
func unpremultiply(v, a uint8) uint8 {
	if a == 0 {
		return 0
	}
	// The arithmetic of color.NRGBAModel, so both paths agree exactly.
	return uint8(min(uint32(v)*0xffff/uint32(a)>>8, 255))
}
