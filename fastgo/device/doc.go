// Package device is the contract between batch transforms and the graphs
// that run them on the compute device: a [Transform] draws its random
// parameters on the CPU (seeded) and applies itself to a float32 batch
// inside a GoMLX graph — fastai's batch_tfms, after IntToFloatTensor.
// vision/augment's AugTransforms and Normalize implement it; the learner
// runs them inside its training graph, and [ApplyBatchTransforms] runs a
// chain of them alone (ShowBatch, the augmentation figure, tests).
//
//	out, err := device.ApplyBatchTransforms(backend.Default(), tfms, batch.X, fastgo.Train, seed)
//	// out: float32 [B,size,size,3], in [0,1] before Normalize
//
// Invariants: a batch crosses from the CPU as uint8 NHWC [B,H,W,C] and is
// float32 from the first node on; every random choice comes from Params,
// so a seed gives the same batch on every backend.
package device
