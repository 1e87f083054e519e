// Package display shows fastgo's tables, progress bars, images and plots
// wherever the program runs, with one API and two renderings:
//
//   - in a GoNB notebook: HTML tables (the pandas-style
//     `<table class="dataframe">` fastai shows), HTML progress bars and live
//     tables updated in place, images and plots as inline PNGs;
//   - elsewhere (a terminal, a test, a batch job): aligned text tables,
//     fastprogress-style `\r` progress bars, and images and plots written as
//     PNG files under OutputDir() (default ./fastgo_output, or
//     $FASTGO_OUTPUT_DIR) whose paths are printed.
//
// Progress bars are redrawn in place only on a terminal. When the output
// is a file or a pipe (`nohup prog > log`, CI) they are written as log
// lines: each finished bar as one line (its prefix, how many of how many,
// the time taken and the last comment, such as the loss) — fastai's
// per-epoch bars, which vanish on a terminal, included — and a bar that
// runs longer writes its current line every 30 s, so that a log of an
// hour-long CPU fit shows how far it got without flooding it.
// FASTGO_PROGRESS=redraw|log|final chooses ([EnvProgress]; "final" keeps
// only the bars that stay on a terminal). A notebook is not concerned: its
// bars are HTML outputs updated in place.
//
// The notebook is detected through gonbui.IsNotebook; the environment
// variable FASTGO_DISPLAY=notebook|terminal overrides the detection. It is
// the one package that knows notebooks: besides showing, it holds the
// notebook-session helpers — [SayOncePerSession] (a note printed once per
// kernel session, not in every cell), [Doc] (fastai's doc(): go doc in a
// cell) — and fastprogress' formats ([FormatBytes], [FormatDuration]). The
// package knows nothing about machine learning: callers pass images, rows of
// formatted cells and numeric series.
//
// A training-style display:
//
//	mb := display.NewMasterBar(3, []string{"epoch", "train_loss", "valid_loss", "time"})
//	for epoch := range 3 {
//		bar := mb.NewChild(64) // "Epoch 1/3 : |████----| 45.31% [29/64 00:12<00:15 0.5432]"
//		for batch := range 64 {
//			bar.Update(batch+1, fmt.Sprintf("%.4f", loss))
//		}
//		bar.Done()
//		mb.Append([]string{strconv.Itoa(epoch), "0.612340", "0.401200", "00:21"})
//		mb.Update(epoch + 1)
//	}
//	mb.Done()
//
// And a plot:
//
//	p, err := display.PlotFunction(func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, -4, 4, "sigmoid", "x", "y")
//	if err == nil {
//		_, err = display.ShowPlot(p, "sigmoid") // inline, or ./fastgo_output/sigmoid.png
//	}
package display
