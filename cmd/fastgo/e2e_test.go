package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo/vision/cnn"
)

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveProc is a running `fastgo serve`.
type serveProc struct {
	cmd    *exec.Cmd
	url    string
	out    *lockedBuffer // stdout and stderr
	exited chan error
}

// startServe runs `fastgo serve model -addr 127.0.0.1:0 args...` and waits
// for its "serving … on URL" line.
func startServe(t *testing.T, model string, args ...string) *serveProc {
	t.Helper()
	p := &serveProc{out: &lockedBuffer{}, exited: make(chan error, 1)}
	p.cmd = exec.Command(testBinary(t), append([]string{"serve", model, "-addr", "127.0.0.1:0"}, args...)...)
	p.cmd.Stderr = p.out
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.out.Write(append(sc.Bytes(), '\n'))
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
		p.exited <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
		}
	})
	select {
	case p.url = <-urls:
	case err := <-p.exited:
		t.Fatalf("fastgo serve exited (%v) before serving:\n%s", err, p.out)
	case <-time.After(2 * time.Minute):
		t.Fatalf("fastgo serve did not print its URL in 2 min:\n%s", p.out)
	}
	return p
}

// runFastgo runs the binary and returns stdout, stderr and the exit status.
func runFastgo(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(testBinary(t), args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return o.String(), e.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

// predictJSON is `fastgo predict -json -k k` for files, by file name.
func predictJSON(t *testing.T, model string, k int, files ...string) map[string][]cnn.ClassProb {
	t.Helper()
	out, errOut, status := runFastgo(t, append([]string{"predict", model, "-json", "-k", strconv.Itoa(k)}, files...)...)
	if status != 0 {
		t.Fatalf("fastgo predict: status %d\n%s", status, errOut)
	}
	got := map[string][]cnn.ClassProb{}
	for line := range strings.Lines(out) {
		var r fileResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("predict -json line %q: %v", line, err)
		}
		got[filepath.Base(r.File)] = r.Predictions
	}
	return got
}

// post sends body to url and decodes the JSON answer into v.
func post(t *testing.T, url, contentType string, body io.Reader, v any) int {
	t.Helper()
	resp, err := http.Post(url, contentType, body)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if v != nil {
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("POST %s: %d, not JSON: %q", url, resp.StatusCode, data)
		}
	}
	return resp.StatusCode
}

// getModel is the server's GET /model answer.
func getModel(t *testing.T, url string) modelResponse {
	t.Helper()
	var info modelResponse
	resp, err := http.Get(url + "/model")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatalf("GET /model: %v", err)
	}
	return info
}

// sameProbs says whether two answers give every class the same probability.
func sameProbs(a, b []cnn.ClassProb) bool {
	if len(a) != len(b) || a[0].Class != b[0].Class {
		return false
	}
	pa := map[string]float64{}
	for _, c := range a {
		pa[c.Class] = c.Prob
	}
	for _, c := range b {
		if p, ok := pa[c.Class]; !ok || math.Abs(p-c.Prob) > 1e-4 {
			return false
		}
	}
	return true
}

// TestServeEndToEnd runs the CGO_ENABLED=0 binary on a trained model:
// predict, then serve with real images, bad input and a SIGTERM while a
// request is in flight.
func TestServeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a model and the binary")
	}
	model := testModel(t)
	files, _ := filepath.Glob(filepath.Join(images, "*.jpg"))
	const k = 8 // every class
	want := predictJSON(t, model, k, files...)
	if len(want) != len(files) {
		t.Fatalf("predict -json answered %d of %d files", len(want), len(files))
	}

	t.Run("predict text and errors", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "notes.jpg")
		writeFile(t, bad, []byte("not a picture"))
		pug := filepath.Join(images, "pug_166.jpg")
		out, errOut, status := runFastgo(t, "predict", model, bad, pug, "-k", "2")
		top := want["pug_166.jpg"]
		if status != 1 || !strings.Contains(errOut, "notes.jpg") || !strings.HasPrefix(out, pug+": "+top[0].Class+" ") || strings.Count(out, ",") != 1 {
			t.Errorf("predict with a bad file: status %d\nstdout %q\nstderr %q\nwant status 1, the bad file named, and pug's 2 classes", status, out, errOut)
		}
	})

	srv := startServe(t, model, "-max-batch", "4", "-max-wait", "100ms", "-max-body", "64KiB", "-k", "3")
	if !strings.Contains(srv.out.String(), "warm") {
		t.Errorf("no warm-up logged:\n%s", srv.out)
	}

	info := getModel(t, srv.url)
	if info.Arch != "resnet18" || info.NumClasses != k || len(info.Classes) != k || len(info.Inputs.ItemTfms) != 1 || info.Inputs.ItemTfms[0].Name != "Resize" {
		t.Errorf("GET /model: %+v", info)
	}
	if resp, err := http.Get(srv.url + "/healthz"); err != nil {
		t.Fatal(err)
	} else if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || strings.TrimSpace(string(b)) != "ok" {
		t.Errorf("GET /healthz: %d %q", resp.StatusCode, b)
	}

	// Every image, alone then all at once: the answer predict gave.
	check := func(name string, r predictResponse) {
		t.Helper()
		sum := 0.0
		for _, c := range r.Predictions {
			sum += c.Prob
			if !slices.Contains(info.Classes, c.Class) {
				t.Errorf("%s: class %q not in the vocabulary", name, c.Class)
			}
		}
		if math.Abs(sum-1) > 1e-3 || r.Model != "resnet18" || r.Batch < 1 || r.MS <= 0 {
			t.Errorf("%s: %+v (probabilities sum to %g)", name, r, sum)
		}
		if !sameProbs(r.Predictions, want[name]) {
			t.Errorf("%s: served %v\npredict gave %v", name, r.Predictions, want[name])
		}
	}
	for _, f := range files {
		var r predictResponse
		if status := post(t, srv.url+"/predict?k=8", "image/jpeg", bytes.NewReader(readFile(t, f)), &r); status != 200 {
			t.Fatalf("%s: status %d", f, status)
		}
		check(filepath.Base(f), r)
	}
	var wg sync.WaitGroup
	shared := make([]int, len(files))
	for i, f := range files {
		wg.Go(func() {
			var r predictResponse
			if status := post(t, srv.url+"/predict?k=8", "application/octet-stream", bytes.NewReader(readFile(t, f)), &r); status != 200 {
				t.Errorf("%s at once: status %d", f, status)
			}
			check(filepath.Base(f), r)
			shared[i] = r.Batch
		})
	}
	wg.Wait()
	if slices.Max(shared) < 2 || slices.Max(shared) > 4 {
		t.Errorf("%d requests at once ran in batches of %v: want some shared, none over -max-batch 4", len(files), shared)
	}

	// Multipart, and -k's default.
	pug := readFile(t, filepath.Join(images, "pug_166.jpg"))
	body, ctype := multipartBody(t, "image", "pug_166.jpg", pug)
	var r predictResponse
	if status := post(t, srv.url+"/predict", ctype, bytes.NewReader(body), &r); status != 200 || len(r.Predictions) != 3 || !sameProbs(r.Predictions, want["pug_166.jpg"][:3]) {
		t.Errorf("multipart: %d %+v, want pug's 3 classes", status, r)
	}

	// Bad input: the right 4xx with a JSON error.
	for _, tc := range []struct {
		name   string
		method string
		path   string
		body   []byte
		status int
	}{
		{"empty body", "POST", "/predict", nil, 400},
		{"random bytes", "POST", "/predict", []byte("\x00\x01\x02 random bytes \xff\xfe"), 400},
		{"truncated JPEG", "POST", "/predict", pug[:len(pug)/2], 400},
		{"huge declared image", "POST", "/predict", hugePNG(100000, 100000), 400},
		{"over -max-body", "POST", "/predict", bytes.Repeat(pug, 12), 413},
		{"wrong method", "GET", "/predict", nil, 405},
		{"unknown path", "GET", "/v1/predict", nil, 404},
	} {
		req, _ := http.NewRequest(tc.method, srv.url+tc.path, bytes.NewReader(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var e errorBody
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != tc.status || e.Error == "" {
			t.Errorf("%s: %d %q, want %d with a JSON error", tc.name, resp.StatusCode, e.Error, tc.status)
		}
	}
	r = predictResponse{}
	if status := post(t, srv.url+"/predict", "image/jpeg", bytes.NewReader(pug), &r); status != 200 || r.Predictions[0].Class != want["pug_166.jpg"][0].Class {
		t.Errorf("a good request after the bad ones: %d %+v", status, r)
	}

	// SIGTERM while a request is in flight: it still gets its answer, then
	// the server stops and exits 0.
	pr, pw := io.Pipe()
	answered := make(chan int, 1)
	go func() {
		var r predictResponse
		answered <- post(t, srv.url+"/predict", "image/jpeg", pr, &r)
	}()
	pw.Write(pug[:100]) // the request has begun
	time.Sleep(200 * time.Millisecond)
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	pw.Write(pug[100:])
	pw.Close()
	if status := <-answered; status != 200 {
		t.Errorf("the request in flight at SIGTERM: status %d", status)
	}
	select {
	case err := <-srv.exited:
		if err != nil || !strings.Contains(srv.out.String(), "fastgo: stopped") {
			t.Errorf("after SIGTERM: %v\n%s", err, srv.out)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("still running 30 s after SIGTERM:\n%s", srv.out)
	}
}
