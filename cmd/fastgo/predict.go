package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/fastgo/vision/cnn"
)

// predictBatch is how many images predict classifies per forward pass.
const predictBatch = 16

// fileResult is one line of predict -json.
type fileResult struct {
	File        string          `json:"file"`
	Predictions []cnn.ClassProb `json:"predictions"`
}

func predictCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fastgo predict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	k := fs.Int("k", 3, "how many classes to show per image, most probable first")
	asJSON := fs.Bool("json", false, "write one JSON object per image: {\"file\":…,\"predictions\":[{\"class\":…,\"prob\":…}]}")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: fastgo predict MODEL IMAGE... [-k 3] [-json]\n\nThe most probable classes of each image, by a model written by learner.Export\nor by fastai's learn.export (export.pkl).")
		fs.PrintDefaults()
	}
	pos, ok, status := parseArgs(fs, args)
	if !ok {
		return status
	}
	if len(pos) < 2 {
		return badArgs(fs, stderr, "give a MODEL and at least one IMAGE", pos)
	}
	var bad flagProblems
	bad.check(*k >= 1, "-k %d: give a number ≥ 1 (classes shown per image)", *k)
	if bad.report(fs, stderr) {
		return 2
	}
	files, failed := checkImagePaths(pos[1:], stderr)
	// Library notes (backend, warnings) go to stderr: stdout is the answer.
	p, err := cnn.LoadPredictor(pos[0], learner.Output(stderr))
	if err != nil {
		fmt.Fprintf(stderr, "fastgo: %v\n", err)
		return 1
	}
	for len(files) > 0 {
		n := min(len(files), predictBatch)
		var names []string
		var images []vision.Image
		for _, f := range files[:n] {
			img, err := p.PrepareFile(f)
			if err != nil {
				fmt.Fprintf(stderr, "fastgo: %v\n", err)
				failed = true
				continue
			}
			names, images = append(names, f), append(images, img)
		}
		files = files[n:]
		if len(images) == 0 {
			continue
		}
		preds, err := p.Predict(images)
		if err != nil {
			fmt.Fprintf(stderr, "fastgo: %s: %v\n", strings.Join(names, ", "), err)
			failed = true
			continue
		}
		for i, pred := range preds {
			top := roundProbs(p.TopK(pred, *k))
			if *asJSON {
				b, _ := json.Marshal(fileResult{File: names[i], Predictions: top})
				fmt.Fprintf(stdout, "%s\n", b)
				continue
			}
			parts := make([]string, len(top))
			for j, c := range top {
				parts[j] = fmt.Sprintf("%s %.3f", c.Class, c.Prob)
			}
			fmt.Fprintf(stdout, "%s: %s\n", names[i], strings.Join(parts, ", "))
		}
	}
	if failed {
		return 1
	}
	return 0
}

// checkImagePaths names on stderr the paths that are missing or folders,
// in a command-line user's words (the library's advice is for Go code),
// and returns the others; failed says whether any was named.
func checkImagePaths(paths []string, stderr io.Writer) (ok []string, failed bool) {
	for _, f := range paths {
		st, err := os.Stat(f)
		_, lerr := os.Lstat(f)
		switch {
		case errors.Is(err, os.ErrNotExist) && errors.Is(lerr, os.ErrNotExist):
			fmt.Fprintf(stderr, "fastgo: %s: no such file: check the path\n", f)
		case err == nil && st.IsDir():
			fmt.Fprintf(stderr, "fastgo: %s: is a folder: give its images, e.g. %s\n", f, filepath.Join(f, "*"+imageSuffixIn(f)))
		default:
			// Other errors, a dangling link among them (git-annex content
			// not fetched), PrepareFile explains.
			ok = append(ok, f)
			continue
		}
		failed = true
	}
	return ok, failed
}

// imageSuffixIn is the suffix, as written, of the first image file in dir
// (a shell glob is case-sensitive), or ".jpg" when it has none.
func imageSuffixIn(dir string) string {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		ext := filepath.Ext(e.Name())
		if !e.IsDir() && slices.Contains(fastgo.ImageExtensions, strings.ToLower(ext)) {
			return ext
		}
	}
	return ".jpg"
}
