// Package learner trains image classifiers the way fastai does: a
// [Learner] built from data ([Data], e.g. [FromDataLoaders]) and a model
// description ([Model]), an optimizer ([OptFunc]: fastai's [Adam] by
// default, or [SGD]; decoupled weight decay, none on batch-norm parameters
// and biases), discriminative learning rates
// ([Slice]), the one-cycle policy ([Learner.FitOneCycle], [CombinedCos]),
// [Learner.FineTune], freezing, the [Recorder] with its epoch table and
// loss plot, [Learner.GetPreds], [Learner.LRFind], checkpoints and mixed
// precision.
//
// Everything float happens in one GoMLX graph per (batch shape, split,
// frozen state): uint8 images → float32/255 → the device transforms
// ([device.Transform]) → model → loss → gradients → the optimizer update.
// Learning rates and momentums are graph inputs, so schedules never
// recompile.
//
//	learn, err := learner.New(learner.FromDataLoaders(dls), model, learner.Metrics(learner.ErrorRate))
//	if err != nil { ... }
//	err = learn.FineTune(2)                                // frozen epoch, then 2 unfrozen
//	err = learn.FitOneCycle(12, learner.Slice(1e-6, 1e-4)) // discriminative rates
//	lrs, err := learn.LRFind(learner.ShowSuggestions("minimum", "steep"))
//
// The training loop is fastai's: a small loop that calls [Callback]s at
// fastai's events (before/after fit, epoch, train, validate, batch); the
// recorder, the progress bars and table, notebook persistence and LRFind
// are callbacks themselves. Users pass their own per learner
// ([Callbacks]) or per fit ([WithCallbacks], fastai's cbs=), and fastai's
// usual ones are here: [SaveModelCallback], [EarlyStoppingCallback],
// [ReduceLROnPlateau], [CSVLogger], [ShowGraphCallback],
// [TerminateOnNaNCallback] and [GradientClip]. The events inside the
// training step run in the compiled graph: [LossTransformer] and
// [GradientTransformer] are their hooks.
//
//	err = learn.FineTune(10, learner.WithCallbacks(
//		&learner.SaveModelCallback{},                  // keep the best epoch
//		&learner.EarlyStoppingCallback{Patience: 3}))  // stop when it stops improving
//
// Notebooks: GoNB runs every cell as a new process, so in a notebook a
// learner saves its state (weights, optimizer, frozen groups, recorder,
// last LRFind) after each fit, LRFind and Freeze/Unfreeze under [CacheDir]
// and a later cell asks for it by name with [Resume], which prints one
// line saying what it restored. As in Python, re-running the cell that
// creates a learner starts it over ([Persist] saves, never restores);
// [Learner.Reset] deletes the saved state and [NoPersist] turns saving off.
// The automatic key is the model name and vocabulary, so a notebook that
// trains several learners of the same model (the chapter's experiments)
// gives each its own [Persist] key. Outside notebooks nothing is saved
// unless [Persist] is given.
//
// Errors: methods that can fail on user input or data return an error that
// names the value or file and says what to do; [MustNew], [Must] and [Must1]
// panic with the same message (notebook cells:
// learner.Must(learn.FineTune(2))). Where fastgo differs from fastai it
// says so in the doc comment (e.g. [ReduceLROnPlateau] under a schedule).
package learner
