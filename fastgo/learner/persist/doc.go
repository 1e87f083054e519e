// Package persist keeps a learner's training across notebook cells.
// GoNB runs every cell as a new process, so a learner would lose its
// weights between cells; a learner with [As] saves its state (weights,
// optimizer state, frozen groups, recorder, last LRFind) under a name
// after every fit, LRFind and Freeze/Unfreeze, and a later cell asks for
// it by name with [Resume], which prints one line saying what it
// restored. As in Python, re-running the cell that creates a learner
// starts it over (As saves, never restores); learn.Reset() deletes the
// saved state.
//
//	learn := cnn.MustLearner(dls, models.ResNet34, persist.As("first"))
//	learner.Must(learn.FineTune(2))
//	// a later cell:
//	learn := cnn.MustLearner(dls, models.ResNet34, persist.Resume("first"))
//
// It is a learner.Keeper: the training loop says when to keep, this
// package says where and how. cnn.Learner attaches [Auto] (in a notebook,
// a key made of the model name and the vocabulary; outside, nothing);
// [Off] keeps nothing.
//
// The saved learners live in [CacheDir] ($FASTGO_CACHE_DIR, else GoNB's
// folder in a notebook), bounded by $FASTGO_CACHE_MAX (2 GiB) by removing
// the oldest; every save says where and how much, and [ClearCache]
// empties it. Saves are atomic (learner.SaveState): an interrupted one
// leaves the previous state, which Resume restores, saying so.
package persist
