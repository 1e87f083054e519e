// Package memory refuses, before any training step runs, a fit whose
// estimated peak memory exceeds what the machine offers — naming the batch
// size that fits — rather than letting the out-of-memory killer end the
// process with a screen of goroutine stacks. It attaches to a learner as a
// callback: cnn.Learner does so by default, and any learner takes
// learner.Callbacks(memory.Check()).
//
//	learn, err := learner.New(data, model, learner.Callbacks(memory.Check()))
//	err = learn.Fit(1, 1e-3) // *memory.Error: "fit: training at batch size 96 needs about 9.31G … batch size 41 fits"
//
// The estimate (see [Estimate]) is taken from the training step's graph
// when it is built; the machine's side is backend.AvailableMemory (RAM
// under cgroup and ulimit limits, or the GPU's memory, where the check
// only warns). FASTGO_MEMORY_CHECK=off skips the check.
//
// In a GoNB notebook a fit also leaves a note in the kernel session's
// folder while it runs: a cell killed for lack of memory shows only
// "signal: killed", so the next cell that imports this package says what
// most likely happened — or that the fit was stopped, when the stop button
// came during a batch longer than GoNB's 5 s grace.
package memory
