// Package interp is fastai's ClassificationInterpretation: after training,
// it shows where a classifier goes wrong — the confusion matrix and its
// plot, the most confused pairs of classes, and the items with the highest
// losses.
//
// An interpretation is built from a model's predictions over the
// validation set: from a learner (anything with GetPreds, see
// [PredsSource]) with [FromSource], from [learner.Preds] with [FromPreds],
// or from plain slices with [FromPredictions]. It only reads them, so the
// same predictions can be examined many ways:
//
//	ci, err := interp.FromSource(learn, learn.Data.Vocab, validItems)
//	if err != nil { ... }
//	ci.PlotConfusionMatrix()          // interp.plot_confusion_matrix()
//	fmt.Println(ci.MostConfused(5))   // [('american_pit_bull_terrier', 'staffordshire_bull_terrier', 10), ...]
//	ci.PlotTopLosses(9, loadImage)    // "Prediction/Actual/Loss/Probability"
//
// Plots and image grids go through package display: inline in a GoNB
// notebook, PNG files under display.OutputDir() in a terminal.
//
// Errors: constructors and plots return errors that name the bad value;
// nothing here panics on bad input.
package interp
