// Package ops lowers the convolutional-network operations fastgo's models use
// (2-D convolution, max pooling, global pooling, batch normalisation and the
// bias-free linear layer) to GoMLX graph operations, choosing per backend the
// formulation that runs fastest there.
//
// Layouts: activations are NHWC ([batch, height, width, channels]);
// convolution kernels are OHWI ([out, kernelH, kernelW, in]) and linear
// weights are [out, in] (torch's Linear layout). torchvision's OIHW kernels
// become OHWI with one transpose of the last three axes (see [OIHWToOHWI]).
//
// On the pure-Go backend ("go") a convolution is lowered to im2col: the input
// is padded by concatenating zeros, the kernel-window shifts are taken with
// strided slices and concatenated on the channel axis, and one matrix
// multiplication against the [out, kh·kw·in] kernel does the rest. Max
// pooling is a running maximum of strided slices. On any other backend (XLA)
// the native ConvGeneral and ReduceWindow are used.
//
// The matrix multiplications created here get a weight gradient computed as
// vᵀ·patches (one transpose of the small output gradient) instead of GoMLX's
// default, which on the pure-Go backend transposes the large patch matrix as
// well; see [Linear].
//
// Example:
//
//	y := ops.Conv2D(x, w, 2, 3)            // x [B,H,W,3], w [64,7,7,3] → [B,H/2,W/2,64]
//	y = ops.BatchNorm(scope.In("bn1"), y, train)
//	y = graph.Max(y, graph.ScalarZero(y.Graph(), y.DType()))
//	y = ops.MaxPool2D(y, 3, 2, 1)
//
// Functions here follow GoMLX's convention for graph-building code: invalid
// shapes panic (the panic is turned into an error by the executor).
package ops
