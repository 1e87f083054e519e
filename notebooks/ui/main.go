package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/chromedp/chromedp"
)

func init() {
	// The server is started from the main goroutine, which this keeps on
	// one OS thread: its Pdeathsig fires when the thread that started it
	// ends, which is then the end of the process.
	runtime.LockOSThread()
}

var (
	work     = flag.String("work", "build/ui", "working folder: notebook copies, Jupyter's config and runtime folders, logs")
	shots    = flag.String("shots", "build/notebooks", "folder for the screenshots")
	jupyter  = flag.String("jupyter", "/usr/bin/jupyter", "the jupyter command (Debian's, with the classic notebook)")
	chromium = flag.String("chromium", "/usr/bin/chromium", "the Chromium binary")
	probe    = flag.String("probe", "", "the notebook (base name) where completion, tooltip and display.Doc are tried (default: the first)")
	timeout  = flag.Duration("timeout", 45*time.Minute, "the longest a notebook's Run All may take")
	cleanup  = flag.Bool("cleanup", false, "only kill what a killed run left behind under -work (server, kernels), then exit")
	pageURL  = flag.String("page", "", "instead of notebooks: open this URL of `fastgo serve`, upload -upload, print the top class and write -shot (make serve-check)")
	upload   = flag.String("upload", "", "with -page: the image to upload")
	shot     = flag.String("shot", "build/serve/page.png", "with -page: where the screenshot goes")
)

func main() {
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: ui [flags] NOTEBOOK.ipynb ...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	abs, err := filepath.Abs(*work)
	if err != nil {
		fatal(err)
	}
	*work = abs
	if *cleanup {
		for _, k := range killLeftovers(*work) {
			fmt.Println("ui: killed leftover", k)
		}
		return
	}
	if *pageURL != "" {
		top, err := servePage(*pageURL, *upload, *shot)
		if err != nil {
			fatal(err)
		}
		fmt.Println("top-class:", top)
		return
	}
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	problems, err := check(ctx, flag.Args())
	if left := killLeftovers(*work); len(left) > 0 {
		fmt.Println("ui: killed leftovers:", strings.Join(left, "; "))
	}
	if err != nil {
		if ctx.Err() != nil {
			fatal(errors.New("interrupted; everything it started is stopped"))
		}
		fatal(err)
	}
	if len(problems) > 0 {
		fmt.Fprintf(os.Stderr, "ui-check: FAIL, %d problem(s):\n", len(problems))
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, "  -", p)
		}
		os.Exit(1)
	}
	fmt.Println("ui-check: ok")
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "ui-check:", err)
	os.Exit(2)
}

// check runs every notebook in the live UI and returns the problems found.
// An error is a check that could not be made (no server, no browser).
func check(ctx context.Context, notebooks []string) ([]string, error) {
	nbDir := filepath.Join(*work, "nb")
	if err := os.RemoveAll(nbDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(nbDir, 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(*shots, 0o755); err != nil {
		return nil, err
	}
	// The notebooks name files of the repository relative to their own
	// folder (../testdata/fastai/…): the copies see the same through a link.
	if err := linkTestdata(notebooks); err != nil {
		return nil, err
	}
	var names []string
	for _, nb := range notebooks {
		name := filepath.Base(nb)
		if err := copyCleared(nb, filepath.Join(nbDir, name)); err != nil {
			return nil, err
		}
		names = append(names, strings.TrimSuffix(name, ".ipynb"))
	}
	probeName := *probe
	if probeName == "" {
		probeName = names[0]
	}
	if !slices.Contains(names, probeName) {
		return nil, fmt.Errorf("-probe %s is not among the notebooks", probeName)
	}

	fmt.Println("==> jupyter notebook (classic) on 127.0.0.1, serving", nbDir)
	srv, err := startServer(ctx, *jupyter, *work, nbDir)
	if err != nil {
		return nil, err
	}
	defer srv.stop()
	fmt.Println("    ", srv.url, "log:", srv.log)

	browser, cancelBrowser, err := startBrowser(ctx, shotWidth, shotHeight)
	if err != nil {
		return nil, err
	}
	defer cancelBrowser()

	var problems []string
	var report []string
	for _, name := range names {
		p, r, err := checkNotebook(browser, srv, name, name == probeName)
		for _, q := range p {
			problems = append(problems, name+": "+q)
		}
		report = append(report, r...)
		if err != nil {
			return problems, err
		}
	}
	fmt.Println("==> ui-check summary")
	for _, r := range report {
		fmt.Println("    " + r)
	}
	return problems, nil
}

// startBrowser starts headless Chromium (-chromium) with a w×h window;
// cancel stops it.
func startBrowser(ctx context.Context, w, h int) (browser context.Context, cancel context.CancelFunc, err error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(*chromium), chromedp.WindowSize(w, h), chromedp.DisableGPU)
	if os.Getuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	cancel = func() { cancelBrowser(); cancelAlloc() }
	if err := chromedp.Do(browser); err != nil {
		cancel()
		return nil, nil, fmt.Errorf("start %s: %w", *chromium, err)
	}
	return browser, cancel, nil
}

// checkNotebook runs one notebook in a tab of its own, then, when probe is
// set, the completion, tooltip and display.Doc checks. It returns problems
// and report lines.
func checkNotebook(browser context.Context, srv *server, name string, probe bool) (problems, report []string, err error) {
	ctx, cancel := chromedp.NewContext(browser)
	fmt.Printf("==> %s.ipynb: open, Cell > Run All\n", name)
	t, err := openNotebook(ctx, name, srv.notebookURL(name+".ipynb"), 5*time.Minute)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	defer func() {
		t.close(cancel)
		// Its kernel goes now: the next notebook has the machine to itself.
		sctx, c := context.WithTimeout(context.Background(), 20*time.Second)
		defer c()
		srv.shutdownKernels(sctx)
	}()

	// A line when a cell starts, and each minute it runs.
	lastReport, current, since := time.Now(), -1, time.Now()
	cells, obs, took, err := t.runAll(*timeout, func(s snapshot) {
		i := slices.IndexFunc(s.Cells, func(c cellSeen) bool { return c.Count == "*" })
		if i < 0 {
			return
		}
		if c := s.Cells[i].Index; c != current || time.Since(lastReport) > time.Minute {
			if c != current {
				current, since = c, time.Now()
			}
			fmt.Printf("    cell %d running (%.0f s)\n", c, time.Since(since).Seconds())
			lastReport = time.Now()
		}
	})
	if err != nil {
		if ctx.Err() == nil {
			if f := t.shot(name+" at the failure", "ui_"+name+".png", true); f != "" {
				fmt.Println("    screenshot at the failure:", f)
			}
		}
		return nil, nil, err
	}
	problems = judge(cells, obs)
	report = append(report, fmt.Sprintf("%s: Run All %.1f s (%d code cells)", name, took.Seconds(), len(cells)))
	if bars := movingBars(obs, cells); len(bars) > 0 {
		report = append(report, fmt.Sprintf("%s: training bars seen moving: %s", name, strings.Join(bars, ", ")))
	}
	if f := t.shot(name+" after Run All", "ui_"+name+".png", true); f != "" {
		report = append(report, "screenshot: "+f)
	}

	// A trivial cell, typed and run with Shift+Enter.
	i, err := t.newCell()
	if err == nil {
		err = t.typeText("%%\nfmt.Println(1)")
	}
	if err != nil {
		return problems, report, err
	}
	if _, d, err := t.runCell(i, "1", 5*time.Minute); err != nil {
		problems = append(problems, "trivial cell: "+err.Error())
	} else {
		report = append(report, fmt.Sprintf("%s: trivial cell (fmt.Println(1)) %.2f s", name, d.Seconds()))
	}
	if probe {
		p, r, err := probes(t)
		problems = append(problems, p...)
		report = append(report, r...)
		if err != nil {
			return problems, report, err
		}
		p, r, err = restartProbes(t, name, cells)
		problems = append(problems, p...)
		report = append(report, r...)
		if err != nil {
			return problems, report, err
		}
	}
	// The copy keeps what the page showed, for reading.
	if err := t.save(); err != nil {
		fmt.Fprintf(os.Stderr, "ui-check: save %s: %v\n", name, err)
	} else {
		report = append(report, fmt.Sprintf("%s: saved as shown: %s", name, filepath.Join(*work, "nb", name+".ipynb")))
	}
	return problems, report, nil
}

// probes tries Tab completion, Shift+Tab and display.Doc in new cells.
func probes(t *tab) (problems, report []string, err error) {
	var i int
	problems, report, err = completion(t, "Tab completion after Run All", "ui_completion.png")
	if err != nil {
		return problems, report, err
	}

	// Shift+Tab over fastgo.GetImageFiles: the tooltip.
	const over = "%%\nfastgo.GetImageFiles"
	if i, err = t.newCell(); err == nil {
		err = t.typeText(over)
	}
	if err != nil {
		return problems, report, err
	}
	if text, _ := t.cellText(i); text != over {
		problems = append(problems, fmt.Sprintf("typing %q into a cell gave %q", over, text))
	}
	if err := t.press("Tab", "Tab", 9, modShift); err != nil {
		return problems, report, err
	}
	tipJS := `(() => { const t = document.getElementById('tooltip');
	return !!t && getComputedStyle(t).display !== 'none' && t.offsetParent !== null; })()`
	_, err = t.waitVisible(tipJS, 30*time.Second)
	shown := err == nil
	if err != nil && !errors.Is(err, errTimeout) {
		return problems, report, err
	}
	tip := ""
	if shown {
		sleep(t.ctx, 500*time.Millisecond) // the fade-in
		tip, _ = t.text(`(document.querySelector('#tooltip .tooltiptext') || {}).innerText || ''`)
		tip = strings.TrimSpace(tip)
	}
	switch {
	case !shown:
		report = append(report, "tooltip (Shift+Tab over fastgo.GetImageFiles): not shown")
	case tip == "":
		report = append(report, "tooltip (Shift+Tab over fastgo.GetImageFiles): shown, empty (GoNB v0.11.5 sends text/markdown only)")
	default:
		report = append(report, "tooltip (Shift+Tab over fastgo.GetImageFiles): "+excerpt(tip, 4))
	}
	if f := t.shot("the tooltip", "ui_tooltip.png", false); f != "" {
		report = append(report, "screenshot: "+f)
	}
	if tip != "" || os.Getenv("FASTGO_UI_STRICT_TOOLTIP") == "1" {
		if !isGetImageFilesDoc(tip) {
			problems = append(problems, fmt.Sprintf("Shift+Tab over fastgo.GetImageFiles: the tooltip does not show its documentation (shown: %v, text: %q)", shown, truncate(tip, 200)))
		}
	}
	t.press("Escape", "Escape", 27, 0)

	// display.Doc in a cell shows what the tooltip would.
	const doc = "%%\ndisplay.Doc(\"fastgo.GetImageFiles\")"
	if i, err = t.newCell(); err == nil {
		err = t.typeText(doc)
	}
	if err != nil {
		return problems, report, err
	}
	if text, _ := t.cellText(i); text != doc {
		problems = append(problems, fmt.Sprintf("typing %q into a cell gave %q", doc, text))
	}
	out, d, err := t.runCell(i, "func GetImageFiles(", 3*time.Minute)
	switch {
	case err != nil:
		problems = append(problems, "display.Doc(\"fastgo.GetImageFiles\"): "+err.Error())
	case !isGetImageFilesDoc(out):
		problems = append(problems, "display.Doc(\"fastgo.GetImageFiles\") shows no documentation: "+excerpt(out, 6))
	default:
		report = append(report, fmt.Sprintf("display.Doc(\"fastgo.GetImageFiles\"): %.2f s, %s", d.Seconds(), excerpt(out, 2)))
	}
	if f := t.shot("display.Doc's cell", "ui_doc.png", false); f != "" {
		report = append(report, "screenshot: "+f)
	}
	return problems, report, nil
}

// completion types `fastgo.` into a new cell and presses Tab until the
// completion list shows GetImageFiles; what names the report line, shot the
// screenshot's file.
func completion(t *tab, what, shot string) (problems, report []string, err error) {
	i, err := t.newCell()
	if err == nil {
		err = t.typeText("%%\nfastgo.")
	}
	if err != nil {
		return nil, nil, err
	}
	// GoNB gives gopls 8 s per request: on a loaded machine the first
	// request can time out and show nothing, and a person presses Tab
	// again. So: Tab, up to 20 s for the list, again, for 3 minutes.
	listJS := `(() => { const c = document.getElementById('complete');
	return !!c && c.offsetParent !== null && c.querySelectorAll('option').length > 0; })()`
	start, presses := time.Now(), 0
	var d time.Duration
	for {
		if err := t.press("Tab", "Tab", 9, 0); err != nil {
			return nil, nil, err
		}
		presses++
		_, err = t.waitVisible(listJS, min(20*time.Second, 3*time.Minute-time.Since(start)))
		d = time.Since(start)
		if !errors.Is(err, errTimeout) || d >= 3*time.Minute {
			break
		}
		if text, _ := t.cellText(i); text != "%%\nfastgo." {
			break // something was inserted: no list will come
		}
	}
	var options []string
	if err == nil {
		options, err = chromedp.Run(t.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#complete option'), o => o.textContent)`))
	}
	switch {
	case errors.Is(err, errTimeout):
		text, _ := t.cellText(i)
		problems = append(problems, fmt.Sprintf("%s: Tab after `fastgo.` (%d presses) showed no completion list within %.0f s (cell text now %q)", what, presses, d.Seconds(), text))
	case err != nil:
		return problems, report, err
	default:
		report = append(report, fmt.Sprintf("%s: %.2f s (%d Tab presses), %d options", what, d.Seconds(), presses, len(options)))
		if !slices.ContainsFunc(options, func(o string) bool { return o == "GetImageFiles" || strings.HasSuffix(o, ".GetImageFiles") }) {
			problems = append(problems, fmt.Sprintf("Tab after `fastgo.` lists %d names but not GetImageFiles: %s", len(options), truncate(strings.Join(options, " "), 300)))
		}
	}
	if f := t.shot("the completion list", shot, false); f != "" {
		report = append(report, "screenshot: "+f)
	}
	t.press("Escape", "Escape", 27, 0)
	return problems, report, nil
}

// isGetImageFilesDoc reports whether text is GetImageFiles' documentation:
// its signature or its doc comment's first words.
func isGetImageFilesDoc(text string) bool {
	return strings.Contains(text, "GetImageFiles") &&
		(strings.Contains(text, "func GetImageFiles(") || strings.Contains(text, "get_image_files"))
}

// shot writes a screenshot (the whole notebook, or the viewport) to the
// shots folder and returns its path, "" when it failed (said on stderr).
func (t *tab) shot(what, file string, whole bool) string {
	var png []byte
	var err error
	scale := 1.0
	if whole {
		png, scale, err = t.screenshotNotebook()
	} else {
		png, err = t.screenshot()
	}
	path := filepath.Join(*shots, file)
	if err == nil {
		err = os.WriteFile(path, png, 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ui-check: screenshot of %s: %v\n", what, err)
		return ""
	}
	if scale < 1 {
		return path + fmt.Sprintf(" (at %.0f%% scale)", 100*scale)
	}
	return path
}

// linkTestdata makes <work>/testdata a link to the testdata folder beside
// the notebooks' folder, so that a notebook copied to <work>/nb reads
// ../testdata as it does from notebooks/.
func linkTestdata(notebooks []string) error {
	if len(notebooks) == 0 {
		return nil
	}
	src, err := filepath.Abs(filepath.Join(filepath.Dir(notebooks[0]), "..", "testdata"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(src); err != nil {
		return nil // no testdata beside the notebooks: nothing to show
	}
	link := filepath.Join(*work, "testdata")
	if err := os.RemoveAll(link); err != nil {
		return err
	}
	return os.Symlink(src, link)
}

// copyCleared copies a notebook with its outputs and execution counts
// removed, so that what the check sees comes from this run.
func copyCleared(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var nb map[string]any
	if err := json.Unmarshal(b, &nb); err != nil {
		return fmt.Errorf("%s: not a notebook: %w", src, err)
	}
	cells, _ := nb["cells"].([]any)
	for _, c := range cells {
		if m, ok := c.(map[string]any); ok && m["cell_type"] == "code" {
			m["outputs"] = []any{}
			m["execution_count"] = nil
		}
	}
	out, err := json.MarshalIndent(nb, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(dst, out, 0o644)
}
