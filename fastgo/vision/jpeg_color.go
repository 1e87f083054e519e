package vision

import "image"

// fromJPEGYCbCr converts a JPEG's YCbCr planes (as image/jpeg returns them)
// to RGB the way libjpeg-turbo does by default, which is what Pillow (and
// so fastai) shows:
//   - subsampled chroma is interpolated with libjpeg's "fancy upsampling"
//     (jdsample.c: a triangle filter, 3/4 of the nearer and 1/4 of the
//     further sample along each subsampled axis, with libjpeg's alternating
//     rounding biases; edge rows and columns are repeated) for 4:2:0, 4:2:2
//     and 4:4:0, and replicated for the other ratios and for chroma planes
//     1 or 2 samples wide, as libjpeg does;
//   - colour is converted with jdcolor.c's fixed-point tables:
//     R = Y + round(1.402·Cr'), G = Y + ⌊(−0.34414·Cb' − 0.71414·Cr')·2¹⁶ + 2¹⁵⌋/2¹⁶,
//     B = Y + round(1.772·Cb'), clamped (Cb' = Cb−128, Cr' = Cr−128).
//
// image/jpeg's own At/RGBA repeats each chroma sample over 2×2 pixels and
// rounds differently: on the 4:2:0 images of the pets sample that put
// pixels up to 15 levels away from Pillow's. What remains is the IDCT
// (image/jpeg's differs from libjpeg's islow in the last bit of some
// samples); the -tags libjpeg build is bit-exact.
func fromJPEGYCbCr(m *image.YCbCr) Image {
	b := m.Rect
	w, h := b.Dx(), b.Dy()
	out := NewImage(w, h)
	hs, vs := chromaFactors(m.SubsampleRatio)
	// The chroma plane's samples: ceil(w/hs) × ceil(h/vs), as libjpeg's
	// downsampled_width/height.
	cw, ch := (w+hs-1)/hs, (h+vs-1)/vs
	fancyH := hs == 2 && cw > 2
	fancyV := vs == 2 && (hs == 1 || fancyH) // libjpeg has h2v2 and h1v2 fancy filters, no h4v2
	// One upsampled chroma row each; hs·cw ≥ w, the filters write whole pairs.
	cb := make([]uint8, hs*cw)
	cr := make([]uint8, hs*cw)
	c0 := m.COffset(b.Min.X, b.Min.Y) // chroma sample (0, 0) of the visible rectangle
	crow := func(plane []uint8, r int) []uint8 {
		r = min(max(r, 0), ch-1) // libjpeg repeats the edge rows
		return plane[c0+r*m.CStride:][:cw]
	}
	t := &jpegYCC
	shift := map[int]uint{1: 0, 2: 1, 4: 2}[hs]
	for y := range h {
		var rows [2][]uint8 // the upsampled Cb and Cr rows of output row y
		for i, pl := range [2]struct{ src, dst []uint8 }{{m.Cb, cb}, {m.Cr, cr}} {
			switch {
			case vs == 2 && fancyV:
				near := crow(pl.src, y/2)
				far := crow(pl.src, y/2-1+2*(y%2)) // the row above for even y, below for odd
				if hs == 2 {
					upsampleH2V2(pl.dst, near, far)
				} else {
					upsampleH1V2(pl.dst, near, far, y%2)
				}
			case fancyH && vs == 1:
				upsampleH2V1(pl.dst, crow(pl.src, y))
			case hs == 1:
				rows[i] = crow(pl.src, y/vs) // full horizontal resolution: no copy
				continue
			default:
				row := crow(pl.src, y/vs)
				for x := range w {
					pl.dst[x] = row[x>>shift]
				}
			}
			rows[i] = pl.dst
		}
		yrow := m.Y[m.YOffset(b.Min.X, b.Min.Y+y):][:w]
		o := out.Pix[y*w*3:][:w*3]
		cbr, crr := rows[0][:w], rows[1][:w]
		for x, yv := range yrow {
			yy, cbv, crv := int32(yv), cbr[x], crr[x]
			p := o[3*x : 3*x+3 : 3*x+3]
			p[0] = clampByte(yy + t.rCr[crv])
			p[1] = clampByte(yy + (t.gCb[cbv]+t.gCr[crv])>>16)
			p[2] = clampByte(yy + t.bCb[cbv])
		}
	}
	return out
}

// chromaFactors are the horizontal and vertical chroma subsampling factors.
func chromaFactors(r image.YCbCrSubsampleRatio) (h, v int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return 2, 1
	case image.YCbCrSubsampleRatio420:
		return 2, 2
	case image.YCbCrSubsampleRatio440:
		return 1, 2
	case image.YCbCrSubsampleRatio411:
		return 4, 1
	case image.YCbCrSubsampleRatio410:
		return 4, 2
	}
	return 1, 1
}

// upsampleH2V2 is libjpeg's h2v2_fancy_upsample for one output row: near
// is the chroma row nearest to it, far the next nearest (above for the
// upper row of a pair, below for the lower one; both use the same column
// filter). dst holds 2·len(near) samples; len(near) ≥ 3.
func upsampleH2V2(dst, near, far []uint8) {
	n := len(near)
	far, dst = far[:n], dst[:2*n]
	last := 3*int32(near[0]) + int32(far[0])
	this := last
	dst[0] = uint8((4*this + 8) >> 4)
	for i := 0; i < n-1; i++ {
		next := 3*int32(near[i+1]) + int32(far[i+1])
		if i > 0 {
			dst[2*i] = uint8((3*this + last + 8) >> 4)
		}
		dst[2*i+1] = uint8((3*this + next + 7) >> 4)
		last, this = this, next
	}
	dst[2*n-2] = uint8((3*this + last + 8) >> 4)
	dst[2*n-1] = uint8((4*this + 7) >> 4)
}

// upsampleH2V1 is libjpeg's h2v1_fancy_upsample for one row; dst holds
// 2·len(in) samples; len(in) ≥ 3.
func upsampleH2V1(dst, in []uint8) {
	n := len(in)
	dst = dst[:2*n]
	dst[0] = in[0]
	dst[1] = uint8((3*int32(in[0]) + int32(in[1]) + 2) >> 2)
	for i := 1; i < n-1; i++ {
		v := 3 * int32(in[i])
		dst[2*i] = uint8((v + int32(in[i-1]) + 1) >> 2)
		dst[2*i+1] = uint8((v + int32(in[i+1]) + 2) >> 2)
	}
	dst[2*n-2] = uint8((3*int32(in[n-1]) + int32(in[n-2]) + 1) >> 2)
	dst[2*n-1] = in[n-1]
}

// upsampleH1V2 is libjpeg-turbo's h1v2_fancy_upsample for one output row
// (4:4:0): 3/4 of the nearer row and 1/4 of the further, rounding bias 1
// for the upper row of a pair and 2 for the lower.
func upsampleH1V2(dst, near, far []uint8, odd int) {
	bias := int32(1 + odd)
	near, far = near[:len(dst)], far[:len(dst)]
	for x := range dst {
		dst[x] = uint8((3*int32(near[x]) + int32(far[x]) + bias) >> 2)
	}
}

// jpegYCC holds jdcolor.c's tables: rCr and bCb are the rounded R and B
// offsets, gCb and gCr the G terms scaled by 2¹⁶ (gCb with the rounding
// half added), as libjpeg builds them.
var jpegYCC = func() (t struct{ rCr, bCb, gCb, gCr [256]int32 }) {
	const half = 1 << 15
	for i := range 256 {
		c := int32(i) - 128
		t.rCr[i] = (91881*c + half) >> 16
		t.bCb[i] = (116130*c + half) >> 16
		t.gCr[i] = -46802 * c
		t.gCb[i] = -22554*c + half
	}
	return t
}()

// clampByte clamps v to [0, 255] (libjpeg's range_limit).
func clampByte(v int32) uint8 { return uint8(min(max(v, 0), 255)) }
