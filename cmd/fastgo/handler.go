package main

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/fastgo/vision/cnn"
)

//go:embed index.html
var indexHTML []byte

// server answers the HTTP endpoints for one model.
type server struct {
	// model prepares images (Prepare) and names classes (TopK, Vocab, Arch,
	// Inputs); the batcher runs its forward passes.
	model   *cnn.Predictor
	batcher *batcher
	// prepare bounds how many requests read and decode at once: a decoded
	// photo takes width×height×3 bytes, so a burst must queue here.
	prepare chan struct{}
	maxBody int64
	k       int // default number of classes answered
	// cors lists the origins whose pages may call the server (-cors; "*":
	// any); empty: no CORS headers, preflights get 405.
	cors []string
	logf func(format string, args ...any)
}

// predictResponse is POST /predict's answer.
type predictResponse struct {
	Predictions []cnn.ClassProb `json:"predictions"`
	Model       string          `json:"model"`
	Batch       int             `json:"batch"` // requests that shared the forward pass
	MS          float64         `json:"ms"`    // time in the server, milliseconds
}

// modelResponse is GET /model's answer; every key is snake_case, as the
// other answers'.
type modelResponse struct {
	Arch       string   `json:"arch"`
	Classes    []string `json:"classes"`
	NumClasses int      `json:"num_classes"`
	// InputSize is the side of the square images the model takes
	// (Predictor.InputSize).
	InputSize int        `json:"input_size"`
	ApplyEXIF bool       `json:"apply_exif"`
	Inputs    inputsInfo `json:"inputs"`
}

// inputsInfo is how images are prepared: the model file's transforms.
type inputsInfo struct {
	ItemTfms  []transformInfo `json:"item_tfms"`
	BatchTfms []transformInfo `json:"batch_tfms"`
}

// transformInfo is one transform and its settings, as the model file
// records them (fastgo.TransformSpec), with names for what the file holds
// as codes and one number for a one-number setting.
type transformInfo struct {
	Name     string         `json:"name"`
	Settings map[string]any `json:"settings"`
}

// describeTransforms makes specs readable for GET /model.
func describeTransforms(specs []fastgo.TransformSpec) []transformInfo {
	out := make([]transformInfo, len(specs))
	for i, s := range specs {
		settings := map[string]any{}
		for key, v := range s.Params {
			values := make([]json.Number, len(v))
			for j, x := range v {
				values[j] = shortNumber(x)
			}
			var setting any = values
			switch {
			case len(v) != 1:
			case s.Name == "Resize" && key == "method":
				setting = vision.ResizeMethod(v[0]).String()
			case s.Name == "Resize" && key == "pad_mode":
				setting = vision.PadMode(v[0]).String()
			case key == "do_flip":
				setting = v[0] != 0
			default:
				setting = values[0]
			}
			settings[key] = setting
		}
		out[i] = transformInfo{Name: s.Name, Settings: settings}
	}
	return out
}

// shortNumber writes x as briefly as it reads back: a value that came from
// a float32 (Normalize's statistics) in float32's digits, 0.485 rather
// than 0.48500001430511475.
func shortNumber(x float64) json.Number {
	bits := 64
	if float64(float32(x)) == x {
		bits = 32
	}
	return json.Number(strconv.FormatFloat(x, 'g', -1, bits))
}

// routes is the server's handler: every answer but / and /healthz is JSON,
// errors included, and a panic fails only its own request.
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/predict", s.handlePredict)
	mux.HandleFunc("/model", s.handleModel)
	mux.HandleFunc("/healthz", s.handleHealth)
	mux.HandleFunc("/", s.handleIndex)
	var h http.Handler = mux
	if len(s.cors) > 0 {
		h = s.allowCORS(mux)
	}
	return s.recoverPanics(h)
}

// allowCORS lets pages on the -cors origins call the server: it answers
// their preflights (OPTIONS with Access-Control-Request-Method) and adds
// Access-Control-Allow-Origin to every answer to them. A preflight from
// another origin gets 403 saying so; other requests pass unchanged (the
// browser then refuses the answer to the page).
func (s *server) allowCORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Origin")
		allowed := ""
		for _, o := range s.cors {
			if o == "*" || strings.EqualFold(o, origin) {
				allowed = o
				if o != "*" {
					allowed = origin
				}
				break
			}
		}
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if allowed == "" {
			if preflight {
				writeError(w, http.StatusForbidden, fmt.Sprintf("origin %s may not call this server: start it with -cors %s to allow it (allowed now: %s)", origin, origin, strings.Join(s.cors, ", ")))
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", allowed)
		if !preflight {
			next.ServeHTTP(w, r)
			return
		}
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
		h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS")
		headers := r.Header.Get("Access-Control-Request-Headers")
		if headers == "" {
			headers = "Content-Type"
		}
		h.Set("Access-Control-Allow-Headers", headers)
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *server) recoverPanics(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v) // net/http's way to drop a connection on purpose
			}
			s.logf("fastgo: panic serving %s %s: %v\n%s", r.Method, r.URL.Path, v, debug.Stack())
			writeError(w, http.StatusInternalServerError, "internal error while serving this request (the server logged it)")
		}()
		h.ServeHTTP(w, r)
	})
}

func (s *server) handleIndex(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such path %q: the endpoints are POST /predict, GET /model, GET /healthz and GET /", r.URL.Path))
		return
	}
	if !allow(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' blob: data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'")
	_, _ = w.Write(indexHTML)
}

func (s *server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}

func (s *server) handleModel(w http.ResponseWriter, r *http.Request) {
	if !allow(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	writeJSON(w, http.StatusOK, modelResponse{
		Arch:       s.model.Arch.Name,
		Classes:    s.model.Vocab,
		NumClasses: len(s.model.Vocab),
		InputSize:  s.model.InputSize(),
		ApplyEXIF:  s.model.ApplyEXIF,
		Inputs: inputsInfo{
			ItemTfms:  describeTransforms(s.model.Inputs.ItemTfms),
			BatchTfms: describeTransforms(s.model.Inputs.BatchTfms),
		},
	})
}

func (s *server) handlePredict(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if !allow(w, r, http.MethodPost) {
		return
	}
	k := s.k
	if q := r.URL.Query().Get("k"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("query k=%q: want a positive whole number of classes", q))
			return
		}
		k = n
	}
	img, status, err := s.readImage(w, r)
	if err != nil {
		if status != 0 {
			writeError(w, status, err.Error())
		}
		return
	}
	a := s.batcher.classify(r.Context(), img)
	switch {
	case errors.Is(a.err, context.Canceled) || errors.Is(a.err, context.DeadlineExceeded):
		return // the client has gone
	case errors.Is(a.err, errStopped):
		writeError(w, http.StatusServiceUnavailable, a.err.Error())
		return
	case a.err != nil:
		s.logf("fastgo: %s %s: the model failed: %v", r.Method, r.URL.Path, a.err)
		writeError(w, http.StatusInternalServerError, "the model failed: "+a.err.Error())
		return
	}
	writeJSON(w, http.StatusOK, predictResponse{
		Predictions: roundProbs(s.model.TopK(a.pred, k)),
		Model:       s.model.Arch.Name,
		Batch:       a.batch,
		MS:          math.Round(float64(time.Since(start).Microseconds())/100) / 10,
	})
}

// readImage reads the request's image and prepares it, holding a prepare
// slot meanwhile. On error, status is the HTTP status to answer with (0:
// the client has gone, answer nothing).
func (s *server) readImage(w http.ResponseWriter, r *http.Request) (img vision.Image, status int, err error) {
	select {
	case s.prepare <- struct{}{}:
	case <-r.Context().Done():
		return img, 0, r.Context().Err()
	}
	defer func() { <-s.prepare }()

	if enc := contentEncoding(r.Header); enc != "" {
		// Decompressing would need its own limit against zip bombs, and
		// buys nothing: JPEG, PNG and WebP are compressed already.
		w.Header().Set("Accept-Encoding", "identity") // RFC 7694
		return img, http.StatusUnsupportedMediaType, fmt.Errorf("Content-Encoding %s is not accepted: send the image's bytes as they are (JPEG, PNG and WebP are compressed already), without a Content-Encoding header", enc)
	}
	if r.ContentLength > s.maxBody {
		return img, http.StatusRequestEntityTooLarge, fmt.Errorf("the body (%d bytes) is over the server's limit of %s (-max-body)", r.ContentLength, byteSize(s.maxBody))
	}
	body := http.MaxBytesReader(w, r.Body, s.maxBody)
	data, name, err := readBody(body, r.Header.Get("Content-Type"))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return img, http.StatusRequestEntityTooLarge, fmt.Errorf("the body is over the server's limit of %s (-max-body)", byteSize(tooBig.Limit))
		}
		return img, http.StatusBadRequest, err
	}
	if len(data) == 0 {
		return img, http.StatusBadRequest, fmt.Errorf("%s is empty: POST the image's bytes, or multipart/form-data with a file field named \"image\"", name)
	}
	img, err = s.model.Prepare(data, name)
	if err != nil {
		// Not decoded: a common mistake is said as such, not as a bad image.
		if what := notImageBody(data, r.Header.Get("Content-Type")); what != "" {
			return img, http.StatusBadRequest, fmt.Errorf("%s is %s: %s", name, what, accepted)
		}
		return img, http.StatusBadRequest, imageError(name, err)
	}
	return img, 0, nil
}

// contentEncoding is the request's Content-Encoding other than identity,
// or "" when the body is sent as it is.
func contentEncoding(h http.Header) string {
	var codings []string
	for _, v := range h.Values("Content-Encoding") {
		for c := range strings.SplitSeq(v, ",") {
			if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "identity") {
				codings = append(codings, c)
			}
		}
	}
	return strings.Join(codings, ", ")
}

// accepted says what POST /predict takes.
const accepted = "the server accepts one image per request, as the image's bytes themselves (the body; e.g. curl --data-binary @cat.jpg -H 'Content-Type: image/jpeg' URL/predict) or as multipart/form-data with a file field named \"image\" — not JSON or base64"

// notImageBody names what a body that is no image format is when it is a
// common mistake — JSON, base64 text, a data: URL, gzip, a multipart body
// sent under contentType — or "".
func notImageBody(data []byte, contentType string) string {
	if vision.FormatOf(data) != "" {
		return ""
	}
	text := bytes.TrimSpace(data[:min(len(data), 4096)])
	switch {
	case looksMultipart(data):
		media, _, _ := mime.ParseMediaType(contentType)
		return "a multipart/form-data body sent as " + cmp.Or(media, "no Content-Type") + " (" + multipartByHand + ")"
	case bytes.HasPrefix(text, []byte("{")) || bytes.HasPrefix(text, []byte("[")):
		return "JSON"
	case bytes.HasPrefix(text, []byte("data:")):
		return "a data: URL (base64 text)"
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		return "gzip-compressed data (send the image's bytes as they are: JPEG, PNG and WebP are compressed already)"
	}
	// Base64 text of an image: its first characters decode to a signature.
	head := text[:min(len(text), 64)]
	head = head[:len(head)/4*4]
	decoded := make([]byte, base64.StdEncoding.DecodedLen(len(head)))
	if n, err := base64.StdEncoding.Decode(decoded, head); err == nil {
		if f := vision.FormatOf(decoded[:n]); f != "" {
			return "base64 text of a " + f + " image"
		}
	}
	return ""
}

// multipartByHand is the advice for a multipart body whose Content-Type
// the client's code wrote itself: the usual cause of a missing, doubled or
// mismatched boundary.
const multipartByHand = "do not set the Content-Type by hand for a multipart body (curl -F, fetch with FormData and axios set it, with the boundary the body uses)"

// looksMultipart says whether data begins as a multipart body does: a
// "--boundary" line, then a part's Content-Disposition header.
func looksMultipart(data []byte) bool {
	head := data[:min(len(data), 1024)]
	return bytes.HasPrefix(head, []byte("--")) && bytes.Contains(bytes.ToLower(head), []byte("content-disposition:"))
}

// readBody is the image in a request body: the body itself, or in
// multipart/form-data its one file (the field named "image", or another
// file field). Several files are refused: one image per request.
// name is what errors call the image.
func readBody(body io.Reader, contentType string) (data []byte, name string, err error) {
	media, params, perr := mime.ParseMediaType(contentType)
	if perr != nil && strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "multipart/") {
		return nil, "", fmt.Errorf("the Content-Type %q could not be parsed (%v): %s", contentType, perr, multipartByHand)
	}
	if media != "multipart/form-data" {
		data, err = io.ReadAll(body)
		if err != nil {
			return nil, "", fmt.Errorf("reading the body: %w", err)
		}
		return data, "the request body", nil
	}
	if params["boundary"] == "" {
		return nil, "", errors.New("multipart/form-data without a boundary in its Content-Type: " + multipartByHand)
	}
	mr := multipart.NewReader(body, params["boundary"])
	var files []string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", fmt.Errorf("malformed multipart/form-data body (%w): want one file part (a field named \"image\"), the parts separated by lines --%s as the Content-Type's boundary says; a client's multipart writer (curl -F image=@cat.jpg) makes both", err, params["boundary"])
		}
		if part.FormName() != "image" && part.FileName() == "" {
			continue // a plain field; NextPart skips what is left of it
		}
		files = append(files, partName(part))
		if len(files) > 1 {
			continue // counted; only the first is kept
		}
		if data, err = io.ReadAll(part); err != nil {
			return nil, "", fmt.Errorf("malformed multipart body: %w", err)
		}
		name = files[0]
	}
	switch {
	case len(files) == 0:
		return nil, "", errors.New("the multipart body has no file: send the image in a file field named \"image\"")
	case len(files) > 1:
		return nil, "", fmt.Errorf("the multipart body has %d images (%s): send one image per request (requests made at the same time share a forward pass)", len(files), strings.Join(files, ", "))
	}
	return data, name, nil
}

// partName names a multipart file in errors.
func partName(p *multipart.Part) string {
	if f := p.FileName(); f != "" {
		return strconv.Quote(f)
	}
	return "field " + strconv.Quote(p.FormName())
}

// imageError says why data is not an image, in the server's words (the
// decoder's advice is about files and vision.MaxPixels).
func imageError(name string, err error) error {
	var de *vision.DecodeError
	if !errors.As(err, &de) {
		return fmt.Errorf("%s could not be prepared: %w", name, err)
	}
	what := de.Problem
	if de.Err != nil {
		what += ": " + de.Err.Error()
	}
	what = strings.ReplaceAll(what, "raise vision.MaxPixels", "start the server with a larger -max-pixels")
	return fmt.Errorf("%s is not a decodable image: %s", name, what)
}

// allow answers 405 with an Allow header unless r uses one of methods.
func allow(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	list := strings.Join(methods, ", ")
	w.Header().Set("Allow", list)
	writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s: use %s", r.Method, r.URL.Path, list))
	return false
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, struct {
		Error string `json:"error"`
	}{msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding the answer failed"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// roundProbs writes each probability as its shortest float32 decimal
// (0.912, not 0.9120000004768372): the model computes in float32.
func roundProbs(top []cnn.ClassProb) []cnn.ClassProb {
	for i := range top {
		top[i].Prob, _ = strconv.ParseFloat(strconv.FormatFloat(top[i].Prob, 'g', -1, 32), 64)
	}
	return top
}
