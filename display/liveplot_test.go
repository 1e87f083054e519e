package display

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/janpfeifer/gonb/gonbui/protocol"
)

func twoPointPlot(t *testing.T, y float64) *LinePlotSpec {
	t.Helper()
	return &LinePlotSpec{Series: []Series{{Label: "train", X: []float64{0, 1}, Y: []float64{1, y}}}}
}

// In a notebook every Update replaces the same output block's PNG.
func TestLivePlotNotebookReplacesOneBlock(t *testing.T) {
	r := notebookMode(t)
	lp := NewLivePlot("curve")
	for _, y := range []float64{0.5, 0.25} {
		p, err := LinePlot(*twoPointPlot(t, y))
		if err != nil {
			t.Fatal(err)
		}
		if path, err := lp.Update(p); err != nil || path != "" {
			t.Fatalf("Update = %q, %v; want \"\", nil in a notebook", path, err)
		}
	}
	if len(r.msgs) != 2 {
		t.Fatalf("want 2 messages, got %d", len(r.msgs))
	}
	if r.msgs[0].id == "" || r.msgs[0].id != r.msgs[1].id {
		t.Errorf("display ids %q, %q: want the same non-empty id", r.msgs[0].id, r.msgs[1].id)
	}
	for i, m := range r.msgs {
		raw, _ := m.data[protocol.MIMEImagePNG].([]byte)
		if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
			t.Errorf("message %d: no PNG: %v", i, err)
		}
	}
	if bytes.Equal(r.msgs[0].data[protocol.MIMEImagePNG].([]byte), r.msgs[1].data[protocol.MIMEImagePNG].([]byte)) {
		t.Error("the second Update sent the same picture")
	}
}

// In a terminal the file is rewritten and its path printed once.
func TestLivePlotTerminalRewritesOneFile(t *testing.T) {
	t.Setenv(EnvDisplay, "terminal")
	dir := t.TempDir()
	t.Setenv(EnvOutputDir, dir)
	var out bytes.Buffer
	SetOutput(&out)
	t.Cleanup(func() { SetOutput(nil) })
	lp := NewLivePlot("curve")
	var sizes []int64
	for _, y := range []float64{0.5, 0.25} {
		p, err := LinePlot(*twoPointPlot(t, y))
		if err != nil {
			t.Fatal(err)
		}
		path, err := lp.Update(p)
		if err != nil || path != filepath.Join(dir, "curve.png") {
			t.Fatalf("Update = %q, %v", path, err)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, st.Size())
	}
	if n := strings.Count(out.String(), "curve.png"); n != 1 {
		t.Errorf("path printed %d times, want once: %q", n, out.String())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || sizes[0] == 0 {
		t.Errorf("output folder holds %d files (sizes %v), want one PNG", len(entries), sizes)
	}
}

func TestLivePlotNilPlotIsAnError(t *testing.T) {
	t.Setenv(EnvDisplay, "terminal")
	t.Setenv(EnvOutputDir, t.TempDir())
	if _, err := NewLivePlot("x").Update(nil); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("Update(nil) = %v, want an error naming the figure", err)
	}
}
