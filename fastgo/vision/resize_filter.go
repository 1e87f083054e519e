package vision

import "math"

// Antialiased resampling with Pillow's BILINEAR semantics: a triangle
// filter whose support grows with the downscale factor, applied
// separably (horizontal pass, then vertical), each pass in 22-bit fixed
// point with rounding to uint8 in between, like Pillow's 8-bit path. Plain
// 4-tap bilinear interpolation would alias when shrinking (a 1-px
// checkerboard would come out as noise instead of grey).

// precisionBits is Pillow's fixed-point precision for 8-bit images:
// 32 bits minus 8 for the sample minus 2 of headroom.
const precisionBits = 32 - 8 - 2

// taps are the precomputed weights of one pass: output i reads inputs
// first[i] … first[i]+count[i]-1 with weights w[i*stride:][:count[i]].
type taps struct {
	first, count []int
	w            []int32
	stride       int
}

// triangle is the bilinear filter: 1−|x| on [−1, 1].
func triangle(x float64) float64 {
	x = math.Abs(x)
	if x < 1 {
		return 1 - x
	}
	return 0
}

// triangleWeights returns, for each of the outSize outputs covering an
// input of inSize samples, the first input index and the normalised float
// weights (Pillow's precompute_coeffs).
func triangleWeights(inSize, outSize int) (first []int, weights [][]float64) {
	scale := float64(inSize) / float64(outSize)
	filterScale := max(scale, 1)
	support := 1 * filterScale // the triangle's support is 1
	first = make([]int, outSize)
	weights = make([][]float64, outSize)
	for i := range outSize {
		center := (float64(i) + 0.5) * scale
		lo := max(int(center-support+0.5), 0)
		hi := min(int(center+support+0.5), inSize)
		ws := make([]float64, hi-lo)
		var sum float64
		for j := range ws {
			ws[j] = triangle((float64(j+lo) - center + 0.5) / filterScale)
			sum += ws[j]
		}
		if sum != 0 {
			for j := range ws {
				ws[j] /= sum
			}
		}
		first[i], weights[i] = lo, ws
	}
	return first, weights
}

// newTaps converts triangleWeights to fixed point.
func newTaps(inSize, outSize int) taps {
	first, weights := triangleWeights(inSize, outSize)
	t := taps{first: first, count: make([]int, outSize)}
	fixed := make([][]int32, outSize)
	for i, ws := range weights {
		f := make([]int32, len(ws))
		for j, w := range ws {
			f[j] = int32(math.Round(w * (1 << precisionBits)))
		}
		// Pillow's window often has a zero weight at an end (always when
		// upscaling); dropping it changes no result and saves a third of
		// the work.
		for len(f) > 1 && f[0] == 0 {
			f = f[1:]
			t.first[i]++
		}
		for len(f) > 1 && f[len(f)-1] == 0 {
			f = f[:len(f)-1]
		}
		fixed[i] = f
		t.stride = max(t.stride, len(f))
	}
	t.w = make([]int32, outSize*t.stride)
	for i, f := range fixed {
		t.count[i] = copy(t.w[i*t.stride:], f)
	}
	return t
}

// clip8 rounds a fixed-point accumulator (which already holds the half
// unit) to a byte.
func clip8(acc int32) uint8 {
	v := acc >> precisionBits
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// ResizeImage resamples the whole image to w×h with Pillow's antialiased
// BILINEAR filter, ignoring the aspect ratio (fastai's "squish"). It is the
// resampler every method of [Resize] uses.
func ResizeImage(m Image, w, h int) Image {
	return resampleBox(m, 0, 0, m.W, m.H, w, h)
}

// resampleBox resamples the box of src with top-left (x0, y0) and size
// bw×bh to dw×dh. The box must lie inside src; it is treated as if it had
// been cropped out first (Pillow crops, then resizes), so the filter never
// reads outside it.
func resampleBox(src Image, x0, y0, bw, bh, dw, dh int) Image {
	dst := NewImage(dw, dh)
	if bw == dw && bh == dh {
		for y := range bh {
			copy(dst.Pix[y*dw*3:][:dw*3], src.Pix[((y0+y)*src.W+x0)*3:][:bw*3])
		}
		return dst
	}
	// Rows of the box the vertical pass will read.
	var vt taps
	rowLo, rowHi := 0, bh
	if bh != dh {
		vt = newTaps(bh, dh)
		rowLo = vt.first[0]
		last := dh - 1
		rowHi = vt.first[last] + vt.count[last]
	}
	// Horizontal pass into tmp (rows rowLo … rowHi-1 of the box, dw wide).
	tmp := Image{W: dw, H: rowHi - rowLo}
	if bw == dw {
		tmp = Image{W: bw, H: rowHi - rowLo, Pix: make([]uint8, (rowHi-rowLo)*bw*3)}
		for y := rowLo; y < rowHi; y++ {
			copy(tmp.Pix[(y-rowLo)*bw*3:][:bw*3], src.Pix[((y0+y)*src.W+x0)*3:][:bw*3])
		}
	} else {
		tmp.Pix = make([]uint8, tmp.H*dw*3)
		horizontalPass(tmp.Pix, src.Pix, src.W, x0, y0+rowLo, tmp.H, dw, newTaps(bw, dw))
	}
	if bh == dh {
		return tmp
	}
	verticalPass(dst.Pix, tmp.Pix, dw*3, dh, vt, rowLo)
	return dst
}

// horizontalPass filters rows y0 … y0+rows-1 of src (srcW pixels wide),
// starting at column x0, into out (dw pixels wide).
func horizontalPass(out, src []uint8, srcW, x0, y0, rows, dw int, t taps) {
	const half = 1 << (precisionBits - 1)
	for y := range rows {
		in := src[((y0+y)*srcW+x0)*3:]
		o := out[y*dw*3:][:dw*3]
		for i := range dw {
			ws := t.w[i*t.stride:][:t.count[i]]
			px := in[t.first[i]*3:][:len(ws)*3]
			r, g, b := int32(half), int32(half), int32(half)
			for j, w := range ws {
				p := px[j*3 : j*3+3 : j*3+3]
				r += int32(p[0]) * w
				g += int32(p[1]) * w
				b += int32(p[2]) * w
			}
			q := o[i*3 : i*3+3 : i*3+3]
			q[0], q[1], q[2] = clip8(r), clip8(g), clip8(b)
		}
	}
}

// verticalPass filters whole rows (rowLen bytes each) of in, whose first
// row is row rowLo of the box, into dh rows of out.
func verticalPass(out, in []uint8, rowLen, dh int, t taps, rowLo int) {
	const half = 1 << (precisionBits - 1)
	acc := make([]int32, rowLen)
	for i := range dh {
		for c := range acc {
			acc[c] = half
		}
		ws := t.w[i*t.stride:][:t.count[i]]
		for j, w := range ws {
			row := in[(t.first[i]+j-rowLo)*rowLen:][:len(acc)]
			for c, v := range row {
				acc[c] += int32(v) * w
			}
		}
		o := out[i*rowLen:][:len(acc)]
		for c, a := range acc {
			o[c] = clip8(a)
		}
	}
}
