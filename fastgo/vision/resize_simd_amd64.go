//go:build goexperiment.simd && amd64

package vision

import "simd/archsimd"

// hasAVX512 enables the vector path of the vertical pass.
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
		a := archsimd.LoadUint8x16Slice(r0[c : c+16]).ExtendToUint32().Mul(vw0)
		b := archsimd.LoadUint8x16Slice(r1[c : c+16]).ExtendToUint32().Mul(vw1)
		a.Add(b).Add(half).ShiftAllRight(precisionBits).SaturateToUint8().StoreSlice(o[c : c+16])
	}
	return n
}
