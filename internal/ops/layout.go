package ops

// OIHWToOHWI reorders a convolution kernel from torch's layout
// [out, in, kh, kw] to the [out, kh, kw, in] layout of Conv2D.
func OIHWToOHWI(src []float32, out, in, kh, kw int) []float32 {
	dst := make([]float32, len(src))
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
