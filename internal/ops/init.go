package ops

import (
	"math"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// KaimingNormal returns an initializer drawing from N(0, 2/fan) with the
// store's random generator (so a seeded store gives the same weights), for
// OHWI kernels and [out,in] linear weights: fan is in·kh·kw (torch's
// kaiming_normal_ mode "fan_in", used by fastai's heads) or, with fanOut,
// out·kh·kw (mode "fan_out", used by torchvision's ResNet).
func KaimingNormal(scope *model.Scope, fanOut bool) model.VariableInitializer {
	return func(g *graph.Graph, shape shapes.Shape) *graph.Node {
		receptive := 1
		for _, d := range shape.Dimensions[1 : shape.Rank()-1] {
			receptive *= d
		}
		fan := shape.Dimensions[shape.Rank()-1] * receptive
		if fanOut {
			fan = shape.Dimensions[0] * receptive
		}
		std := math.Sqrt(2 / float64(max(fan, 1)))
		return graph.MulScalar(scope.RandomNormal(g, shape), std)
	}
}

// MasterDType is the dtype a layer keeps its variables in for inputs of
// dtype dt: float32 for the half-precision types (mixed precision keeps
// float32 master weights, as fastai's to_fp16 does), dt otherwise.
func MasterDType(dt dtypes.DType) dtypes.DType {
	if dt == dtypes.BFloat16 || dt == dtypes.Float16 {
		return dtypes.Float32
	}
	return dt
}

// ParamFor returns v's value in the graph converted to x's dtype (a no-op
// unless x is in half precision and v holds float32 master weights).
func ParamFor(v *model.Variable, x *graph.Node) *graph.Node {
	n := v.NodeValue(x.Graph())
	if n.DType() != x.DType() {
		n = graph.ConvertDType(n, x.DType())
	}
	return n
}
