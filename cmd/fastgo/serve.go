package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/fastgo/vision/cnn"
)

// The HTTP server's timeouts: a client must send its headers within
// readHeaderTimeout and the whole request within readTimeout; an answer
// (queueing for the model included) must be written within writeTimeout.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = 2 * time.Minute
	idleTimeout       = 2 * time.Minute
	// shutdownTimeout bounds how long SIGINT/SIGTERM waits for requests in flight.
	shutdownTimeout = time.Minute
)

// serveConfig is serve's flags.
type serveConfig struct {
	addr      string
	maxBatch  int
	maxWait   time.Duration
	maxBody   byteSize
	maxPixels int
	k         int
	cors      string
}

func serveCmd(args []string, stdout, stderr io.Writer) int {
	c := serveConfig{maxBody: 20 << 20}
	fs := flag.NewFlagSet("fastgo serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one; \":8080\" listens on every interface)")
	fs.IntVar(&c.maxBatch, "max-batch", 16, "most requests that share one forward pass")
	fs.DurationVar(&c.maxWait, "max-wait", 5*time.Millisecond, "longest a request waits for others to share its forward pass")
	fs.Var(&c.maxBody, "max-body", "largest request body: a `size` in bytes or with a unit (20MiB, 512KiB); larger ones get 413")
	fs.IntVar(&c.maxPixels, "max-pixels", 50_000_000, "largest image (width × height) the server decodes, checked from the image's header; each pixel takes 3 bytes while it is prepared (0: no limit, which lets one request claim any amount of memory)")
	fs.IntVar(&c.k, "k", 5, "classes answered per image when the request has no ?k=")
	fs.StringVar(&c.cors, "cors", "", "let pages on these `origins` call the server from a browser (CORS): comma-separated, e.g. https://app.example.com, or * for any; off by default")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: fastgo serve MODEL [flags]\n\nServes a model written by learner.Export, or by fastai's learn.export\n(export.pkl), over HTTP: POST /predict, GET /model, GET /healthz, and a page at /.")
		fs.PrintDefaults()
	}
	pos, ok, status := parseArgs(fs, args)
	if !ok {
		return status
	}
	if len(pos) != 1 {
		return badArgs(fs, stderr, "give one MODEL (a file written by learner.Export, or fastai's export.pkl)", pos)
	}
	var bad flagProblems
	bad.check(c.maxBatch >= 1, "-max-batch %d: give a number ≥ 1 (the default is 16)", c.maxBatch)
	bad.check(c.maxBatch <= maxServeBatch, "-max-batch %d is over %d: the warm-up runs a batch of that many images, and a batch's memory grows with it; use a smaller one (the default is 16)", c.maxBatch, maxServeBatch)
	bad.check(c.maxWait >= 0, "-max-wait %v: give a duration ≥ 0, e.g. 5ms (0: each forward pass takes only the requests already waiting)", c.maxWait)
	bad.check(c.maxBody >= 1, "-max-body %v: give a size of at least 1 byte, e.g. 20MiB", c.maxBody)
	bad.check(c.maxPixels >= 0, "-max-pixels %d: give a number of pixels ≥ 0, e.g. 50000000 (0: no limit)", c.maxPixels)
	bad.check(c.k >= 1, "-k %d: give a number ≥ 1 (classes answered per image)", c.k)
	if bad.report(fs, stderr) {
		return 2
	}
	if err := serve(pos[0], c, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "fastgo: %v\n", err)
		return 1
	}
	return 0
}

// maxServeBatch is the largest -max-batch: the forward pass of a ResNet on
// 1024 images at 224 pixels already takes tens of GB.
const maxServeBatch = 1024

// serve loads the model, compiles it, serves until SIGINT or SIGTERM and
// then finishes the requests in flight.
func serve(modelPath string, c serveConfig, stdout, stderr io.Writer) error {
	logger := log.New(stderr, "", log.LstdFlags)
	vision.MaxPixels = c.maxPixels
	if c.maxPixels == 0 {
		fmt.Fprintln(stderr, "fastgo: warning: -max-pixels 0: no limit on the image size: a request whose image header claims billions of pixels makes the server allocate 3 bytes for each; give a limit (the default is 50000000) unless every client is trusted")
	}
	// Listen before the slow load and warm-up, so that an address in use
	// is said at once; connections made meanwhile wait in the listen
	// queue until the server is warm.
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return listenError(c.addr, err)
	}
	defer func() { _ = ln.Close() }() // Serve closes it too; this is for the early returns
	p, err := cnn.LoadPredictor(modelPath, learner.Output(stderr))
	if err != nil {
		return err
	}
	b := newBatcher(p.Predict, c.maxBatch, c.maxWait, logger.Printf)
	defer b.close()

	// Warm-up: compile the graph of every batch size the batcher runs, so
	// that the first requests are not the slow ones.
	start := time.Now()
	fmt.Fprintf(stderr, "fastgo: warming up %s (one forward pass per batch size %v)\n", p.Arch.Name, b.sizes)
	img, err := p.Prepare(grayPNG(), "the warm-up image")
	if err != nil {
		return err
	}
	if err := b.warm(img); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "fastgo: warm in %.1fs\n", time.Since(start).Seconds())

	s := &server{
		model:   p,
		batcher: b,
		prepare: make(chan struct{}, 2*runtime.GOMAXPROCS(0)),
		maxBody: int64(c.maxBody),
		k:       c.k,
		cors:    corsOrigins(c.cors),
		logf:    logger.Printf,
	}
	srv := &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(stderr, "fastgo: http: ", log.LstdFlags),
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	url, everywhere := serveURL(ln.Addr())
	if everywhere {
		fmt.Fprintf(stderr, "fastgo: warning: listening on every network interface (-addr %s): anyone who can reach this machine can use the model; the default is 127.0.0.1\n", c.addr)
	}
	fmt.Fprintf(stdout, "fastgo: serving %s (%s, %d classes) on %s\n", modelPath, p.Arch.Name, len(p.Vocab), url)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	stop() // a second signal ends the process at once
	fmt.Fprintln(stderr, "fastgo: shutting down: finishing the requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(stdout, "fastgo: stopped")
	return nil
}

// listenError says why serve cannot listen on addr (-addr) and what to do.
func listenError(addr string, err error) error {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("-addr %s: the address is in use: stop the other server or give another -addr, e.g. :8081 (port 0 picks a free one)", addr)
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("-addr %s: not allowed to listen there (%v): ports below 1024 need privileges; give a higher one, e.g. 127.0.0.1:8080", addr, err)
	}
	return fmt.Errorf("-addr %s: cannot listen there (%v): give host:port, e.g. 127.0.0.1:8080 or :8080 (every interface)", addr, err)
}

// corsOrigins splits -cors's comma-separated origins.
func corsOrigins(flag string) []string {
	var out []string
	for o := range strings.SplitSeq(flag, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, strings.TrimSuffix(o, "/"))
		}
	}
	return out
}

// grayPNG is a small mid-gray image for the warm-up pass.
func grayPNG() []byte {
	m := image.NewGray(image.Rect(0, 0, 64, 64))
	for i := range m.Pix {
		m.Pix[i] = 128
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, m)
	return buf.Bytes()
}

// serveURL is the URL to print for the listener's address: a wildcard
// host (0.0.0.0, ::) is shown as 127.0.0.1, which a browser can open, and
// everywhere says the server answers on every interface.
func serveURL(addr net.Addr) (url string, everywhere bool) {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return "http://" + addr.String(), false
	}
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		return fmt.Sprintf("http://127.0.0.1:%d", tcp.Port), true
	}
	return "http://" + tcp.String(), false
}
