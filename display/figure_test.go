package display

import (
	"bytes"
	"encoding/gob"
	"image"
	"image/png"
	"io"
	"strings"
	"testing"

	"github.com/janpfeifer/gonb/gonbui/protocol"
)

var petBreeds = strings.Fields(`Abyssinian Bengal Birman Bombay British_Shorthair Egyptian_Mau Maine_Coon Persian Ragdoll
	Russian_Blue Siamese Sphynx american_bulldog american_pit_bull_terrier basset_hound beagle boxer chihuahua
	english_cocker_spaniel english_setter german_shorthaired great_pyrenees havanese japanese_chin keeshond
	leonberger miniature_pinscher newfoundland pomeranian pug saint_bernard samoyed scottish_terrier shiba_inu
	staffordshire_bull_terrier wheaten_terrier yorkshire_terrier`)

// The 37-class confusion matrix was 1349×1382 px and collapsed into a
// small scroll box in the notebook (#20.5). It is now drawn for the
// notebook's column, and any figure larger than 900×900 CSS px is shown
// scaled to fit (full resolution kept), unless SetFigureSize says otherwise.
func TestFiguresFitTheNotebookColumn(t *testing.T) {
	if len(petBreeds) != 37 {
		t.Fatalf("%d breeds", len(petBreeds))
	}
	values := make([][]float64, 37)
	for i := range values {
		values[i] = make([]float64, 37)
		values[i][i] = 12
		values[i][(i+1)%37] = 3
	}
	p, err := Heatmap(HeatmapSpec{Title: "Confusion matrix", XLabel: "Predicted", YLabel: "Actual", RowLabels: petBreeds, ColLabels: petBreeds, Values: values, Annotate: true})
	if err != nil {
		t.Fatal(err)
	}
	data, err := PlotPNG(p)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width > 1000 || cfg.Height > 1100 || cfg.Width < 700 {
		t.Errorf("37-class confusion matrix is %d×%d px, want about the notebook column (700–1000 px)", cfg.Width, cfg.Height)
	}

	rec := &recorder{}
	defer func(f frontend) { front = f }(front)
	front = rec
	t.Setenv(EnvDisplay, "notebook")
	big := image.NewRGBA(image.Rect(0, 0, 1349, 1382))
	if _, err := ShowImage(big, "big"); err != nil {
		t.Fatal(err)
	}
	small := image.NewRGBA(image.Rect(0, 0, 400, 300))
	if _, err := ShowImage(small, "small"); err != nil {
		t.Fatal(err)
	}
	SetFigureSize(0, 0)
	defer SetFigureSize(900, 900)
	if _, err := ShowImage(big, "natural"); err != nil {
		t.Fatal(err)
	}
	if len(rec.meta) != 3 {
		t.Fatalf("%d messages", len(rec.meta))
	}
	m := rec.meta[0]
	if w, h := m["width"], m["height"]; w != 878 || h != 900 {
		t.Errorf("1349×1382 shown at %v×%v, want 878×900 (aspect kept)", w, h)
	}
	// GoNB carries display data over gob: a value it cannot encode loses
	// the image (a nested map did, in the chapter notebook).
	if err := gob.NewEncoder(io.Discard).Encode(&protocol.DisplayData{Data: rec.msgs[0].data, Metadata: m}); err != nil {
		t.Errorf("the display data cannot go through GoNB's pipe: %v", err)
	}
	if rec.meta[1] != nil || rec.meta[2] != nil {
		t.Errorf("metadata %v for a small image and %v with SetFigureSize(0, 0), want none", rec.meta[1], rec.meta[2])
	}
}
