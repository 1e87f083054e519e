package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The page's JavaScript: the classic notebook's own objects (Jupyter.notebook,
// its cells) and the DOM it renders.
const (
	// jsHelpers defines uiEpochs(el): how many epoch tables (fastgo's
	// display.Table whose first column is "epoch") el holds.
	jsHelpers = `window.uiEpochs = window.uiEpochs || function (el) {
	let n = 0;
	el.querySelectorAll('table').forEach(t => {
		const th = t.querySelector('th');
		if (th && th.textContent.trim() === 'epoch') n++;
	});
	return n;
};`

	// pollJS is a snapshot: the kernel indicator and, per code cell, its
	// execution count, whether it shows an error, and its progress bars.
	pollJS = `(() => {
	const nb = window.Jupyter && Jupyter.notebook;
	if (!nb || !nb._fully_loaded || !window.uiEpochs) return {loaded: false, kernel: '', cells: []};
	const icon = document.getElementById('kernel_indicator_icon');
	let kernel = '';
	for (const k of ['idle', 'busy', 'dead', 'disconnected'])
		if (icon && icon.classList.contains('kernel_' + k + '_icon')) kernel = k;
	const cells = [];
	nb.get_cells().forEach((c, i) => {
		if (c.cell_type !== 'code') return;
		const el = c.element[0], bars = [];
		el.querySelectorAll('.output_area').forEach((a, j) => {
			const ps = a.querySelectorAll('progress');
			if (!ps.length) return;
			bars.push({a: j, s: Array.from(ps, p => p.getAttribute('value') + '/' + p.getAttribute('max')).join(' '),
				t: a.innerText.slice(0, 400), e: uiEpochs(a)});
		});
		const n = c.input_prompt_number;
		cells.push({i, n: n === undefined || n === null ? '' : String(n), err: !!el.querySelector('.output_error'), p: bars});
	});
	return {loaded: true, kernel, cells};
})()`

	// finalJS describes every code cell once the notebook has run.
	finalJS = `Jupyter.notebook.get_cells().map((c, i) => {
	if (c.cell_type !== 'code') return null;
	const el = c.element[0], n = c.input_prompt_number;
	return {i, n: n === undefined || n === null ? '' : String(n), src: c.get_text(),
		errors: Array.from(el.querySelectorAll('.output_error'), e => e.innerText),
		stderr: Array.from(el.querySelectorAll('.output_stderr'), e => e.innerText).join('\n'),
		areas: Array.from(el.querySelectorAll('.output_area'), (a, j) => ({a: j,
			progress: a.querySelectorAll('progress').length, epochs: uiEpochs(a)}))};
}).filter(c => c)`
)

// tab is one notebook open in the browser.
type tab struct {
	ctx  context.Context
	name string
}

// openNotebook loads url in ctx's tab and waits until the notebook is shown
// and its kernel is idle.
func openNotebook(ctx context.Context, name, url string, timeout time.Duration) (*tab, error) {
	t := &tab{ctx: ctx, name: name}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return nil, fmt.Errorf("open %s: %w", url, err)
	}
	deadline := time.Now().Add(timeout)
	for {
		s, err := t.poll()
		if err != nil {
			return nil, err
		}
		if s.Loaded && s.Kernel == "idle" {
			return t, nil
		}
		if s.Kernel == "dead" {
			return nil, fmt.Errorf("%s: the kernel died at start", name)
		}
		if time.Now().After(deadline) {
			dialog, _ := t.text(`(document.querySelector('.modal-dialog .modal-body') || {}).innerText || ''`)
			return nil, fmt.Errorf("%s: the notebook or its kernel was not ready within %s (kernel indicator: %q) %s",
				name, timeout, s.Kernel, dialog)
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// poll takes a snapshot of the page.
func (t *tab) poll() (snapshot, error) {
	var s snapshot
	raw, err := chromedp.Run(t.ctx, chromedp.Evaluate[[]byte](jsHelpers+"\n"+pollJS))
	if err != nil {
		return s, fmt.Errorf("%s: poll the page: %w", t.name, err)
	}
	return s, json.Unmarshal(raw, &s)
}

// eval runs JavaScript for its effect.
func (t *tab) eval(js string) error {
	_, err := chromedp.Run(t.ctx, chromedp.Evaluate[[]byte](js))
	return err
}

// text evaluates JavaScript that gives a string.
func (t *tab) text(js string) (string, error) {
	return chromedp.Run(t.ctx, chromedp.Evaluate[string](js))
}

// runAll clicks Cell > Run All as a person does, polls the page every
// 150 ms until the kernel is idle with every queued cell done, and returns
// the cells as they end, what the polls saw, and the time it took.
func (t *tab) runAll(timeout time.Duration, progress func(snapshot)) ([]finalCell, *observed, time.Duration, error) {
	o := newObserved()
	if err := chromedp.Do(t.ctx, chromedp.Click(chromedp.ID("celllink"))); err != nil {
		return nil, nil, 0, fmt.Errorf("%s: open the Cell menu: %w", t.name, err)
	}
	start := time.Now()
	if err := chromedp.Do(t.ctx, chromedp.Click(chromedp.CSS("#run_all_cells > a"))); err != nil {
		return nil, nil, 0, fmt.Errorf("%s: click Run All: %w", t.name, err)
	}
	idle := 0
	for {
		s, err := t.poll()
		if err != nil {
			return nil, o, time.Since(start), err
		}
		o.add(s)
		if progress != nil {
			progress(s)
		}
		if s.Kernel == "dead" {
			return nil, o, time.Since(start), fmt.Errorf("%s: the kernel died during Run All", t.name)
		}
		// Idle and nothing queued twice in a row, 150 ms apart: between two
		// cells the kernel can look idle for a moment.
		if finished(s) {
			idle++
		} else {
			idle = 0
		}
		if idle >= 3 {
			break
		}
		if time.Since(start) > timeout {
			return nil, o, time.Since(start), fmt.Errorf("%s: Run All did not finish within %s%s", t.name, timeout, running(s))
		}
		if err := sleep(t.ctx, 150*time.Millisecond); err != nil {
			return nil, o, time.Since(start), err
		}
	}
	took := time.Since(start)
	raw, err := chromedp.Run(t.ctx, chromedp.Evaluate[[]byte](jsHelpers+"\n"+finalJS))
	if err != nil {
		return nil, o, took, fmt.Errorf("%s: read the cells: %w", t.name, err)
	}
	var cells []finalCell
	if err := json.Unmarshal(raw, &cells); err != nil {
		return nil, o, took, err
	}
	return cells, o, took, nil
}

// running names the cells still running or queued in s.
func running(s snapshot) string {
	var r []string
	for _, c := range s.Cells {
		if c.Count == "*" {
			r = append(r, fmt.Sprint(c.Index))
		}
	}
	if len(r) == 0 {
		return fmt.Sprintf(" (kernel %s)", s.Kernel)
	}
	return fmt.Sprintf(" (kernel %s; cells still queued or running: %s)", s.Kernel, strings.Join(r, ", "))
}

// newCell adds a code cell at the bottom, selects it and puts its editor in
// edit mode (focused), as clicking into it does. It returns its index.
func (t *tab) newCell() (int, error) {
	raw, err := chromedp.Run(t.ctx, chromedp.Evaluate[int](`(() => {
	const nb = Jupyter.notebook;
	nb.insert_cell_at_bottom('code');
	const i = nb.ncells() - 1;
	nb.select(i);
	nb.edit_mode();
	nb.get_cell(i).element[0].scrollIntoView({block: 'center'});
	return i;
})()`))
	return raw, err
}

// typeText types s into the focused editor, key by key (Enter for "\n").
func (t *tab) typeText(s string) error {
	for _, r := range s {
		if r == '\n' {
			if err := t.press("Enter", "Enter", 13, 0); err != nil {
				return err
			}
			continue
		}
		if err := chromedp.Do(t.ctx, chromedp.KeyEvent(string(r))); err != nil {
			return err
		}
	}
	return nil
}

// Key modifiers of input.DispatchKeyEvent.
const modShift = 8

// press sends one key press (keydown, keyup) with no character, as the
// editor's and the notebook's shortcuts see Tab, Shift+Tab, Shift+Enter or
// Escape.
func (t *tab) press(key, code string, vk, modifiers int64) error {
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		_, err := chromedp.Call(t.ctx, input.DispatchKeyEvent, input.DispatchKeyEventParams{
			Type: typ, Key: key, Code: code, WindowsVirtualKeyCode: vk, NativeVirtualKeyCode: vk, Modifiers: modifiers})
		if err != nil {
			return err
		}
	}
	return nil
}

// cellText is the text of cell i's editor.
func (t *tab) cellText(i int) (string, error) {
	return t.text(fmt.Sprintf(`Jupyter.notebook.get_cell(%d).get_text()`, i))
}

// cellOutput is cell i's execution count and output text.
func (t *tab) cellOutput(i int) (count, text string, err error) {
	raw, err := chromedp.Run(t.ctx, chromedp.Evaluate[[]string](fmt.Sprintf(`(() => {
	const c = Jupyter.notebook.get_cell(%d), n = c.input_prompt_number;
	const out = c.element[0].querySelector('.output_wrapper');
	return [n === undefined || n === null ? '' : String(n), out ? out.innerText : ''];
})()`, i)))
	if err != nil || len(raw) != 2 {
		return "", "", err
	}
	return raw[0], raw[1], nil
}

// runCell runs the selected cell with Shift+Enter and waits until it shows
// an execution count and an output containing want (or an error output);
// it returns the output text and the time from the key press.
func (t *tab) runCell(i int, want string, timeout time.Duration) (string, time.Duration, error) {
	start := time.Now()
	if err := t.press("Enter", "Enter", 13, modShift); err != nil {
		return "", 0, err
	}
	for {
		count, out, err := t.cellOutput(i)
		if err != nil {
			return "", time.Since(start), err
		}
		if count != "" && count != "*" {
			if strings.Contains(out, want) {
				return out, time.Since(start), nil
			}
			// Finished (the count is set) without the text: give late
			// outputs a moment before failing.
			if time.Since(start) > timeout || t.idleAfter(2*time.Second) {
				count, out, _ = t.cellOutput(i)
				if strings.Contains(out, want) {
					return out, time.Since(start), nil
				}
				return out, time.Since(start), fmt.Errorf("cell %d ran (count %s) but its output lacks %q: %s", i, count, want, excerpt(out, 8))
			}
		}
		if time.Since(start) > timeout {
			return out, time.Since(start), fmt.Errorf("cell %d did not finish within %s (count %q)", i, timeout, count)
		}
		if err := sleep(t.ctx, 50*time.Millisecond); err != nil {
			return "", time.Since(start), err
		}
	}
}

// idleAfter waits d and reports whether the kernel is idle then.
func (t *tab) idleAfter(d time.Duration) bool {
	if sleep(t.ctx, d) != nil {
		return false
	}
	s, err := t.poll()
	return err == nil && s.Kernel == "idle"
}

// waitVisible polls js (a boolean expression) every 50 ms until it is true,
// and returns how long that took.
func (t *tab) waitVisible(js string, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		ok, err := chromedp.Run(t.ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			return time.Since(start), err
		}
		if ok {
			return time.Since(start), nil
		}
		if time.Since(start) > timeout {
			return time.Since(start), errTimeout
		}
		if err := sleep(t.ctx, 50*time.Millisecond); err != nil {
			return time.Since(start), err
		}
	}
}

var errTimeout = errors.New("timed out")

// maxShot is the tallest screenshot in pixels (Chromium's limit on a
// captured surface is about 16k).
const maxShot = 16000

// shotWidth is the browser's viewport width.
const shotWidth, shotHeight = 1280, 1024

// screenshotNotebook is a PNG of the whole notebook: the viewport is made as
// tall as the notebook for the capture, then restored. A notebook taller
// than maxShot px is drawn at a smaller scale so that it fits; scale says
// which (1 for full size).
func (t *tab) screenshotNotebook() (png []byte, scale float64, err error) {
	h, err := chromedp.Run(t.ctx, chromedp.Evaluate[float64](`(() => {
	const head = document.getElementById('header'), nb = document.getElementById('notebook');
	return (head ? head.offsetHeight : 0) + (nb ? nb.scrollHeight : document.body.scrollHeight);
})()`))
	if err != nil {
		return nil, 0, err
	}
	height := max(int64(math.Ceil(h)), shotHeight)
	scale = min(1, float64(maxShot)/float64(height))
	if _, err := chromedp.Call(t.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: shotWidth, Height: height, DeviceScaleFactor: scale}); err != nil {
		return nil, scale, err
	}
	defer chromedp.Call(t.ctx, emulation.ClearDeviceMetricsOverride, struct{}{})
	// The notebook sizes its scrolling area on the resize event.
	if err := t.eval(`window.dispatchEvent(new Event('resize')); document.getElementById('site').scrollTop = 0`); err != nil {
		return nil, scale, err
	}
	if err := sleep(t.ctx, 500*time.Millisecond); err != nil {
		return nil, scale, err
	}
	png, err = t.screenshot()
	return png, scale, err
}

// screenshot is a PNG of the viewport.
func (t *tab) screenshot() ([]byte, error) {
	r, err := chromedp.Call(t.ctx, page.CaptureScreenshot, page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng})
	return r.Data, err
}

// save saves the notebook (File > Save), as the UI shows it now.
func (t *tab) save() error {
	_, err := chromedp.Run(t.ctx, chromedp.Evaluate[bool](`Jupyter.notebook.save_notebook().then(() => true)`, chromedp.EvalAwaitPromise))
	return err
}

// close forgets unsaved changes (no "leave page?" prompt) and closes the tab.
func (t *tab) close(cancel context.CancelFunc) {
	t.eval(`window.onbeforeunload = null`)
	cancel()
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
