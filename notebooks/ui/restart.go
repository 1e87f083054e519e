package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// notDeclaredMessage is what the kernel's goimports says when a cell uses a
// notebook variable no cell in this kernel session declared (tools/goimports).
const notDeclaredMessage = "is not declared in this kernel session"

// restartProbes restarts the kernel as a person does (Kernel > Restart, then
// the dialog's Restart button), then tries in the new kernel: Tab after
// `fastgo.` (the first completion of a kernel), and the notebook's Summary
// cell run alone, whose error must name the cell that declares path (issue
// 20.4: it said `cannot use path.Join(…)` about Go's package path).
func restartProbes(t *tab, name string, cells []finalCell) (problems, report []string, err error) {
	start := time.Now()
	if err := t.restartKernel(2 * time.Minute); err != nil {
		return nil, nil, err
	}
	report = append(report, fmt.Sprintf("%s: Kernel > Restart, idle after %.1f s", name, time.Since(start).Seconds()))

	p, r, err := completion(t, "first Tab in the restarted kernel", "ui_completion_restart.png")
	problems, report = append(problems, p...), append(report, r...)
	if err != nil {
		return problems, report, err
	}

	i := slices.IndexFunc(cells, func(c finalCell) bool { return strings.Contains(c.Source, ".Summary(") })
	if i < 0 {
		return append(problems, "no Summary cell to run after the restart"), report, nil
	}
	summary := cells[i].Index
	if err := t.eval(fmt.Sprintf(`(() => { const nb = Jupyter.notebook; nb.select(%d); nb.command_mode();
	nb.get_cell(%d).element[0].scrollIntoView({block: 'center'}); })()`, summary, summary)); err != nil {
		return problems, report, err
	}
	out, d, err := t.runCell(summary, notDeclaredMessage, 3*time.Minute)
	// The cell to run: the notebook's first code cell, `var path = …`.
	want := name + ".ipynb, code cell 1: var path = "
	switch {
	case err != nil:
		problems = append(problems, "the Summary cell run alone after a restart: "+err.Error())
	case !strings.Contains(out, want):
		problems = append(problems, fmt.Sprintf("the Summary cell run alone after a restart does not name the cell to run (%q): %s", want, excerpt(out, 8)))
	default:
		report = append(report, fmt.Sprintf("%s: Summary cell alone after the restart: %.2f s, %s", name, d.Seconds(), excerpt(out[strings.Index(out, want):], 1)))
	}
	if f := t.shot("the Summary cell after the restart", "ui_restart_error.png", false); f != "" {
		report = append(report, "screenshot: "+f)
	}
	return problems, report, nil
}

// restartKernel clicks Kernel > Restart and the confirmation dialog's
// Restart button, and waits until the new kernel is idle.
func (t *tab) restartKernel(timeout time.Duration) error {
	if err := chromedp.Do(t.ctx, chromedp.Click(chromedp.ID("kernellink"))); err != nil {
		return fmt.Errorf("%s: open the Kernel menu: %w", t.name, err)
	}
	if err := chromedp.Do(t.ctx, chromedp.Click(chromedp.CSS("#restart_kernel > a"))); err != nil {
		return fmt.Errorf("%s: click Restart: %w", t.name, err)
	}
	if err := chromedp.Do(t.ctx, chromedp.Click(chromedp.CSS(".modal-footer .btn-danger"))); err != nil {
		return fmt.Errorf("%s: confirm the restart: %w", t.name, err)
	}
	// The indicator goes busy (restarting), then idle.
	deadline := time.Now().Add(timeout)
	for seen := 0; seen < 3; {
		if err := sleep(t.ctx, 250*time.Millisecond); err != nil {
			return err
		}
		s, err := t.poll()
		if err != nil {
			return err
		}
		if s.Kernel == "idle" {
			seen++
		} else {
			seen = 0
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: the kernel was not idle within %s of the restart (indicator %q)", t.name, timeout, s.Kernel)
		}
	}
	return nil
}
