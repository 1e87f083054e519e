//go:build !goexperiment.simd || !amd64

package vision

// blendRows2 is the vector path of the vertical pass, absent from this
// build (it needs GOEXPERIMENT=simd on amd64): it does nothing.
func blendRows2(o, r0, r1 []uint8, w0, w1 int32) int { return 0 }

// hPlan is the vector path of the horizontal pass, absent from this build.
type hPlan struct{}

func newHPlan(t taps, dw int) *hPlan { return nil }

func (p *hPlan) row(o, row []uint8) int { return 0 }
