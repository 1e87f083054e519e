// Package fastbook holds what the book's chapters use beyond the library:
// chapter 5's ("pet breeds") pets [PetsDataBlock], and the [Scale] a run
// of the chapter uses — the book's settings on a GPU, a small one on the
// pure-Go backend — so that its notebook, its commands and its benchmarks
// share one definition.
//
//	var scale = fastbook.MustChapterScale()
//	pets, err := fastbook.PetsDataBlock(scale.Presize, scale.Size)
//	learn := cnn.MustLearner(dls, scale.Arch, learner.Metrics(learner.ErrorRate))
//	learner.Must(learn.FineTune(scale.Epochs(2)))
//
// Errors: ChapterScale names the environment variable it cannot read
// (FASTGO_ARCH, FASTGO_SIZE, …).
package fastbook
