// Command ui checks the notebooks in the live Jupyter UI, as a person uses
// them: Debian's classic Jupyter Notebook server, driven through headless
// Chromium with chromedp (make ui-check; scripts/ui-check.sh sets up the
// kernel and data first, as scripts/run-notebooks.sh does). It is a
// module of its own, so that chromedp stays out of the library's go.mod:
//
//	cd notebooks/ui && go run . -work ../../build/ui ../01_data.ipynb ../05_pet_breeds.ipynb
//
// It copies each notebook, outputs cleared, to WORK/nb (the checked-in ones
// are never touched), starts `jupyter notebook` on 127.0.0.1 with a random
// free port and token (its config, runtime and data folders under WORK, so
// the user's own Jupyter set-up is not read or changed), opens each copy,
// clicks Cell > Run All and polls the page while it runs. It fails, naming
// the cell, when
//   - a code cell has no execution count once the kernel is idle (it did not
//     run), shows an error output, or printed a panic, a `signal:` line or
//     a compiler error on stderr;
//   - a notebook that trains (a cell calling FineTune, FitOneCycle or Fit)
//     never showed a training progress bar (display's <progress>) in two
//     states, or a training display did not end as one epoch table and no
//     bar.
//
// In the first notebook (-probe names another) it then types into new cells:
// `fastgo.` and Tab must list GetImageFiles (the completion box);
// Shift+Tab over `fastgo.GetImageFiles` opens the tooltip, whose text is
// printed and checked only when it is not empty or FASTGO_UI_STRICT_TOOLTIP=1
// (GoNB v0.11.5 answers with text/markdown only, which the classic notebook
// does not show: bench/upstream/gonb-v0.11.5-inspect-text-plain.patch); a
// cell running display.Doc("fastgo.GetImageFiles") must show the function's
// documentation. Then it restarts the kernel (Kernel > Restart): `fastgo.`
// and Tab in the new kernel must list GetImageFiles again, and the
// notebook's Summary cell run alone must fail with the kernel's message that
// names the cell declaring path ("01_data.ipynb, code cell 1: var path = …",
// tools/goimports), not a type error about Go's package path.
//
// It prints Run All's time per notebook, the time of a trivial cell
// (fmt.Println(1)) after it, of the Tab completion after Run All and of the
// first one in the restarted kernel, and writes PNG screenshots to -shots
// (build/notebooks): ui_NAME.png per notebook, ui_completion.png,
// ui_tooltip.png, ui_doc.png, ui_completion_restart.png and
// ui_restart_error.png. Each copy is saved at
// the end with what the page showed (WORK/nb/NAME.ipynb). Everything it started
// (server, kernels, browser) is stopped when it ends, on a failure or on
// SIGINT/SIGTERM too; `ui -cleanup -work WORK` kills what a killed run left
// behind.
//
// With -page URL it drives the page `fastgo serve` shows instead: it
// uploads -upload through the page's file input, prints the class the page
// shows ("top-class: pug") and writes a screenshot to -shot; cmd/fastgo's
// TestBrowserPage runs it (make serve-check).
package main
