package main

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// findChromium is the browser to drive: $CHROMIUM, else the first on PATH.
func findChromium() string {
	if c := os.Getenv("CHROMIUM"); c != "" {
		return c
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowserPage opens the served page in headless Chromium, uploads a
// pet through the file input and checks the page shows the class
// `fastgo predict` gives, then keeps a screenshot in build/serve/. The
// browser is driven by the notebooks' UI driver (its own module,
// notebooks/ui: chromedp stays out of the library's go.mod), built by
// make serve-check and named by $FASTGO_UI_DRIVER.
func TestBrowserPage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a model and the binary, drives a browser")
	}
	chromium, driver := findChromium(), os.Getenv("FASTGO_UI_DRIVER")
	if chromium == "" || driver == "" {
		if os.Getenv("FASTGO_REQUIRE_BROWSER") == "1" {
			t.Fatalf("no Chromium (%q) or no UI driver (FASTGO_UI_DRIVER=%q) with FASTGO_REQUIRE_BROWSER=1: apt-get install chromium, or set CHROMIUM; make serve-check builds the driver", chromium, driver)
		}
		t.Skip("no Chromium or no UI driver: make serve-check runs this (apt-get install chromium, or set CHROMIUM; FASTGO_REQUIRE_BROWSER=1 makes this a failure)")
	}
	model := testModel(t)
	pug, err := filepath.Abs(filepath.Join(images, "pug_166.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	want := predictJSON(t, model, 1, pug)["pug_166.jpg"][0].Class
	srv := startServe(t, model, "-max-batch", "1")

	dir := filepath.Join("..", "..", "build", "serve")
	path := filepath.Join(dir, "page.png")
	_ = os.Remove(path) // the screenshot read below is this run's
	out, err := exec.Command(driver, "-chromium", chromium, "-page", srv.url, "-upload", pug, "-shot", path).CombinedOutput()
	if err != nil {
		t.Fatalf("%s -page %s: %v\n%s\nserver:\n%s", driver, srv.url, err, out, srv.out)
	}
	top := ""
	for line := range strings.Lines(string(out)) {
		if c, ok := strings.CutPrefix(strings.TrimSpace(line), "top-class: "); ok {
			top = c
		}
	}
	if top != want {
		t.Errorf("the page shows %q, fastgo predict says %q (driver output:\n%s)", top, want, out)
	}
	shot := readFile(t, path)
	m, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	// Not blank: the picture, the bars and the text differ from the
	// page's white background.
	b := m.Bounds()
	ink := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := m.At(x, y).RGBA(); r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				ink++
			}
		}
	}
	if frac := float64(ink) / float64(b.Dx()*b.Dy()); frac < 0.01 {
		t.Errorf("screenshot %s is blank: %.2f%% of its pixels differ from the background", path, 100*frac)
	}
	t.Logf("screenshot: %s (%dx%d)", path, b.Dx(), b.Dy())
}
