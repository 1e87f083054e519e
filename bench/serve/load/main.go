// Command load is make bench-serve's load generator: a bounded run of
// REQUESTS POSTs of real JPEGs (the image folder's, cycled) to a model
// server's /predict over CONCURRENCY workers on loopback, after a warm-up at
// the same concurrency that the figures leave out. It prints one JSON line:
//
//	{"requests":200,"concurrency":8,"errors":0,"req_per_s":41.2,"p50_ms":190.3,"p99_ms":260.1,"mean_batch":5.8,"peak_mib":612}
//
// mean_batch is the mean of the responses' "batch" (how many requests the
// server ran in one forward pass); peak_mib is the server's VmHWM (peak
// resident memory, /proc/PID/status) read after the run, when -pid is given.
//
// With -check-out, it first sends a few images one at a time, each twice —
// as a lossless PNG of its pixels and as the original JPEG — and writes the
// server's answers to that file; -compare A,B then compares two such files
// (fastgo's and PyTorch's). On the PNGs both servers see the same pixels, so
// the same top class and probabilities within -tol are the proof that they
// serve the same model; the JPEGs' difference is shown as well, and is the
// JPEG decoders' (image/jpeg's IDCT in a CGO_ENABLED=0 build against
// Pillow's libjpeg-turbo), not the model's.
//
//	load -url http://127.0.0.1:8080 -images DIR -requests 200 -concurrency 8 -pid 1234 -check-out fastgo.json
//	load -compare fastgo.json,torch.json
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg"
	"image/png"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastgo-ml/fastgo/internal/simdlevel"
)

func main() {
	url := flag.String("url", "", "the server's base URL, e.g. http://127.0.0.1:8080")
	images := flag.String("images", "../shared/data/oxford-iiit-pet-sample/images", "folder of JPEGs to send, cycled in name order")
	requests := flag.Int("requests", 200, "requests in the measured run")
	concurrency := flag.Int("concurrency", 8, "concurrent workers")
	warmup := flag.Int("warmup", -1, "warm-up requests at the same concurrency, left out of the figures (-1: 2×concurrency)")
	pid := flag.Int("pid", 0, "the server's process id, for its peak memory")
	checkN := flag.Int("check", 4, "images sent one at a time for -check-out")
	checkOut := flag.String("check-out", "", "file for the answers to the check images")
	compare := flag.String("compare", "", "A,B: compare two -check-out files and exit")
	tol := flag.Float64("tol", 1e-3, "largest probability difference -compare accepts")
	simd := flag.Bool("simd", false, "print the SIMD level a fastgo process started with this environment uses (internal/simdlevel) and exit")
	flag.Parse()
	var err error
	if *simd {
		fmt.Println(simdlevel.Level())
		return
	}
	if *compare != "" {
		err = compareChecks(*compare, *tol)
	} else {
		err = run(*url, *images, *requests, *concurrency, *warmup, *pid, *checkN, *checkOut)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/serve/load:", err)
		os.Exit(1)
	}
}

// prediction is one entry of a /predict answer.
type prediction struct {
	Class string  `json:"class"`
	Prob  float64 `json:"prob"`
}

// answer is the body of a /predict answer.
type answer struct {
	Predictions []prediction `json:"predictions"`
	Model       string       `json:"model"`
	Batch       int          `json:"batch"`
	MS          float64      `json:"ms"`
}

// checkAnswer is one check image's answers, as -check-out writes them.
type checkAnswer struct {
	File string       `json:"file"`
	PNG  []prediction `json:"png"`
	JPEG []prediction `json:"jpeg"`
}

type sample struct {
	name string
	data []byte
}

func run(url, dir string, requests, concurrency, warmup, pid, checkN int, checkOut string) error {
	if url == "" {
		return errors.New("-url is required")
	}
	if requests < 1 || concurrency < 1 {
		return fmt.Errorf("-requests %d and -concurrency %d must be positive", requests, concurrency)
	}
	if warmup < 0 {
		warmup = 2 * concurrency
	}
	imgs, err := readImages(dir)
	if err != nil {
		return err
	}
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: concurrency, DisableCompression: true},
		Timeout:   5 * time.Minute,
	}
	url = strings.TrimSuffix(url, "/") + "/predict"
	if checkOut != "" {
		if err := check(client, url, imgs, checkN, checkOut); err != nil {
			return err
		}
	}
	if warmup > 0 {
		// The warm-up starts where the measured run will not, so that no
		// image is answered from a cache.
		if r := load(client, url, imgs[len(imgs)/2:], warmup, concurrency); r.errors == warmup {
			return fmt.Errorf("every warm-up request failed: %v", r.firstErr)
		}
	}
	r := load(client, url, imgs, requests, concurrency)
	out := map[string]any{
		"requests": requests, "concurrency": concurrency, "warmup": warmup, "errors": r.errors,
		"seconds": round(r.elapsed.Seconds(), 3), "req_per_s": round(float64(requests-r.errors)/r.elapsed.Seconds(), 2),
		"p50_ms": round(percentile(r.latencies, 50), 1), "p99_ms": round(percentile(r.latencies, 99), 1),
		"mean_batch": round(r.meanBatch(), 2),
	}
	if r.firstErr != nil {
		out["first_error"] = r.firstErr.Error()
	}
	if pid > 0 {
		mib, err := peakMiB(pid)
		if err != nil {
			return err
		}
		out["peak_mib"] = round(mib, 0)
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

// readImages reads the folder's .jpg files in name order.
func readImages(dir string) ([]sample, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.jpg"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no .jpg files in %s", dir)
	}
	slices.Sort(names)
	imgs := make([]sample, len(names))
	for i, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		imgs[i] = sample{filepath.Base(n), data}
	}
	return imgs, nil
}

// result is what a run of load measured.
type result struct {
	latencies []float64 // ms, successful requests only
	batches   []int
	errors    int
	firstErr  error
	elapsed   time.Duration
	sync.Mutex
}

func (r *result) meanBatch() float64 {
	if len(r.batches) == 0 {
		return 0
	}
	s := 0
	for _, b := range r.batches {
		s += b
	}
	return float64(s) / float64(len(r.batches))
}

// load sends n requests over concurrency workers, image i%len(imgs) for
// request i.
func load(client *http.Client, url string, imgs []sample, n, concurrency int) *result {
	r := &result{}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t := time.Now()
				a, err := post(client, url, imgs[i%len(imgs)].data)
				ms := float64(time.Since(t).Microseconds()) / 1000
				r.Lock()
				if err != nil {
					r.errors++
					if r.firstErr == nil {
						r.firstErr = fmt.Errorf("%s: %w", imgs[i%len(imgs)].name, err)
					}
				} else {
					r.latencies = append(r.latencies, ms)
					r.batches = append(r.batches, a.Batch)
				}
				r.Unlock()
			}
		})
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	return r
}

func post(client *http.Client, url string, body []byte) (answer, error) {
	var a answer
	resp, err := client.Post(url, "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		return a, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return a, err
	}
	if resp.StatusCode != http.StatusOK {
		return a, fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(data))
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return a, fmt.Errorf("answer %q: %w", data, err)
	}
	if len(a.Predictions) == 0 {
		return a, fmt.Errorf("answer %q has no predictions", data)
	}
	return a, nil
}

// check sends n images spread over the folder (different breeds), one at a
// time, as PNG and as JPEG, and writes the answers to file.
func check(client *http.Client, url string, imgs []sample, n int, file string) error {
	var out []checkAnswer
	for k := range min(n, len(imgs)) {
		img := imgs[k*len(imgs)/n]
		png, err := toPNG(img.data)
		if err != nil {
			return fmt.Errorf("check image %s: %w", img.name, err)
		}
		c := checkAnswer{File: img.name}
		for _, x := range []struct {
			data []byte
			dst  *[]prediction
		}{{png, &c.PNG}, {img.data, &c.JPEG}} {
			a, err := post(client, url, x.data)
			if err != nil {
				return fmt.Errorf("check image %s: %w", img.name, err)
			}
			*x.dst = a.Predictions
		}
		out = append(out, c)
	}
	data, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, data, 0o644)
}

// compareChecks prints, for each check image, both servers' top class and
// probability on the PNG and the largest difference of the probabilities
// both list, on the PNG and on the JPEG. It fails when a PNG difference
// exceeds tol, or the PNG's top classes differ by more than a tie within
// tol.
func compareChecks(files string, tol float64) error {
	a, b, ok := strings.Cut(files, ",")
	if !ok {
		return fmt.Errorf("-compare %q: want two files, A,B", files)
	}
	ca, err := readCheck(a)
	if err != nil {
		return err
	}
	cb, err := readCheck(b)
	if err != nil {
		return err
	}
	if len(ca) != len(cb) || len(ca) == 0 {
		return fmt.Errorf("%s has %d answers, %s %d", a, len(ca), b, len(cb))
	}
	top := func(p []prediction) string { return p[0].Class + " " + strconv.FormatFloat(p[0].Prob, 'f', 4, 64) }
	fmt.Printf("  %-30s %-26s %-26s %13s %13s\n", "image (as PNG)", "fastgo", "PyTorch", "max|Δp| PNG", "max|Δp| JPEG")
	bad := 0
	for i := range ca {
		if ca[i].File != cb[i].File {
			return fmt.Errorf("answer %d is for %s in %s, %s in %s", i, ca[i].File, a, cb[i].File, b)
		}
		pa, pb := ca[i].PNG, cb[i].PNG
		diff, shared := maxDiff(pa, pb)
		verdict := "same"
		switch {
		case diff > tol || shared == 0:
			verdict, bad = "DIFFERENT", bad+1
		case pa[0].Class != pb[0].Class && math.Abs(pa[0].Prob-pb[0].Prob) <= tol:
			verdict = "same (a tie within the tolerance)"
		case pa[0].Class != pb[0].Class:
			verdict, bad = "DIFFERENT", bad+1
		}
		jdiff, _ := maxDiff(ca[i].JPEG, cb[i].JPEG)
		jtop := ""
		if ca[i].JPEG[0].Class != cb[i].JPEG[0].Class {
			jtop = " (top classes differ)"
		}
		fmt.Printf("  %-30s %-26s %-26s %13.1e %13.1e  %s%s\n", ca[i].File, top(pa), top(pb), diff, jdiff, verdict, jtop)
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d check images differ as PNG (probabilities beyond %.0e, or another top class): the servers do not serve the same model", bad, len(ca), tol)
	}
	return nil
}

// maxDiff is the largest difference of the probabilities of the classes
// both answers list, and how many they share.
func maxDiff(a, b []prediction) (diff float64, shared int) {
	for _, p := range a {
		for _, q := range b {
			if p.Class == q.Class {
				diff, shared = math.Max(diff, math.Abs(p.Prob-q.Prob)), shared+1
			}
		}
	}
	return diff, shared
}

// toPNG re-encodes a JPEG's pixels (as image/jpeg decodes them) losslessly.
func toPNG(data []byte) ([]byte, error) {
	m, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func readCheck(file string) ([]checkAnswer, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var c []checkAnswer
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for _, x := range c {
		if len(x.PNG) == 0 || len(x.JPEG) == 0 {
			return nil, fmt.Errorf("%s: no predictions for %s", file, x.File)
		}
	}
	return c, nil
}

// percentile is the p-th percentile (nearest rank) of xs.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	k := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[min(max(k, 0), len(s)-1)]
}

// peakMiB reads a process's peak resident memory (VmHWM) in MiB.
func peakMiB(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("the server's peak memory: %w", err)
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0, fmt.Errorf("VmHWM %q: %w", rest, err)
			}
			return kb / 1024, nil
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no VmHWM", pid)
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}
