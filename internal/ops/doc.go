// Package ops lowers the convolutional-network operations fastgo's models use
// (2-D convolution, max pooling, global pooling, batch normalisation, ReLU
// and the bias-free linear layer) to GoMLX graph operations, choosing per
// backend the formulation that runs fastest there.
//
// Layouts: activations are NHWC ([batch, height, width, channels]);
// convolution kernels are OHWI ([out, kernelH, kernelW, in]) and linear
// weights are [out, in] (torch's Linear layout). torchvision's OIHW kernels
// become OHWI with [OIHWToOHWI]. OHWI keeps every matrix product of a
// convolution and of its gradients in a layout the pure-Go backend runs
// without transposing an operand (see [Linear]).
//
// On the pure-Go backend ("go") a 3×3 stride-1 convolution whose sides are
// even and at least 8 is computed by Winograd's F(2×2, 3×3) (winograd.go:
// 16 matrix products of 4/9 the size, transforms as additions of crops);
// every other convolution is lowered to im2col: the input is padded (Pad),
// the kernel-offset windows are taken with crops or strided slices and
// concatenated on the channel axis, and one matrix product with the kernel
// seen as [out, kh·kw·in] does the rest. The choice per shape comes from
// BenchmarkConvTrainAlgorithms (see useWinograd). Max pooling is a separable
// running maximum of strided slices. Batch normalisation's per-channel sums
// are ReduceSums in two levels of about √N values each (channel.go), to
// keep float32's rounding error at PyTorch's level. On any
// other backend (XLA) the native ConvGeneral, ReduceWindow, ReduceSum and
// broadcasts are used.
//
// Gradients: this package installs custom gradients for the nodes it creates
// (and only for them), see gradients.go: the weight gradient of a product
// transposes only the small output gradient, the patch gradient is computed
// per kernel offset and summed back onto the input in two stages (the
// pure-Go backend's slices copy element by element, its pads and
// concatenations copy blocks), a stride-1 convolution's weight gradient
// crops its windows again rather than keeping the k²-times patch matrix,
// padding gets a crop as gradient (GoMLX's Pad has none), crops get pads,
// and ReLU's gradient is v·sign(y). Tests check every one against
// GoMLX's native ops.
//
// Example:
//
//	y := ops.Conv2D(x, w, 2, 3) // x [B,H,W,3], w [64,7,7,3] → [B,H/2,W/2,64]
//	y = ops.ReLU(ops.BatchNorm(scope.In("bn1"), y, train))
//	y = ops.MaxPool2D(y, 3, 2, 1)
//
// Functions here follow GoMLX's convention for graph-building code: invalid
// shapes panic (the executor turns the panic into an error).
package ops
