package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"image"
	"image/png"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
)

// text is a notebook string: JSON has it as a string or a list of lines.
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = text(s)
		return nil
	}
	var lines []string
	if err := json.Unmarshal(b, &lines); err != nil {
		return err
	}
	*t = text(strings.Join(lines, ""))
	return nil
}

type output struct {
	OutputType string          `json:"output_type"`
	Name       string          `json:"name"`
	Text       text            `json:"text"`
	Ename      string          `json:"ename"`
	Evalue     string          `json:"evalue"`
	Traceback  []string        `json:"traceback"`
	Data       map[string]text `json:"data"`
}

type cell struct {
	CellType       string   `json:"cell_type"`
	ExecutionCount *int     `json:"execution_count"`
	Source         text     `json:"source"`
	Outputs        []output `json:"outputs"`
	Metadata       struct {
		// Execution holds nbclient's timestamps (record_timing).
		Execution map[string]string `json:"execution"`
		// Check is what this cell's own outputs must (texts) and must not
		// (absent) show: "fastgo_check": {"texts": [...], "absent": [...]}.
		Check struct {
			Texts  []string `json:"texts"`
			Absent []string `json:"absent"`
		} `json:"fastgo_check"`
		// Book names the chapter cell this one is ("fastgo_book").
		Book string `json:"fastgo_book"`
	} `json:"metadata"`
}

// seconds is how long the cell took, from nbclient's timestamps; -1 when
// they are missing.
func (c cell) seconds() float64 {
	start, err1 := time.Parse(time.RFC3339Nano, c.Metadata.Execution["iopub.execute_input"])
	end, err2 := time.Parse(time.RFC3339Nano, c.Metadata.Execution["shell.execute_reply"])
	if err1 != nil || err2 != nil {
		return -1
	}
	return end.Sub(start).Seconds()
}

// expectations are what a notebook promises to show, from its metadata
// ("fastgo_check": {"min_images": 1, "texts": ["epoch", ...]}). A text may
// name a fact of the run in braces, "(#{images})", that the harness passes
// in (see expand): the notebooks run on whatever data they were given.
type expectations struct {
	MinImages int      `json:"min_images"`
	Texts     []string `json:"texts"`
}

type notebook struct {
	Cells    []cell `json:"cells"`
	Metadata struct {
		Check expectations `json:"fastgo_check"`
	} `json:"metadata"`
}

// report is the outcome for one notebook.
type report struct {
	Cells, Images, Texts int
	// BookCells counts the code cells that say which chapter cell they are.
	BookCells int
	// CellSeconds is the run time of each code cell (-1 when unknown).
	CellSeconds         []float64
	ShotInk, ShotColour float64
	Problems            []string
}

// Summary is the one-line report of a notebook that passed.
func (r report) Summary() string {
	s := fmt.Sprintf("%d code cells ran (%d of them the book's), %d non-blank PNG images, %d expected texts found, screenshot %.1f%% ink / %.1f%% colour",
		r.Cells, r.BookCells, r.Images, r.Texts, 100*r.ShotInk, 100*r.ShotColour)
	var times []string
	for _, sec := range r.CellSeconds {
		if sec < 0 {
			return s
		}
		times = append(times, fmt.Sprintf("%.0f", sec))
	}
	if len(times) > 0 {
		s += "; cell seconds " + strings.Join(times, " ")
	}
	return s
}

func (r *report) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// failure marks text a Go program prints when it crashes or does not build.
var failure = regexp.MustCompile(`(?m)^panic: |goroutine \d+ \[running\]|\[signal SIG|^# gonb_|: undefined: |: syntax error`)

// expand replaces each {name} in text with vars[name]; it fails on a name
// the run did not provide, so a check is never silently skipped.
func expand(text string, vars map[string]string) (string, error) {
	var err error
	out := rePlaceholder.ReplaceAllStringFunc(text, func(m string) string {
		name := m[1 : len(m)-1]
		v, ok := vars[name]
		if !ok && err == nil {
			err = fmt.Errorf("the expected text %q needs {%s}: pass -%s", text, name, name)
		}
		return v
	})
	return out, err
}

var rePlaceholder = regexp.MustCompile(`\{[a-z_]+\}`)

// checkNotebook checks one executed notebook; vars are the run's facts its
// expected texts may name (see expand).
func checkNotebook(path string, screenshot bool, vars map[string]string) (report, error) {
	var r report
	data, err := os.ReadFile(path)
	if err != nil {
		return r, err
	}
	var nb notebook
	if err := json.Unmarshal(data, &nb); err != nil {
		return r, fmt.Errorf("not a notebook: %w", err)
	}
	checkCells(&r, nb)

	base := strings.TrimSuffix(path, ".ipynb")
	page, err := os.ReadFile(base + ".html")
	if err != nil {
		r.problem("no HTML export: %v", err)
		return r, nil
	}
	want := nb.Metadata.Check
	want.Texts = slices.Clone(want.Texts)
	for i, t := range want.Texts {
		if want.Texts[i], err = expand(t, vars); err != nil {
			return r, err
		}
	}
	checkPage(&r, string(page), want)
	if screenshot {
		checkScreenshot(&r, base+".png", nb.Metadata.Check.MinImages > 0)
	}
	return r, nil
}

func checkCells(r *report, nb notebook) {
	for i, c := range nb.Cells {
		if c.CellType != "code" || strings.TrimSpace(string(c.Source)) == "" {
			continue
		}
		r.Cells++
		r.CellSeconds = append(r.CellSeconds, c.seconds())
		where := fmt.Sprintf("cell %d (%s)", i, firstLine(strings.TrimPrefix(strings.TrimSpace(string(c.Source)), "%%")))
		if c.ExecutionCount == nil {
			r.problem("%s did not run", where)
		}
		if c.Metadata.Book != "" {
			r.BookCells++
		}
		checkCellTexts(r, where, c)
		for _, o := range c.Outputs {
			if o.OutputType == "error" {
				msg := firstLine(o.Evalue + " " + strings.Join(o.Traceback, " "))
				// GoNB sends the compiler's message only as HTML, beside an
				// error that says just `failed to run "go build"`.
				if lines := compilerLines(c); len(lines) > 0 {
					msg += "\n      " + strings.Join(lines, "\n      ")
				}
				r.problem("%s failed: %s: %s", where, o.Ename, msg)
				continue
			}
			all := []string{string(o.Text)}
			for _, v := range o.Data {
				all = append(all, string(v))
			}
			for _, s := range all {
				if loc := failure.FindStringIndex(s); loc != nil {
					r.problem("%s printed a failure: %q", where, excerpt(s, loc[0]))
					break
				}
			}
			// A character cut in two where GoNB split the cell's output.
			if n := strings.Count(string(o.Text), "\uFFFD"); n > 0 {
				r.problem("%s shows %d U+FFFD (a character cut in two, e.g. %q)", where, n, excerpt(string(o.Text), strings.Index(string(o.Text), "\uFFFD")))
			}
		}
	}
}

// reCompilerLine matches a Go compiler or vet message: file.go:line:col: …
var reCompilerLine = regexp.MustCompile(`\S+\.go:\d+(:\d+)?: \S.*`)

// compilerLines are the compiler messages among a cell's outputs (HTML
// included), at most 5.
func compilerLines(c cell) []string {
	var lines []string
	for _, o := range c.Outputs {
		texts := []string{string(o.Text)}
		for mime, v := range o.Data {
			if mime == "text/html" {
				// Block elements end lines; inline ones (GoNB wraps the
				// location in spans) join their text with what follows.
				h := reBlockTag.ReplaceAllString(reHidden.ReplaceAllString(string(v), " "), "\n")
				texts = append(texts, html.UnescapeString(reTag.ReplaceAllString(h, "")))
			} else if strings.HasPrefix(mime, "text/") {
				texts = append(texts, string(v))
			}
		}
		for _, t := range texts {
			for _, m := range reCompilerLine.FindAllString(t, -1) {
				if m = strings.TrimSpace(m); !slices.Contains(lines, m) && len(lines) < 5 {
					lines = append(lines, m)
				}
			}
		}
	}
	return lines
}

// checkCellTexts checks a cell's own outputs against its metadata's
// fastgo_check: every text shown, no absent text shown.
func checkCellTexts(r *report, where string, c cell) {
	var all []string
	for _, o := range c.Outputs {
		all = append(all, string(o.Text))
		for mime, v := range o.Data {
			if mime == "text/html" {
				all = append(all, html.UnescapeString(reTag.ReplaceAllString(reHidden.ReplaceAllString(string(v), " "), " ")))
			} else if strings.HasPrefix(mime, "text/") {
				all = append(all, string(v))
			}
		}
	}
	shown := normalise(strings.Join(all, " "))
	for _, t := range c.Metadata.Check.Texts {
		if strings.Contains(shown, normalise(t)) {
			r.Texts++
		} else {
			r.problem("%s does not show %q", where, t)
		}
	}
	for _, t := range c.Metadata.Check.Absent {
		if strings.Contains(shown, normalise(t)) {
			r.problem("%s shows %q, which it must not", where, t)
		}
	}
}

var (
	// Only <img> elements: the page's CSS has small data-URI icons too.
	rePNG    = regexp.MustCompile(`<img\b[^>]*\ssrc="data:image/png;base64,([A-Za-z0-9+/=\s]+)"`)
	reHidden = regexp.MustCompile(`(?is)<(script|style)\b.*?</(script|style)>`)
	reTag    = regexp.MustCompile(`(?s)<[^>]*>`)
	// reBlockTag matches the tags of elements that start a new line.
	reBlockTag = regexp.MustCompile(`(?i)</?(div|pre|p|br|li|tr|h[1-6])\b[^>]*>`)
	reSpace    = regexp.MustCompile(`\s+`)
)

func checkPage(r *report, page string, want expectations) {
	for i, m := range rePNG.FindAllStringSubmatch(page, -1) {
		raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(m[1]), ""))
		if err != nil {
			r.problem("image %d: bad base64: %v", i, err)
			continue
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			r.problem("image %d: not a PNG: %v", i, err)
			continue
		}
		if b := img.Bounds(); b.Dx() < 8 || b.Dy() < 8 {
			r.problem("image %d is only %dx%d", i, b.Dx(), b.Dy())
			continue
		}
		if sd := lumaStdDev(img); sd < 2 {
			r.problem("image %d (%v) is blank (luminance spread %.2f)", i, img.Bounds().Size(), sd)
			continue
		}
		r.Images++
	}
	if r.Images < want.MinImages {
		r.problem("the page shows %d non-blank PNG images, want at least %d", r.Images, want.MinImages)
	}
	visible := normalise(html.UnescapeString(reTag.ReplaceAllString(reHidden.ReplaceAllString(page, " "), " ")))
	for _, t := range want.Texts {
		if strings.Contains(visible, normalise(t)) {
			r.Texts++
		} else {
			r.problem("the page does not show %q", t)
		}
	}
}

func checkScreenshot(r *report, path string, wantColour bool) {
	f, err := os.Open(path)
	if err != nil {
		r.problem("no screenshot: %v", err)
		return
	}
	defer func() { _ = f.Close() }()
	img, err := png.Decode(f)
	if err != nil {
		r.problem("screenshot %s: %v", path, err)
		return
	}
	r.ShotInk, r.ShotColour = inkAndColour(img)
	if r.ShotInk < 0.005 {
		r.problem("screenshot %s is blank: %.2f%% of its pixels differ from the background", path, 100*r.ShotInk)
	}
	if wantColour && r.ShotColour < 0.002 {
		r.problem("screenshot %s shows no colour images (%.3f%% colourful pixels): the browser did not render them", path, 100*r.ShotColour)
	}
}

// lumaStdDev is the spread of the image's luminance, sampled on a grid.
func lumaStdDev(img image.Image) float64 {
	var n, sum, sum2 float64
	b := img.Bounds()
	step := max(1, min(b.Dx(), b.Dy())/64)
	for y := b.Min.Y; y < b.Max.Y; y += step {
		for x := b.Min.X; x < b.Max.X; x += step {
			l := luma(img, x, y)
			n, sum, sum2 = n+1, sum+l, sum2+l*l
		}
	}
	mean := sum / n
	return math.Sqrt(math.Max(0, sum2/n-mean*mean))
}

func luma(img image.Image, x, y int) float64 {
	r, g, b, _ := img.At(x, y).RGBA()
	return (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 257
}

// inkAndColour are the fractions of pixels that differ from the most common
// (background) colour, and of strongly coloured pixels (photos, plots).
func inkAndColour(img image.Image) (ink, colour float64) {
	b := img.Bounds()
	counts := map[[3]uint32]int{}
	var total, colourful int
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			px := [3]uint32{r >> 8, g >> 8, bl >> 8}
			counts[px]++
			total++
			if max(px[0], px[1], px[2])-min(px[0], px[1], px[2]) > 40 {
				colourful++
			}
		}
	}
	var bg int
	for _, c := range counts {
		bg = max(bg, c)
	}
	return float64(total-bg) / float64(total), float64(colourful) / float64(total)
}

func normalise(s string) string { return strings.TrimSpace(reSpace.ReplaceAllString(s, " ")) }

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	line, _, _ := strings.Cut(s, "\n")
	if len(line) > 60 {
		line = line[:60] + "…"
	}
	return line
}

func excerpt(s string, at int) string {
	end := min(len(s), at+160)
	return strings.TrimSpace(s[at:end])
}
