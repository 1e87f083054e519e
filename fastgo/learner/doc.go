// Package learner is fastai's training loop: a [Learner] built from data
// ([Data], e.g. [FromDataLoaders]) and a model description ([Model]), an
// optimizer ([OptFunc]: fastai's [Adam] by default, or [SGD]; decoupled
// weight decay, none on batch-norm parameters and biases), discriminative
// learning rates ([Slice], or one rate per group), the one-cycle policy
// ([Learner.FitOneCycle], [CombinedCos]), fastai's schedule family
// ([SchedLin], [SchedCos], [SchedNo], [SchedExp], [SchedPoly],
// [CombineScheds]) and [ParamScheduler], which drives lr, mom or wd with
// them, [Learner.FineTune], freezing, validation metrics ([Metric]s
// averaged over batches, such as [ErrorRate], and [AccumMetric]s computed
// once over the whole validation set, such as [F1Score], [Precision] and
// [Recall]), the [Recorder] with its epoch table and loss plot,
// [Learner.GetPreds], [Learner.LRFind], checkpoints and mixed precision.
//
// Everything float happens in one GoMLX graph per (batch shape, split,
// frozen state): uint8 images → float32/255 → the device transforms
// ([device.Transform]) → model → loss → gradients → the optimizer update.
// Learning rates, momentums and weight decays are graph inputs, so
// schedules never recompile.
//
//	learn, err := learner.New(learner.FromDataLoaders(dls), model, learner.Metrics(learner.ErrorRate))
//	if err != nil { ... }
//	err = learn.FineTune(2)                                // frozen epoch, then 2 unfrozen
//	err = learn.FitOneCycle(12, learner.Slice(1e-6, 1e-4)) // discriminative rates
//	lrs, err := learn.LRFind(learner.ShowSuggestions("minimum", "steep"))
//
// The training loop is fastai's: a small loop that calls [Callback]s at
// fastai's events (before/after fit, epoch, train, validate, batch); the
// recorder, the progress bars and table, the Keeper's save and LRFind are
// callbacks themselves. Users pass their own per learner
// ([Callbacks]) or per fit ([WithCallbacks], fastai's cbs=), and fastai's
// usual ones are here: [SaveModelCallback], [EarlyStoppingCallback],
// [ReduceLROnPlateau], [CSVLogger], [ShowGraphCallback],
// [TerminateOnNaNCallback], [GradientClip] and [ParamScheduler]. The events inside the
// training step run in the compiled graph: [LossTransformer] and
// [GradientTransformer] are their hooks.
//
//	err = learn.FineTune(10, learner.WithCallbacks(
//		&learner.SaveModelCallback{},                  // keep the best epoch
//		&learner.EarlyStoppingCallback{Patience: 3}))  // stop when it stops improving
//
// Interrupts: SIGINT (Ctrl-C, a notebook's stop button) or SIGTERM during
// a fit stops it at the next batch; AfterFit still runs, so the weights
// trained so far stay in the learner and a Keeper saves them. The fit
// returns [ErrInterrupted] (wrapped) when the program survives the signal
// (it has a handler of its own, or ignores SIGINT); otherwise the program
// ends as the signal ends it, once the state is saved. A save in progress
// finishes before an interrupt takes effect.
//
// On an accelerator the loop overlaps the host with the device
// ([Pipelining]: batches made device tensors ahead of their steps on a
// goroutine of their own, losses read in groups, the last validation
// batch padded); the results are the same bit for bit as without.
//
// The package holds the loop and nothing of where it runs: what a
// notebook needs attaches from outside, as GoMLX attaches progress bars
// and checkpoints to its train.Loop. Package learner/persist keeps a
// learner's state across notebook cells (a [Keeper], attached with
// [KeepWith]); package learner/memory refuses a fit whose training step
// cannot fit in memory (a [StepChecker] callback). cnn.Learner attaches
// both; learner.New attaches neither.
//
// Concurrency: a Learner's methods are safe for concurrent use (see
// [Learner]). To run a program or its tests under Go's race detector on an
// AVX-512 machine, add -gcflags=all=-d=checkptr=0 (go test -race
// -gcflags=all=-d=checkptr=0 ./...): -race turns on checkptr, which stops
// the program inside github.com/gomlx/compute's AVX-512 matmul ("fatal
// error: checkptr: pointer arithmetic result points to invalid
// allocation"; upstream, not a race).
//
// Errors: methods that can fail on user input or data return an error that
// names the value or file and says what to do; [MustNew], [Must] and [Must1]
// panic with the same message (notebook cells:
// learner.Must(learn.FineTune(2))). Where fastgo differs from fastai it
// says so in the doc comment (e.g. [ReduceLROnPlateau] under a schedule).
package learner
