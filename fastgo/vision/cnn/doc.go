// Package cnn trains and serves image classifiers: fastai's cnn_learner
// (vision_learner) as [Learner] — a models.Arch body, fastai's head,
// pretrained weights, frozen body — and its load_learner + predict as
// [Predictor], which classifies image files or bytes with a model a
// learner exported.
//
//	learn := cnn.MustLearner(dls, models.ResNet34, learner.Metrics(learner.ErrorRate))
//	learner.Must(learn.FineTune(2))
//	learner.Must(learn.Export("pets.learner"))
//
//	p, err := cnn.LoadPredictor("pets.learner")
//	preds, err := p.PredictFiles("cat.jpg")
//	top := p.TopK(preds[0], 3) // [{Abyssinian 0.93} ...]
//
// The learner is a learner.Learner: training, LRFind, interpretation and
// export are that package's; this one chooses the network, its parameter
// groups and its starting weights. The predictor prepares each image as
// the learner's validation set was (decode, the recorded item transforms,
// then the batch transforms in validation mode).
//
// Models trained with fastai come in and fastgo's go out:
//
//	p, err := cnn.LoadPredictor("export.pkl")                         // fastai's learn.export(): LoadFastai
//	report, err := cnn.LoadFastaiWeights(learn, "models/stage-1.pth") // fastai's learn.save()
//	err = p.ExportONNX("pets.onnx")                                   // or cnn.ExportONNX(learn, path)
//
// [LoadFastai] reads a fastai vision learner's export as data (package
// models/fastai: nothing in the pickle runs) and prepares images as
// fastai's validation set did, ignoring EXIF orientation as fastai does;
// what fastgo cannot reproduce is refused by name. [ExportONNX] writes the
// network with its preprocessing from uint8 images (package models/onnx).
//
// Errors name the file or value and say what to do (a missing weight
// file: where to put it; a file that is no fastgo export: how to make
// one); Must… helpers panic with the same message, for notebook cells.
package cnn
