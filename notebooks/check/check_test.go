package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pngOf encodes a w×h image; photo draws a colour gradient (a stand-in for a
// pet photo), otherwise the image is one flat grey.
func pngOf(t *testing.T, w, h int, photo bool) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{200, 200, 200, 255}
			if photo {
				c = color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 80, 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// screenshot is a white page with some text-like grey rows and, when photo,
// a coloured block.
func screenshot(t *testing.T, photo, blank bool) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 200, 300))
	for y := range 300 {
		for x := range 200 {
			c := color.RGBA{255, 255, 255, 255}
			switch {
			case blank:
			case y%20 < 3 && x < 150:
				c = color.RGBA{30, 30, 30, 255}
			case photo && y > 100 && y < 200 && x > 20 && x < 180:
				c = color.RGBA{uint8(x), 40, uint8(y), 255}
			}
			img.Set(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type fixture struct {
	outputs  [][]map[string]any // per code cell
	ran      bool
	minImgs  int
	texts    []string
	pageBody string
	shot     []byte
}

func (f fixture) write(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var cells []map[string]any
	for i, outs := range f.outputs {
		c := map[string]any{"cell_type": "code", "source": []string{"%%\n", "fmt.Println(1)"}, "outputs": outs, "metadata": map[string]any{}}
		if f.ran {
			c["execution_count"] = i + 1
		} else {
			c["execution_count"] = nil
		}
		cells = append(cells, c)
	}
	nb := map[string]any{"cells": cells, "nbformat": 4, "nbformat_minor": 5,
		"metadata": map[string]any{"fastgo_check": map[string]any{"min_images": f.minImgs, "texts": f.texts}}}
	data, err := json.Marshal(nb)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "nb.ipynb")
	for name, content := range map[string][]byte{
		"nb.ipynb": data,
		"nb.html":  []byte("<html><head><style>.x{}</style><script>var hidden = 'epoch';</script></head><body>" + f.pageBody + "</body></html>"),
		"nb.png":   f.shot,
	} {
		if content == nil {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

func stream(name, s string) map[string]any {
	return map[string]any{"output_type": "stream", "name": name, "text": s}
}

func imgTag(b []byte) string {
	return `<img src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(b) + `">`
}

func good(t *testing.T) fixture {
	return fixture{
		outputs:  [][]map[string]any{{stream("stdout", "(#3) [Path('a')]\n")}, {stream("stderr", "fastgo: backend go\n")}},
		ran:      true,
		minImgs:  1,
		texts:    []string{"(#3) [Path('a')]", "epoch train_loss"},
		pageBody: "<pre>(#3) [Path(&#x27;a&#x27;)]</pre><table><tr><th>epoch</th>\n<th>train_loss</th></tr></table>" + imgTag(pngOf(t, 64, 48, true)),
		shot:     screenshot(t, true, false),
	}
}

func TestGoodNotebookPasses(t *testing.T) {
	r, err := checkNotebook(good(t).write(t), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) > 0 {
		t.Fatalf("problems on a good notebook: %q", r.Problems)
	}
	if r.Cells != 2 || r.Images != 1 || r.Texts != 2 {
		t.Errorf("report %+v, want 2 cells, 1 image, 2 texts", r)
	}
}

func TestBadNotebooksFail(t *testing.T) {
	cases := map[string]struct {
		change func(f *fixture)
		want   string
	}{
		"error output": {func(f *fixture) {
			f.outputs[0] = append(f.outputs[0], map[string]any{"output_type": "error", "ename": "ERROR", "evalue": "exit status 2", "traceback": []string{}})
		}, "failed: ERROR: exit status 2"},
		"panic in stderr": {func(f *fixture) {
			f.outputs[1] = append(f.outputs[1], stream("stderr", "panic: runtime error: index out of range\n\ngoroutine 1 [running]:\n"))
		}, "printed a failure"},
		"panic in html": {func(f *fixture) {
			f.outputs[1] = append(f.outputs[1], map[string]any{"output_type": "display_data", "data": map[string]any{"text/html": "<pre>goroutine 1 [running]:</pre>"}})
		}, "printed a failure"},
		"cut character": {func(f *fixture) {
			f.outputs[1] = append(f.outputs[1], stream("stdout", "Ragdoll_\uFFFD\uFFFD Bengal\n"))
		}, "shows 2 U+FFFD"},
		"did not run":    {func(f *fixture) { f.ran = false }, "did not run"},
		"blank image":    {func(f *fixture) { f.pageBody = imgTag(pngOf(t, 64, 48, false)) + "(#3) [Path('a')] epoch train_loss" }, "is blank"},
		"no image":       {func(f *fixture) { f.pageBody = "(#3) [Path('a')] epoch train_loss" }, "want at least 1"},
		"missing text":   {func(f *fixture) { f.texts = append(f.texts, "error_rate") }, `does not show "error_rate"`},
		"text in script": {func(f *fixture) { f.texts = []string{"hidden"} }, `does not show "hidden"`},
		"blank shot":     {func(f *fixture) { f.shot = screenshot(t, false, true) }, "is blank"},
		"uncoloured":     {func(f *fixture) { f.shot = screenshot(t, false, false) }, "no colour images"},
		"no shot":        {func(f *fixture) { f.shot = nil }, "no screenshot"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := good(t)
			tc.change(&f)
			r, err := checkNotebook(f.write(t), true, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(r.Problems, "\n"), tc.want) {
				t.Errorf("problems %q, want one saying %q", r.Problems, tc.want)
			}
		})
	}
}

// TestExpectedTextsFromTheRun: "(#{images})" is checked against the count
// the harness passes, so the same notebook is checked on 739 or 9 images;
// a placeholder the run did not fill is an error, not a skipped check.
func TestExpectedTextsFromTheRun(t *testing.T) {
	f := good(t)
	f.texts = []string{"(#{images}) [Path('a')]"}
	nb := f.write(t)
	if r, err := checkNotebook(nb, true, map[string]string{"images": "3"}); err != nil || len(r.Problems) > 0 {
		t.Errorf("images=3: %v %q, want a pass", err, r.Problems)
	}
	r, err := checkNotebook(nb, true, map[string]string{"images": "739"})
	if err != nil || !strings.Contains(strings.Join(r.Problems, "\n"), `does not show "(#739) [Path('a')]"`) {
		t.Errorf("images=739: %v %q, want the text reported missing", err, r.Problems)
	}
	if _, err := checkNotebook(nb, true, nil); err == nil || !strings.Contains(err.Error(), "-images") {
		t.Errorf("no images given: %v, want an error naming -images", err)
	}
}

func TestNotebookSourceAsString(t *testing.T) {
	var c cell
	if err := json.Unmarshal([]byte(`{"cell_type":"code","source":"a\nb","outputs":[{"output_type":"stream","text":["x\n","y"]}]}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.Source != "a\nb" || c.Outputs[0].Text != "x\ny" {
		t.Errorf("source %q text %q", c.Source, c.Outputs[0].Text)
	}
}

func TestCellSeconds(t *testing.T) {
	var c cell
	js := `{"cell_type":"code","source":"%%","metadata":{"execution":{"iopub.execute_input":"2026-11-28T12:29:01.250Z","shell.execute_reply":"2026-11-28T12:29:07.750Z"}}}`
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatal(err)
	}
	if got := c.seconds(); got != 6.5 {
		t.Errorf("seconds()=%v, want 6.5", got)
	}
	if got := (cell{}).seconds(); got != -1 {
		t.Errorf("no timestamps: seconds()=%v, want -1", got)
	}
}

// FuzzCheckPage: any page (a notebook's HTML export) gives a report, never
// a panic.
func FuzzCheckPage(f *testing.F) {
	f.Add(`<img src="data:image/png;base64,iVBORw0KGgo=">`, "x")
	f.Add("<script>a</script><p>b &amp; c</p>", "b & c")
	f.Fuzz(func(t *testing.T, page, want string) {
		var r report
		checkPage(&r, page, expectations{MinImages: 1, Texts: []string{want}})
	})
}

// TestCellChecks: a cell's own fastgo_check texts must appear in its
// outputs (HTML tables included) and its absent texts must not — how the
// chapter notebook checks that re-running a training cell starts over.
func TestCellChecks(t *testing.T) {
	var c cell
	js := `{"cell_type":"code","execution_count":1,"source":"%%","metadata":{"fastgo_book":"learn.fine_tune(2)","fastgo_check":{"texts":["epoch","error_rate"],"absent":["Restored learner"]}},
		"outputs":[{"output_type":"display_data","data":{"text/html":"<table><tr><th>epoch</th><th>error_rate</th></tr></table>"}}]}`
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatal(err)
	}
	var r report
	checkCells(&r, notebook{Cells: []cell{c}})
	if len(r.Problems) != 0 || r.Texts != 2 || r.BookCells != 1 {
		t.Errorf("good cell: problems %q, %d texts, %d book cells", r.Problems, r.Texts, r.BookCells)
	}
	c.Outputs = append(c.Outputs, output{OutputType: "stream", Name: "stdout", Text: `Restored learner "first" (weights …)`})
	r = report{}
	checkCells(&r, notebook{Cells: []cell{c}})
	if !strings.Contains(strings.Join(r.Problems, "\n"), `shows "Restored learner", which it must not`) {
		t.Errorf("a cell showing an absent text passed: %q", r.Problems)
	}
}

// A cell that does not compile: the report carries the compiler's message,
// which GoNB sends only as HTML (#21: headless runs saw only
// `failed to run "go build": exit status 1`). The markup is GoNB v0.11.5's
// own (location and message in separate inline elements).
func TestCompileErrorShowsTheCompilerMessage(t *testing.T) {
	var c cell
	js := `{"cell_type":"code","execution_count":1,"source":"fmt.Println(path.Join(\"images\"))","metadata":{},
		"outputs":[{"output_type":"display_data","data":{"text/html":"<style>.gonb-err-location {border-width: 1px;}</style>\n<div class=\"jp-RenderedText\" data-mime-type=\"application/vnd.jupyter.stderr\">\n<div style=\"white-space: pre-wrap;\"> # gonb_b2441e13</div>\n<div style=\"white-space: pre-wrap;\"><span class=\"gonb-err-hover-area\"><span class=\"gonb-cell-line-info\">Cell[2]: Line 2</span> <span class=\"gonb-err-location\">./main.go:12:14: </span></span>cannot use path.Join(&#34;images&#34;) (value of type string) as fastgo.Path value in argument to f<div class=\"gonb-err-context\">\nfunc main() {\n<div class=\"gonb-err-line\">fmt.Println(path.Join(&#34;images&#34;))\n</div>\n</div></div>\n</div>"}},
		{"output_type":"error","ename":"ERROR","evalue":"failed to run \"go build\": exit status 1","traceback":["failed to run \"go build\": exit status 1"]}]}`
	if err := json.Unmarshal([]byte(js), &c); err != nil {
		t.Fatal(err)
	}
	var r report
	checkCells(&r, notebook{Cells: []cell{c}})
	want := `./main.go:12:14: cannot use path.Join("images") (value of type string) as fastgo.Path value in argument to f`
	if got := strings.Join(r.Problems, "\n"); !strings.Contains(got, want) || !strings.Contains(got, "failed to run") {
		t.Errorf("problems:\n%s\nwant the compiler's message %q", got, want)
	}
}
