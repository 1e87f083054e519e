package vision

import (
	"math"
	"sync"
)

// Antialiased resampling with Pillow's BILINEAR semantics: a triangle
// filter whose support grows with the downscale factor, applied
// separably (horizontal pass, then vertical), each pass in 22-bit fixed
// point with rounding to uint8 in between, like Pillow's 8-bit path. Plain
// 4-tap bilinear interpolation would alias when shrinking (a 1-px
// checkerboard would come out as noise instead of grey).

// precisionBits is Pillow's fixed-point precision for 8-bit images:
// 32 bits minus 8 for the sample minus 2 of headroom.
const precisionBits = 32 - 8 - 2

// taps are the precomputed weights of one pass: output i reads the stride
// inputs from first[i] on, with weights w[i*stride:][:stride] (windows are
// padded with zero weights to the same length).
type taps struct {
	first  []int
	w      []int32
	stride int
}

// triangle is the bilinear filter: 1−|x| on [−1, 1].
func triangle(x float64) float64 {
	x = math.Abs(x)
	if x < 1 {
		return 1 - x
	}
	return 0
}

// newTaps computes the fixed-point weights of one pass from outSize
// outputs over inSize inputs, as Pillow's precompute_coeffs and
// normalize_coeffs_8bpc do: output i is centred on input coordinate
// (i+0.5)·scale, the triangle is widened by the scale when shrinking, the
// window is clipped to the input and its weights normalised to sum 1.
func newTaps(inSize, outSize int) taps {
	scale := float64(inSize) / float64(outSize)
	filterScale := max(scale, 1)
	support := filterScale // the triangle's support is 1, widened when shrinking
	ksize := int(math.Ceil(support))*2 + 1
	first, count := make([]int, outSize), make([]int, outSize)
	fixed := make([]int32, outSize*ksize)
	ws := make([]float64, ksize)
	stride := 1
	for i := range outSize {
		center := (float64(i) + 0.5) * scale
		lo := max(int(center-support+0.5), 0)
		n := min(int(center+support+0.5), inSize) - lo
		var sum float64
		for j := range n {
			ws[j] = triangle((float64(j+lo) - center + 0.5) / filterScale)
			sum += ws[j]
		}
		f := fixed[i*ksize:][:n]
		for j := range n {
			w := ws[j]
			if sum != 0 {
				w /= sum
			}
			f[j] = int32(math.Round(w * (1 << precisionBits)))
		}
		// Pillow's window often has a zero weight at an end (always when
		// upscaling); dropping it changes no result and saves a third of
		// the work.
		a, b := 0, n
		for b-a > 1 && f[a] == 0 {
			a++
		}
		for b-a > 1 && f[b-1] == 0 {
			b--
		}
		copy(f, f[a:b])
		first[i], count[i] = lo+a, b-a
		stride = max(stride, b-a)
	}
	// Pad every window with zero weights to the same length (staying
	// inside the input), so the passes can use fixed-length loops.
	t := taps{first: first, stride: stride, w: make([]int32, outSize*stride)}
	for i := range outSize {
		lead := max(first[i]+stride-inSize, 0)
		t.first[i] -= lead
		copy(t.w[i*stride+lead:], fixed[i*ksize:][:count[i]])
	}
	return t
}

// clip8 rounds a fixed-point accumulator (which already holds the half
// unit) to a byte. The triangle's weights are non-negative and their
// rounded sum is within count/2 units of 1<<precisionBits, so acc never
// leaves [0, 256<<precisionBits): clamping the top is enough.
func clip8(acc int32) uint8 {
	return uint8(min(acc>>precisionBits, 255))
}

// ResizeImage resamples the whole image to w×h with Pillow's antialiased
// BILINEAR filter, ignoring the aspect ratio (fastai's "squish"). It is the
// resampler every method of [Resize] uses; its output is bit-exact with
// Pillow's Image.resize((w, h), Image.BILINEAR) (tested against Pillow 9.4).
func ResizeImage(m Image, w, h int) Image {
	return resampleBox(m, 0, 0, m.W, m.H, w, h)
}

// resampleBox resamples the box of src with top-left (x0, y0) and size
// bw×bh to dw×dh. The box must lie inside src; it is treated as if it had
// been cropped out first (Pillow crops, then resizes), so the filter never
// reads outside it.
func resampleBox(src Image, x0, y0, bw, bh, dw, dh int) Image {
	dst := NewImage(dw, dh)
	stride, off := src.W*3, (y0*src.W+x0)*3
	switch {
	case bw == dw && bh == dh:
		for y := range bh {
			copy(dst.Pix[y*dw*3:][:dw*3], src.Pix[off+y*stride:][:bw*3])
		}
	case bh == dh:
		horizontalPass(dst.Pix, src.Pix, stride, off, bh, dw, newTaps(bw, dw))
	case bw == dw:
		verticalPass(dst.Pix, src.Pix, stride, off, dw*3, newTaps(bh, dh))
	default:
		// Horizontal pass over the rows the vertical pass reads, into a
		// pooled buffer, then the vertical pass.
		vt := newTaps(bh, dh)
		rowLo, rowHi := vt.first[0], vt.first[dh-1]+vt.stride
		tmp := getScratch((rowHi - rowLo) * dw * 3)
		defer scratch.Put(tmp)
		horizontalPass(*tmp, src.Pix, stride, off+rowLo*stride, rowHi-rowLo, dw, newTaps(bw, dw))
		verticalPass(dst.Pix, *tmp, dw*3, -rowLo*dw*3, dw*3, vt)
	}
	return dst
}

// scratch holds *[]uint8 buffers for the intermediate image of two-pass
// resampling: the data pipeline resizes thousands of images of similar
// sizes, and reusing the buffer spares the garbage collector.
var scratch sync.Pool

func getScratch(n int) *[]uint8 {
	if b, ok := scratch.Get().(*[]uint8); ok && cap(*b) >= n {
		*b = (*b)[:n]
		return b
	}
	b := make([]uint8, n)
	return &b
}

// horizontalPass filters rows of in into out (dw pixels a row): row y
// starts at in[off+y*stride], the box's left edge.
func horizontalPass(out, in []uint8, stride, off, rows, dw int, t taps) {
	const half = 1 << (precisionBits - 1)
	plan := newHPlan(t, dw)
	for y := range rows {
		row := in[off+y*stride:]
		o := out[y*dw*3:][:dw*3]
		if t.stride == 2 {
			// Upscaling: every output mixes two neighbours.
			for i := plan.row(o, row); i < dw; i++ {
				w0, w1 := t.w[2*i], t.w[2*i+1]
				p := row[t.first[i]*3:][:6]
				q := o[i*3 : i*3+3 : i*3+3]
				q[0] = clip8(half + int32(p[0])*w0 + int32(p[3])*w1)
				q[1] = clip8(half + int32(p[1])*w0 + int32(p[4])*w1)
				q[2] = clip8(half + int32(p[2])*w0 + int32(p[5])*w1)
			}
			continue
		}
		for i := range dw {
			ws := t.w[i*t.stride:][:t.stride]
			px := row[t.first[i]*3:][:len(ws)*3]
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

// verticalPass filters rows of rowLen bytes into out: input row y (of the
// box) starts at in[off+y*stride].
func verticalPass(out, in []uint8, stride, off, rowLen int, t taps) {
	const half = 1 << (precisionBits - 1)
	var acc []int32
	for i := range len(t.first) {
		o := out[i*rowLen:][:rowLen]
		row := func(j int) []uint8 { return in[off+(t.first[i]+j)*stride:][:rowLen] }
		switch t.stride {
		case 1:
			copy(o, row(0)) // a single tap has weight 1
		case 2:
			w0, w1 := t.w[2*i], t.w[2*i+1]
			r0, r1 := row(0), row(1)
			for c := blendRows2(o, r0, r1, w0, w1); c < len(o); c++ {
				o[c] = clip8(half + int32(r0[c])*w0 + int32(r1[c])*w1)
			}
		default:
			if acc == nil {
				acc = make([]int32, rowLen)
			}
			for c := range acc {
				acc[c] = half
			}
			for j, w := range t.w[i*t.stride:][:t.stride] {
				for c, v := range row(j) {
					acc[c] += int32(v) * w
				}
			}
			for c, a := range acc {
				o[c] = clip8(a)
			}
		}
	}
}
