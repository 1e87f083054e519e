package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"
)

// servePage is -page: the page `fastgo serve` shows at url, driven as a
// person uses it — file uploads the image through the page's file input,
// the page answers with its top class — with a screenshot written to shot.
// cmd/fastgo's TestBrowserPage runs it (make serve-check) and checks the
// class and the picture.
func servePage(url, file, shot string) (string, error) {
	if file == "" {
		return "", fmt.Errorf("-page needs -upload: the image to classify")
	}
	file, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	browser, stop, err := startBrowser(ctx, 900, 1000)
	if err != nil {
		return "", err
	}
	defer stop()
	err = chromedp.Do(browser,
		chromedp.Navigate(url+"/"),
		chromedp.WaitReady(chromedp.ID("file")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{file}),
		chromedp.WaitVisible(chromedp.ID("top-class")),
	)
	var top string
	var png []byte
	if err == nil {
		top, err = chromedp.Run(browser, chromedp.Text(chromedp.ID("top-class")))
	}
	if err == nil {
		png, err = chromedp.Run(browser, chromedp.CaptureScreenshot())
	}
	if err != nil {
		return "", fmt.Errorf("driving %s on %s: %w", *chromium, url, err)
	}
	if err := os.MkdirAll(filepath.Dir(shot), 0o755); err != nil {
		return "", err
	}
	return top, os.WriteFile(shot, png, 0o644)
}
