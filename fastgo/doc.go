// Package fastgo is the domain-free core of fastgo, fastai's image
// classification workflow rebuilt in Go on GoMLX.
//
// It holds what the first cells of fastbook's "pet breeds" chapter use:
// [L], a collection that displays like fastcore's (`(#7394) [Path('images/x.jpg'),...]`),
// [Path] with a display base path, [UntarData] with the [URLs] registry,
// item getters ([GetImageFiles]), labellers ([RegexLabeller], [UsingName],
// [ParentLabel]), splitters ([RandomSplitter], ...), the [DataBlock] that turns
// a source folder into [DataLoaders] of uint8 batches, and [DataBlock.Summary].
//
// Images themselves (decoding, Resize, augmentation on the device) live in
// package fastgo/vision; training in fastgo/learner.
//
// Errors: functions that can fail on user input return an error that names
// the file or value and says what to do. Must… helpers panic with the same
// message, for notebook cells where a panic is the shortest way to stop.
package fastgo
