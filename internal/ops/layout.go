package ops

// OIHWToOHWI reorders a convolution kernel from torch's layout
// [out, in, kh, kw] to the [out, kh, kw, in] layout of Conv2D. It is the
// same permutation as a batch of images from NCHW (PyTorch) to NHWC
// (fastgo): [n, c, h, w] → [n, h, w, c]. Any element type.
func OIHWToOHWI[T any](src []T, out, in, kh, kw int) []T {
	dst := make([]T, len(src))
	for o := range out {
		for i := range in {
			for y := range kh {
				for x := range kw {
					dst[((o*kh+y)*kw+x)*in+i] = src[((o*in+i)*kh+y)*kw+x]
				}
			}
		}
	}
	return dst
}

// OHWIToOIHW is [OIHWToOHWI]'s inverse: a Conv2D kernel [out, kh, kw, in]
// in torch's layout [out, in, kh, kw] (for exporting weights).
func OHWIToOIHW[T any](src []T, out, kh, kw, in int) []T {
	dst := make([]T, len(src))
	for o := range out {
		for i := range in {
			for y := range kh {
				for x := range kw {
					dst[((o*in+i)*kh+y)*kw+x] = src[((o*kh+y)*kw+x)*in+i]
				}
			}
		}
	}
	return dst
}
