// Package models holds the networks of fastgo's image learners, as
// GoMLX functions, and their weights: fastai's models and torchvision's
// ResNets.
//
// [ResNet18], [ResNet34] and [ResNet50] ([Arch]) are torchvision's
// architectures (fastai's models.resnet34), built by [Arch.Body] with
// variables named after torchvision's state-dict keys, so that
// [LoadPretrained] imports its ImageNet weights (.pth files, downloaded
// once into [ModelsDir]; [ReadStateDict] and [AssignStateDict] for any
// torchvision checkpoint; fastai's learn.save files read too). [Head] is
// fastai's create_head: concat pooling, batch norm, dropout, linear,
// twice; [HeadSpec] varies its hidden width and biases (fastai 1).
//
// The layout is written once: [Arch.Stem], [MaxPool] and [Arch.Blocks]
// say what Body builds, StateDict lists and exporters write; [HeadSpec]
// and its layer indices likewise for the head. [LearnerKey],
// [LearnerStateDict] and [AssignLearnerState] name a CNN learner's
// variables as fastai's learn.model.state_dict() does, for weights that
// come from fastai (subpackage fastai) or go to ONNX (subpackage onnx).
//
//	body := models.ResNet34.Body(scope.In(models.BodyScope), x, train) // [B,h,w,512]
//	logits := models.Head(scope.In(models.HeadScope), body, 37, train)
//	report, err := models.LoadPretrained(store.RootScope().In(models.BodyScope), models.ResNet34, models.PretrainedOptions{})
//
// Invariants: inputs are float32 NHWC [B,H,W,3] (normalised images);
// convolution kernels are stored OHWI; [Arch.ParamGroup] splits a CNN
// learner's variables into fastai's three parameter groups.
//
// Errors: weight files that are missing, not torchvision checkpoints, or
// that do not fit the architecture are errors naming the file and the
// tensor; building a network on a wrongly shaped input panics (GoMLX's
// style inside graph code) with the shape it got.
package models
