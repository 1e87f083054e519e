package interp_test

import (
	"errors"
	"image"
	"image/color"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/fastgo-ml/fastgo/internal/testutil"

	"github.com/fastgo-ml/fastgo/display"
	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/interp"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
)

// The learner is a PredsSource.
var _ interp.PredsSource = (*learner.Learner)(nil)

func logf(x float32) float64 { return math.Log(float64(x)) }

var petVocab = []string{"Birman", "Ragdoll", "american_pit_bull_terrier", "staffordshire_bull_terrier"}

func mustInterp(t *testing.T, vocab []string, cells []cell, items []fastgo.Path) *interp.ClassificationInterpretation {
	t.Helper()
	probs, targets, losses := synthetic(vocab, cells)
	ci, err := interp.FromPredictions(vocab, probs, targets, losses, items)
	if err != nil {
		t.Fatal(err)
	}
	return ci
}

func TestConfusionMatrixCounts(t *testing.T) {
	cells := []cell{{0, 0, 4}, {0, 2, 1}, {1, 1, 2}, {1, 0, 3}, {2, 3, 5}, {3, 3, 1}, {3, 1, 2}}
	ci := mustInterp(t, petVocab, cells, nil)
	want := make([][]int, 4)
	for i := range want {
		want[i] = make([]int, 4)
	}
	for _, c := range cells {
		want[c.actual][c.predicted] += c.count
	}
	got := ci.ConfusionMatrix()
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("row %d (%s) = %v, want %v", i, petVocab[i], got[i], want[i])
		}
	}
	if ci.Len() != 18 {
		t.Errorf("Len = %d, want 18", ci.Len())
	}
}

func TestMostConfusedOrderAndMinVal(t *testing.T) {
	// Off-diagonal counts: (0,2)=2, (1,0)=3, (2,3)=3, (3,1)=2, (3,0)=1.
	ci := mustInterp(t, petVocab, []cell{{0, 0, 4}, {0, 2, 2}, {1, 0, 3}, {2, 3, 3}, {3, 1, 2}, {3, 0, 1}}, nil)
	got := ci.MostConfused(2)
	want := interp.Confusions{
		{"Ragdoll", "Birman", 3}, {"american_pit_bull_terrier", "staffordshire_bull_terrier", 3},
		{"Birman", "american_pit_bull_terrier", 2}, {"staffordshire_bull_terrier", "Ragdoll", 2},
	}
	if !slices.Equal(got, want) {
		t.Errorf("MostConfused(2) = %v\nwant %v", got, want)
	}
	if got := ci.MostConfused(4); len(got) != 0 || got.String() != "[]" {
		t.Errorf("MostConfused(4) = %v, want []", got)
	}
	// fastai zeroes the diagonal, so min_val=0 lists all 16 cells, the
	// diagonal among the zeros (Birman, Birman, 0 first of them).
	all := ci.MostConfused(0)
	if len(all) != 16 || all[5] != (interp.Confusion{Actual: "Birman", Predicted: "Birman", Count: 0}) {
		t.Errorf("MostConfused(0) = %v, want 16 cells with (Birman, Birman, 0) after the 5 non-zero ones", all)
	}
	tbl := got.Table()
	if len(tbl.Rows) != 4 || !slices.Equal(tbl.Rows[0], []string{"Ragdoll", "Birman", "3"}) {
		t.Errorf("Table rows = %v", tbl.Rows)
	}
}

func TestConfusionPythonRepr(t *testing.T) {
	cases := map[string]interp.Confusion{
		`('Ragdoll', 'Birman', 8)`:      {"Ragdoll", "Birman", 8},
		`("O'Brien", 'x', 1)`:           {"O'Brien", "x", 1},
		`('say "hi"', 'it\'s "x"', 2)`:  {`say "hi"`, `it's "x"`, 2},
		`('a\\b', 'tab\there\n', 3)`:    {`a\b`, "tab\there\n", 3},
		`('\x01é', 'ünï', 0)`:           {"\x01é", "ünï", 0},
		`('\u200b', '\U000e0001', 1)`:   {"\u200b", "\U000e0001", 1},
		`('chien de garde', 'été', 12)`: {"chien de garde", "été", 12},
	}
	for want, c := range cases {
		if got := c.String(); got != want {
			t.Errorf("%#v.String() = %s, want %s", c, got, want)
		}
	}
}

func TestTopLosses(t *testing.T) {
	vocab := []string{"a", "b"}
	probs := []float32{0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.3, 0.7, 0.5, 0.5}
	targets := []int{0, 0, 1, 1, 0}
	nan := float32(math.NaN())
	losses := []float32{0.1, 1.6, 0.9, 0.3, 1.6}
	items := []fastgo.Path{"i0.jpg", "i1.jpg", "i2.jpg", "i3.jpg", "i4.jpg"}
	ci, err := interp.FromPredictions(vocab, probs, targets, losses, items)
	if err != nil {
		t.Fatal(err)
	}
	top := ci.TopLosses(3)
	if len(top) != 3 || top[0].Index != 1 || top[1].Index != 4 || top[2].Index != 2 {
		t.Fatalf("TopLosses(3) indices = %v, want 1, 4 (tie in dataset order), 2", top)
	}
	want := interp.TopLoss{Index: 1, Item: "i1.jpg", Loss: 1.6, Predicted: "b", Actual: "a", Prob: 0.8, ActualProb: 0.2}
	if top[0] != want {
		t.Errorf("TopLosses(3)[0] = %+v, want %+v", top[0], want)
	}
	if got := top[0].Title(); got != "b/a / 1.60 / 0.80" {
		t.Errorf("Title = %q, want \"b/a / 1.60 / 0.80\"", got)
	}
	// Ties in probability: argmax takes the first class.
	if top[1].Predicted != "a" || top[1].Prob != 0.5 {
		t.Errorf("item 4 (0.5/0.5) predicted %s p=%v, want a 0.5", top[1].Predicted, top[1].Prob)
	}
	for _, k := range []int{0, -1, 5, 99} {
		if n := len(ci.TopLosses(k)); n != 5 {
			t.Errorf("TopLosses(%d) has %d items, want all 5", k, n)
		}
	}
	losses[3] = nan
	ci, _ = interp.FromPredictions(vocab, probs, targets, losses, nil)
	if top := ci.TopLosses(1); top[0].Index != 3 || top[0].Item != "" {
		t.Errorf("NaN loss: TopLosses(1) = %+v, want item 3 first (NaN counts as largest) with no path", top)
	}
	// Inputs were copied: changing losses after construction changes nothing.
	losses[1] = 100
	if ci.Losses()[1] != 1.6 {
		t.Error("FromPredictions kept a reference to the caller's losses")
	}
}

func TestFromPredictionsErrors(t *testing.T) {
	v := []string{"a", "b"}
	cases := []struct {
		name    string
		vocab   []string
		probs   []float32
		targets []int
		losses  []float32
		items   []fastgo.Path
		want    string
	}{
		{"empty vocab", nil, nil, nil, nil, nil, "vocab is empty"},
		{"probs", v, []float32{1, 0, 1}, []int{0, 1}, []float32{0, 0}, nil, "3 probabilities for 2 targets × 2 classes"},
		{"losses", v, []float32{1, 0}, []int{0}, nil, nil, "0 losses for 1 targets"},
		{"items", v, []float32{1, 0}, []int{0}, []float32{0}, []fastgo.Path{"a", "b"}, "2 items for 1 targets"},
		{"target", v, []float32{1, 0}, []int{2}, []float32{0}, nil, "target 2 of item 0 is not a class index in [0, 2)"},
		// Trial 2: no prediction gave an all-zero matrix and an empty plot.
		{"no items", v, nil, nil, nil, nil, "no predictions"},
	}
	for _, c := range cases {
		_, err := interp.FromPredictions(c.vocab, c.probs, c.targets, c.losses, c.items)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, err := interp.FromPreds(v, &learner.Preds{Probs: []float32{1, 0, 0}, NumClasses: 3, Targets: []int{0}, Losses: []float32{0}}, nil); err == nil ||
		!strings.Contains(err.Error(), "3 classes but the vocab has 2") {
		t.Errorf("FromPreds with a wrong vocab: err = %v", err)
	}
	if _, err := interp.FromPreds(v, nil, nil); err == nil {
		t.Error("FromPreds(nil preds): no error")
	}
}

// fakeSource is a PredsSource with fixed predictions.
type fakeSource struct {
	p   *learner.Preds
	err error
}

func (f fakeSource) GetPreds(dl learner.BatchSource) (*learner.Preds, error) {
	if dl != nil {
		return nil, errors.New("want the validation set (nil)")
	}
	return f.p, f.err
}

func TestFromSource(t *testing.T) {
	p := &learner.Preds{Probs: []float32{0.3, 0.7, 0.6, 0.4}, NumClasses: 2, Targets: []int{0, 0}, Losses: []float32{1.2, 0.5}}
	ci, err := interp.FromSource(fakeSource{p: p}, []string{"a", "b"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := ci.MostConfused(1).String(); got != "[('a', 'b', 1)]" {
		t.Errorf("MostConfused = %s, want [('a', 'b', 1)]", got)
	}
	if !slices.Equal(ci.Decoded(), []int{1, 0}) || !slices.Equal(ci.Targets(), []int{0, 0}) || !slices.Equal(ci.Probs(0), []float32{0.3, 0.7}) || ci.Probs(2) != nil {
		t.Errorf("accessors: decoded %v targets %v probs(0) %v", ci.Decoded(), ci.Targets(), ci.Probs(0))
	}
	if _, err := interp.FromSource(fakeSource{err: errors.New("no valid set")}, []string{"a", "b"}, nil); err == nil || !strings.Contains(err.Error(), "no valid set") {
		t.Errorf("source error: got %v", err)
	}
	if _, err := interp.FromSource(nil, nil, nil); err == nil {
		t.Error("nil source: no error")
	}
}

// terminalOutput sends display output to files in a temporary folder.
func terminalOutput(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv(display.EnvDisplay, "terminal")
	t.Setenv(display.EnvOutputDir, dir)
	display.SetOutput(io.Discard)
	t.Cleanup(func() { display.SetOutput(os.Stdout) })
	return dir
}

func TestPlotConfusionMatrix(t *testing.T) {
	terminalOutput(t)
	ci := mustInterp(t, petVocab, []cell{{0, 0, 4}, {1, 0, 3}, {2, 3, 5}}, nil) // class 3 has no items
	p, err := ci.ConfusionMatrixPlot()
	if err != nil {
		t.Fatal(err)
	}
	if p.Title.Text != "Confusion matrix" || p.X.Label.Text != "Predicted" || p.Y.Label.Text != "Actual" {
		t.Errorf("labels: title %q x %q y %q", p.Title.Text, p.X.Label.Text, p.Y.Label.Text)
	}
	path, err := ci.PlotConfusionMatrix(interp.Normalize(), interp.Title("Normalized"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(path, "confusion_matrix_normalized.png") {
		t.Errorf("path %q, want …/confusion_matrix_normalized.png", path)
	}
	if b := testutil.ReadPNG(t, path).Bounds(); b.Dx() < 100 || b.Dy() < 100 {
		t.Errorf("plot is %v", b)
	}
	if _, err := ci.PlotConfusionMatrix(interp.Normalize(), interp.NormDec(20)); err == nil || !strings.Contains(err.Error(), "Decimals = 20") {
		t.Errorf("NormDec(20): err = %v, want display's Decimals error", err)
	}
	if _, err := ci.ConfusionMatrixPlot(interp.NoValues()); err != nil {
		t.Errorf("NoValues: %v", err)
	}
}

func TestRenderTopLosses(t *testing.T) {
	dir := terminalOutput(t)
	vocab := []string{"a", "b"}
	probs := []float32{0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.3, 0.7, 0.5, 0.5}
	ci, err := interp.FromPredictions(vocab, probs, []int{0, 0, 1, 1, 0}, []float32{0.1, 1.6, 0.9, 0.3, 1.2},
		[]fastgo.Path{"i0.jpg", "i1.jpg", "i2.jpg", "i3.jpg", "i4.jpg"})
	if err != nil {
		t.Fatal(err)
	}
	var asked []int
	load := func(i int) (image.Image, error) {
		asked = append(asked, i)
		img := image.NewRGBA(image.Rect(0, 0, 64, 48))
		for p := range img.Pix {
			img.Pix[p] = uint8(40 * i)
		}
		img.Set(0, 0, color.White)
		return img, nil
	}
	grid, err := ci.RenderTopLosses(3, load)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(asked, []int{1, 4, 2}) {
		t.Errorf("loader called with %v, want the top losses' indices 1, 4, 2", asked)
	}
	// 3 images: ⌊√3⌋ = 1 row of 3, so the grid is wider than tall.
	if b := grid.Bounds(); b.Dx() <= b.Dy() {
		t.Errorf("grid %v: want one row of three", b)
	}
	path, err := ci.PlotTopLosses(4, load)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(path, dir) || !strings.HasSuffix(path, "top_losses.png") {
		t.Errorf("path %q, want %s/top_losses.png", path, dir)
	}
	testutil.ReadPNG(t, path)

	_, err = ci.RenderTopLosses(2, func(int) (image.Image, error) { return nil, errors.New("corrupt JPEG") })
	if err == nil || !strings.Contains(err.Error(), "item 1 (Path('i1.jpg')): corrupt JPEG") {
		t.Errorf("loader error: %v, want one naming item 1 and its path", err)
	}
	if _, err := ci.RenderTopLosses(2, nil); err == nil {
		t.Error("nil loader: no error")
	}
}

// pythonUnquote reads back the Python str literals Confusion.String writes,
// by rewriting them as a Go literal.
func pythonUnquote(lit string) (string, error) {
	if len(lit) < 2 || lit[0] != lit[len(lit)-1] || (lit[0] != '\'' && lit[0] != '"') {
		return "", errors.New("not a quoted literal")
	}
	var b strings.Builder
	body := lit[1 : len(lit)-1]
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '\\' && i+1 < len(body) && body[i+1] == '\'':
			b.WriteByte('\'') // Go's "…" literal has no \'
			i++
		case c == '\\' && i+1 < len(body) && body[i+1] == 'x':
			b.WriteString(`\u00`) // Python's \xNN is the code point U+00NN
			i++
		case c == '\\' && i+1 < len(body):
			b.WriteByte(c)
			b.WriteByte(body[i+1])
			i++
		case c == '"':
			b.WriteString(`\"`)
		default:
			b.WriteByte(c)
		}
	}
	return strconv.Unquote(`"` + b.String() + `"`)
}

// Class names of any text print as Python literals that read back as the
// same text.
func FuzzConfusionString(f *testing.F) {
	for _, s := range []string{"Ragdoll", "O'Brien", `a"b'c\d`, "tab\t\x01\u0085é\u200b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if !utf8.ValidString(name) {
			t.Skip("class names are text")
		}
		s := interp.Confusion{Actual: name, Predicted: "x", Count: 1}.String()
		lit, ok := strings.CutSuffix(strings.TrimPrefix(s, "("), ", 'x', 1)")
		if !ok {
			t.Fatalf("%q printed as %s", name, s)
		}
		got, err := pythonUnquote(lit)
		if err != nil || got != name {
			t.Errorf("%q printed as %s, which reads back as %q (%v)", name, lit, got, err)
		}
	})
}
