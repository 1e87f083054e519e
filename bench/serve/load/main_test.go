package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

func TestLoadCountsRequestsAndErrors(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%5 == 0 {
			http.Error(w, "not an image", http.StatusBadRequest)
			return
		}
		json.NewEncoder(w).Encode(answer{Predictions: []prediction{{"pug", 0.9}}, Batch: 2})
	}))
	defer srv.Close()
	imgs := []sample{{"a.jpg", []byte("a")}, {"b.jpg", []byte("b")}}
	r := load(srv.Client(), srv.URL+"/predict", imgs, 50, 4)
	if r.errors != 10 || len(r.latencies) != 40 || r.meanBatch() != 2 {
		t.Errorf("%d errors, %d latencies, mean batch %g: want 10, 40, 2", r.errors, len(r.latencies), r.meanBatch())
	}
	if r.firstErr == nil || !strings.Contains(r.firstErr.Error(), "not an image") {
		t.Errorf("first error %v does not carry the server's answer", r.firstErr)
	}
}

// The check sends each image as PNG and as JPEG and records both answers.
func TestCheckSendsPNGAndJPEG(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		class := "jpeg"
		if bytes.HasPrefix(data, []byte("\x89PNG")) {
			class = "png"
		}
		json.NewEncoder(w).Encode(answer{Predictions: []prediction{{class, 1}}, Batch: 1})
	}))
	defer srv.Close()
	data, err := os.ReadFile("../../../testdata/images/pug_166.jpg")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "check.json")
	if err := check(srv.Client(), srv.URL, []sample{{"pug_166.jpg", data}}, 1, file); err != nil {
		t.Fatal(err)
	}
	c, err := readCheck(file)
	if err != nil || len(c) != 1 || c[0].PNG[0].Class != "png" || c[0].JPEG[0].Class != "jpeg" {
		t.Errorf("check file %+v, %v: want one image with a PNG and a JPEG answer", c, err)
	}
}

func TestPercentile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}
	for p, want := range map[float64]float64{50: 5, 99: 10, 10: 1, 0: 1} {
		if got := percentile(xs, p); got != want {
			t.Errorf("percentile(%g) = %g, want %g", p, got, want)
		}
	}
}

func TestPeakMiBOfThisProcess(t *testing.T) {
	mib, err := peakMiB(os.Getpid())
	if err != nil || mib <= 0 {
		t.Errorf("peakMiB = %g, %v", mib, err)
	}
}

func TestCompareChecks(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, c []checkAnswer) string {
		data, _ := json.Marshal(c)
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The same answers as PNG and JPEG.
	both := func(p ...prediction) []checkAnswer { return []checkAnswer{{"x.jpg", p, p}} }
	a := write("a.json", both(prediction{"pug", 0.5}, prediction{"boxer", 0.3}))
	near := write("b.json", both(prediction{"pug", 0.5004}, prediction{"boxer", 0.2999}))
	tie := write("c.json", both(prediction{"boxer", 0.4002}, prediction{"pug", 0.4}))
	tieA := write("d.json", both(prediction{"pug", 0.4}, prediction{"boxer", 0.3999}))
	far := write("e.json", both(prediction{"pug", 0.45}, prediction{"boxer", 0.3}))
	jpegOnly := write("f.json", []checkAnswer{{"x.jpg", []prediction{{"pug", 0.5}, {"boxer", 0.3}}, []prediction{{"boxer", 0.6}}}})
	if err := compareChecks(a+","+jpegOnly, 1e-3); err != nil {
		t.Errorf("answers that differ on the JPEG only: %v", err)
	}
	if err := compareChecks(a+","+near, 1e-3); err != nil {
		t.Errorf("close answers: %v", err)
	}
	if err := compareChecks(tieA+","+tie, 1e-3); err != nil {
		t.Errorf("a tie: %v", err)
	}
	if err := compareChecks(a+","+far, 1e-3); err == nil {
		t.Error("probabilities 0.05 apart accepted")
	}
}
