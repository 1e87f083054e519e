package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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
// `fastgo predict` gives, then keeps a screenshot in build/serve/.
func TestBrowserPage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a model and the binary, drives a browser")
	}
	chromium := findChromium()
	if chromium == "" {
		if os.Getenv("FASTGO_REQUIRE_BROWSER") == "1" {
			t.Fatal("no Chromium found (FASTGO_REQUIRE_BROWSER=1): apt-get install chromium, or set CHROMIUM")
		}
		t.Skip("no Chromium found: apt-get install chromium, or set CHROMIUM (FASTGO_REQUIRE_BROWSER=1 makes this a failure)")
	}
	model := testModel(t)
	pug, err := filepath.Abs(filepath.Join(images, "pug_166.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	want := predictJSON(t, model, 1, pug)["pug_166.jpg"][0].Class
	srv := startServe(t, model, "-max-batch", "1")

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(900, 1000),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	ctx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel = chromedp.NewContext(ctx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.url+"/"),
		chromedp.WaitReady(chromedp.ID("file")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{pug}),
		chromedp.WaitVisible(chromedp.ID("top-class")),
	)
	var top string
	var shot []byte
	if err == nil {
		top, err = chromedp.Run(ctx, chromedp.Text(chromedp.ID("top-class")))
	}
	if err == nil {
		shot, err = chromedp.Run(ctx, chromedp.CaptureScreenshot())
	}
	if err != nil {
		t.Fatalf("driving %s: %v\nserver:\n%s", chromium, err, srv.out)
	}
	if top != want {
		t.Errorf("the page shows %q, fastgo predict says %q", top, want)
	}

	dir := filepath.Join("..", "..", "build", "serve")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "page.png")
	writeFile(t, path, shot)
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
