//go:build goexperiment.simd && amd64

package vision

import "simd/archsimd"

// hasAVX512 enables the vector paths of the resampler.
var hasAVX512 = archsimd.X86.AVX512()

// blendRows2 computes o[c] = clip8(half + r0[c]·w0 + r1[c]·w1) sixteen
// bytes at a time with AVX-512 and returns how many leading bytes it did
// (0 without AVX-512); the caller finishes the rest. The arithmetic is the
// scalar path's, in uint32 (weights and samples are non-negative), so the
// results are identical.
func blendRows2(o, r0, r1 []uint8, w0, w1 int32) int {
	if !hasAVX512 {
		return 0
	}
	half := archsimd.BroadcastUint32x16(1 << (precisionBits - 1))
	vw0, vw1 := archsimd.BroadcastUint32x16(uint32(w0)), archsimd.BroadcastUint32x16(uint32(w1))
	n := min(len(o), len(r0), len(r1)) &^ 15
	for c := 0; c < n; c += 16 {
		a := archsimd.LoadUint8x16(r0[c : c+16]).ExtendToUint32().Mul(vw0)
		b := archsimd.LoadUint8x16(r1[c : c+16]).ExtendToUint32().Mul(vw1)
		a.Add(b).Add(half).ShiftAllRight(precisionBits).SaturateToUint8().Store(o[c : c+16])
	}
	return n
}

// hPlan is the vector form of a two-tap horizontal pass (upscaling): the
// output is cut into groups of 4 pixels (12 bytes) whose 2×4 source pixels
// fit in one 16-byte load; byte shuffles pick each output byte's two
// sources, which are then weighted as in the scalar path.
type hPlan struct {
	src        []int // byte offset in the row of each group's 16-byte load
	idx0, idx1 [][16]int8
	w0, w1     [][16]uint32
}

// newHPlan returns the plan for t, or nil when there is no vector path.
func newHPlan(t taps, dw int) *hPlan {
	if !hasAVX512 || t.stride != 2 {
		return nil
	}
	p := &hPlan{}
	for g := 0; 4*g+4 <= dw; g++ {
		s := t.first[4*g] * 3
		if t.first[4*g+3]*3+5-s >= 16 {
			break // a downscale too steep for one load
		}
		var i0, i1 [16]int8
		var w0, w1 [16]uint32
		for b := range 12 {
			i := 4*g + b/3
			i0[b] = int8(t.first[i]*3 + b%3 - s)
			i1[b] = i0[b] + 3
			w0[b], w1[b] = uint32(t.w[2*i]), uint32(t.w[2*i+1])
		}
		p.src = append(p.src, s)
		p.idx0, p.idx1 = append(p.idx0, i0), append(p.idx1, i1)
		p.w0, p.w1 = append(p.w0, w0), append(p.w1, w1)
	}
	return p
}

// row filters the leading groups of one row (row starts at the box's left
// edge; o is the output row) and returns how many output pixels it did.
func (p *hPlan) row(o, row []uint8) int {
	if p == nil {
		return 0
	}
	half := archsimd.BroadcastUint32x16(1 << (precisionBits - 1))
	for g, s := range p.src {
		if s+16 > len(row) {
			return 4 * g // the load would pass the end of the image
		}
		v := archsimd.LoadUint8x16(row[s : s+16])
		a := v.PermuteOrZero(archsimd.LoadInt8x16(p.idx0[g][:])).ExtendToUint32().Mul(archsimd.LoadUint32x16(p.w0[g][:]))
		b := v.PermuteOrZero(archsimd.LoadInt8x16(p.idx1[g][:])).ExtendToUint32().Mul(archsimd.LoadUint32x16(p.w1[g][:]))
		px := a.Add(b).Add(half).ShiftAllRight(precisionBits).SaturateToUint8()
		if 12*g+16 <= len(o) {
			px.Store(o[12*g : 12*g+16]) // the last 4 bytes are rewritten by the next group
		} else {
			px.StorePart(o[12*g : 12*g+12])
		}
	}
	return 4 * len(p.src)
}
