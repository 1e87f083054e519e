package display

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// sent is one message the notebook rendering sent to GoNB.
type sent struct {
	data map[protocol.MIMEType]any
	id   string
}

// recorder is a frontend that keeps what is sent.
type recorder struct {
	mu   sync.Mutex
	msgs []sent
	meta []map[string]any
	ids  int
}

func (r *recorder) send(data map[protocol.MIMEType]any, metadata map[string]any, id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, sent{data, id})
	r.meta = append(r.meta, metadata)
}

func (r *recorder) uniqueID() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ids++
	return fmt.Sprintf("id%d", r.ids)
}

// html returns message i's HTML.
func (r *recorder) html(t *testing.T, i int) string {
	t.Helper()
	h, ok := r.msgs[i].data[protocol.MIMETextHTML].(string)
	if !ok {
		t.Fatalf("message %d has no text/html: %v", i, r.msgs[i].data)
	}
	return h
}

// notebookMode forces the notebook rendering into a recorder; nothing may
// reach the terminal.
func notebookMode(t *testing.T) *recorder {
	t.Helper()
	t.Setenv(EnvDisplay, "notebook")
	r := &recorder{}
	orig := front
	front = r
	var buf bytes.Buffer
	SetOutput(&buf)
	t.Cleanup(func() {
		front = orig
		SetOutput(nil)
		if buf.Len() > 0 {
			t.Errorf("notebook mode wrote to the terminal: %q", buf.String())
		}
	})
	return r
}

func TestNotebookShowTable(t *testing.T) {
	r := notebookMode(t)
	tb := Table{Columns: []string{"epoch", "error_rate"}, Rows: [][]string{{"0", "0.106225"}}}
	ShowTable(tb)
	if len(r.msgs) != 1 || r.msgs[0].id != "" {
		t.Fatalf("want one new output, got %+v", r.msgs)
	}
	if h := r.html(t, 0); !strings.Contains(h, `<table border="1" class="dataframe">`) || !strings.Contains(h, "<td>0.106225</td>") {
		t.Errorf("HTML sent: %s", h)
	}
	if got := r.msgs[0].data[protocol.MIMETextPlain]; got != tb.Text() {
		t.Errorf("text/plain alternative %q, want %q", got, tb.Text())
	}
}

func TestNotebookShowImagesPNG(t *testing.T) {
	r := notebookMode(t)
	path, err := ShowImages([]TitledImage{{testImage(60, 40), "a"}, {testImage(40, 60), "b"}}, 2, "grid")
	if err != nil || path != "" {
		t.Fatalf("ShowImages = %q, %v; want \"\", nil in a notebook", path, err)
	}
	if len(r.msgs) != 1 {
		t.Fatalf("want one output, got %d", len(r.msgs))
	}
	data := r.msgs[0].data[protocol.MIMEImagePNG]
	raw, ok := data.([]byte)
	if !ok {
		t.Fatalf("image/png is %T, want []byte", data)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("image/png data is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 2*minCell+3*gridPad {
		t.Errorf("grid width %d, want %d", b.Dx(), 2*minCell+3*gridPad)
	}
	// What the kernel forwards to Jupyter: the JSON bundle, PNG as base64.
	js, err := json.Marshal(r.msgs[0].data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"image/png":"iVBORw0KGgo`) {
		t.Errorf("JSON bundle does not hold base64 PNG data: %.80s", js)
	}
}

func TestNotebookProgressBar(t *testing.T) {
	for _, leave := range []bool{true, false} {
		t.Run(fmt.Sprint("leave=", leave), func(t *testing.T) {
			defer fakeClock(time.Millisecond)()
			r := notebookMode(t)
			b := NewProgressBar(50, "Epoch 1/1 :").SetLeave(leave)
			for i := 1; i <= 50; i++ {
				b.Update(i, "0.25")
			}
			b.Done()
			if len(r.msgs) < 7 || len(r.msgs) > 20 {
				t.Errorf("%d updates sent for 50 items; want throttling to ~every 0.2 s", len(r.msgs))
			}
			for i, m := range r.msgs {
				if m.id != "id1" {
					t.Fatalf("message %d has display id %q; all updates must go to one output", i, m.id)
				}
			}
			first, last := r.html(t, 0), r.html(t, len(r.msgs)-1)
			if !strings.Contains(first, "<progress value='0' max='50'") {
				t.Errorf("first HTML %q", first)
			}
			switch {
			case leave && !strings.Contains(last, "<progress value='50' max='50'") || leave && !strings.Contains(last, "Epoch 1/1 : 100.00% [50/50"):
				t.Errorf("final HTML %q does not show the final state", last)
			case !leave && last != "":
				t.Errorf("final HTML %q, want the output emptied", last)
			}
		})
	}
}

func TestNotebookLiveTable(t *testing.T) {
	r := notebookMode(t)
	lt := NewLiveTable([]string{"epoch", "valid_loss"})
	lt.Append([]string{"0", "0.322132"})
	lt.Append([]string{"1", "0.312148"})
	if len(r.msgs) != 3 {
		t.Fatalf("want header + 2 updates, got %d", len(r.msgs))
	}
	for _, m := range r.msgs {
		if m.id != "id1" {
			t.Fatalf("update sent to %q, want one output id1", m.id)
		}
	}
	if h := r.html(t, 2); !strings.Contains(h, `class="dataframe"`) || strings.Count(h, "<td>") != 4 {
		t.Errorf("final table HTML: %s", h)
	}
}

func TestNotebookMasterBar(t *testing.T) {
	defer fakeClock(time.Millisecond)()
	r := notebookMode(t)
	mb := NewMasterBar(1, []string{"epoch", "train_loss"})
	c := mb.NewChild(4)
	for i := 1; i <= 4; i++ {
		c.Update(i, "0.5")
	}
	mid := r.html(t, len(r.msgs)-1)
	if strings.Count(mid, "<progress") != 2 || !strings.Contains(mid, "Epoch 1/1 :") {
		t.Errorf("during training want outer and inner bars, got %s", mid)
	}
	c.Done()
	mb.Append([]string{"0", "0.500000"})
	mb.Update(1)
	mb.Done()
	for i, m := range r.msgs {
		if m.id != "id1" {
			t.Fatalf("message %d to %q; the master bar is one output", i, m.id)
		}
	}
	final := r.html(t, len(r.msgs)-1)
	if strings.Contains(final, "<progress") || !strings.Contains(final, "<td>0.500000</td>") {
		t.Errorf("final output should be the table only: %s", final)
	}
}

func TestNotebookShowPlot(t *testing.T) {
	r := notebookMode(t)
	p, err := PlotFunction(func(x float64) float64 { return x * x }, -2, 2, "square", "x", "y")
	if err != nil {
		t.Fatal(err)
	}
	if path, err := ShowPlot(p, "sq"); err != nil || path != "" {
		t.Fatalf("ShowPlot = %q, %v", path, err)
	}
	img, err := png.Decode(bytes.NewReader(r.msgs[0].data[protocol.MIMEImagePNG].([]byte)))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 768 || b.Dy() != 480 {
		t.Errorf("plot is %v, want 768×480", b.Size())
	}
}

// testImage is a w×h gradient.
func testImage(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			i := img.PixOffset(x, y)
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(255*x/w), uint8(255*y/h), 128, 255
		}
	}
	return img
}
