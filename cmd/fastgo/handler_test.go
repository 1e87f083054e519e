package main

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/fastgo/vision/augment"
	"github.com/fastgo-ml/fastgo/fastgo/vision/cnn"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
)

// fakeServer is the real request path (reading, multipart, decoding, the
// item transforms, the batcher, the answers) over a fake model that gives
// every image the same probabilities. log collects what the server logged.
func fakeServer(t testing.TB, maxBody int64, maxBatch int, predict predictFunc) (s *server, log *strings.Builder) {
	vocab := []string{"Abyssinian", "Bengal", "pug"}
	if predict == nil {
		predict = func(images []vision.Image) ([]learner.Prediction, error) {
			out := make([]learner.Prediction, len(images))
			for i := range out {
				out[i] = learner.Prediction{Class: "pug", Index: 2, Probs: []float32{0.2, 0.1, 0.7}}
			}
			return out, nil
		}
	}
	log = &strings.Builder{}
	var mu sync.Mutex
	logf := func(f string, args ...any) { mu.Lock(); fmt.Fprintf(log, f, args...); mu.Unlock() }
	b := newBatcher(predict, maxBatch, time.Millisecond, logf)
	t.Cleanup(b.close)
	old := vision.MaxPixels
	vision.MaxPixels = 4 << 20 // as serve's -max-pixels sets it
	t.Cleanup(func() { vision.MaxPixels = old })
	return &server{
		model: &cnn.Predictor{
			Arch:     models.ResNet18,
			Vocab:    vocab,
			ItemTfms: []fastgo.ItemTransform{vision.Resize(40, vision.WithMethod(vision.Squish))},
		},
		batcher: b,
		prepare: make(chan struct{}, 2),
		maxBody: maxBody,
		k:       2,
		logf:    logf,
	}, log
}

// multipartBody is data as a multipart/form-data file field.
func multipartBody(t testing.TB, field, file string, data []byte) (body []byte, contentType string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("note", "a field before the file"); err != nil {
		t.Fatal(err)
	}
	w, err := mw.CreateFormFile(field, file)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// hugePNG is a PNG whose header claims w×h pixels, with no pixel data.
func hugePNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		c := append([]byte(typ), data...)
		b.Write(c)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(c))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	chunk("IHDR", append(ihdr, 8, 2, 0, 0, 0)) // 8-bit RGB
	chunk("IEND", nil)
	return b.Bytes()
}

func readImage(t testing.TB, name string) []byte {
	data, err := os.ReadFile(filepath.Join(images, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

type errorBody struct {
	Error string `json:"error"`
}

func TestHandlerAnswers(t *testing.T) {
	s, log := fakeServer(t, 64<<10, 4, nil)
	h := s.routes()
	pug := readImage(t, "pug_166.jpg")
	mp, mpType := multipartBody(t, "image", "pug.jpg", pug)
	other, otherType := multipartBody(t, "photo", "pug.jpg", pug)
	noFile, noFileType := multipartBody(t, "image", "", nil)
	noFile = bytes.Replace(noFile, []byte(`; filename=""`), nil, 1)

	for _, tc := range []struct {
		name, method, path, ctype string
		body                      []byte
		status                    int
		want                      string // in the body
	}{
		{"raw", "POST", "/predict", "image/jpeg", pug, 200, `"predictions":[{"class":"pug","prob":0.7},{"class":"Abyssinian","prob":0.2}],"model":"resnet18","batch":1`},
		{"raw, any content type", "POST", "/predict?k=1", "text/plain", pug, 200, `"predictions":[{"class":"pug","prob":0.7}],`},
		{"k over the classes", "POST", "/predict?k=99", "", pug, 200, `{"class":"Bengal","prob":0.1}]`},
		{"multipart image field", "POST", "/predict", mpType, mp, 200, `"class":"pug"`},
		{"multipart first file", "POST", "/predict", otherType, other, 200, `"class":"pug"`},
		{"multipart no file", "POST", "/predict", noFileType, noFile, 400, `field \"image\" is empty`},
		{"multipart no boundary", "POST", "/predict", "multipart/form-data", mp, 400, "boundary"},
		{"empty", "POST", "/predict", "image/jpeg", nil, 400, "the request body is empty"},
		{"not an image", "POST", "/predict", "", []byte("hello, world"), 400, "not a decodable image: not a JPEG, PNG"},
		{"truncated", "POST", "/predict", "", pug[:len(pug)/2], 400, "truncated JPEG"},
		{"huge header", "POST", "/predict", "image/png", hugePNG(100000, 100000), 400, "100000x100000"},
		{"over max-body", "POST", "/predict", "", bytes.Repeat(pug, 11), 413, "over the server's limit of 64KiB"},
		{"bad k", "POST", "/predict?k=zero", "", pug, 400, "k="},
		{"GET /predict", "GET", "/predict", "", nil, 405, "use POST"},
		{"POST /model", "POST", "/model", "", nil, 405, "use GET"},
		{"unknown path", "GET", "/nope", "", nil, 404, "no such path"},
		{"model", "GET", "/model", "", nil, 200, `"arch":"resnet18","classes":["Abyssinian","Bengal","pug"],"num_classes":3,"input_size":40,`},
		{"healthz", "GET", "/healthz", "", nil, 200, "ok"},
		{"page", "GET", "/", "", nil, 200, `id="file"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.path, bytes.NewReader(tc.body))
			if tc.ctype != "" {
				r.Header.Set("Content-Type", tc.ctype)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			body := w.Body.String()
			if w.Code != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("%d %s\nwant %d and %s", w.Code, body, tc.status, tc.want)
			}
			if w.Code >= 400 {
				var e errorBody
				if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
					t.Errorf("error answer %q is not JSON {\"error\":…}", body)
				}
			}
			if w.Code == 405 && w.Header().Get("Allow") == "" {
				t.Error("405 without an Allow header")
			}
		})
	}
	// A body over the limit without Content-Length (chunked).
	r := httptest.NewRequest("POST", "/predict", io.MultiReader(bytes.NewReader(bytes.Repeat(pug, 11))))
	r.ContentLength = -1
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 413 {
		t.Errorf("chunked body over the limit: %d %s", w.Code, w.Body)
	}
	if log.Len() != 0 {
		t.Errorf("the server logged: %s", log)
	}
}

// A panic in the model fails the requests of its batch with a 500 and is
// logged; the server goes on.
func TestHandlerSurvivesPanics(t *testing.T) {
	boom := true
	s, log := fakeServer(t, 1<<20, 4, func(images []vision.Image) ([]learner.Prediction, error) {
		if boom {
			panic("boom")
		}
		return []learner.Prediction{{Probs: []float32{1, 0, 0}}}, nil
	})
	h := s.routes()
	post := func() *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "/predict", bytes.NewReader(readImage(t, "pug_166.jpg"))))
		return w
	}
	if w := post(); w.Code != 500 || !strings.Contains(w.Body.String(), "panic: boom") {
		t.Errorf("panicking model: %d %s", w.Code, w.Body)
	}
	if !strings.Contains(log.String(), "goroutine") {
		t.Errorf("no stack logged: %q", log)
	}
	boom = false
	if w := post(); w.Code != 200 {
		t.Errorf("after the panic: %d %s", w.Code, w.Body)
	}
}

// FuzzPredictRequest sends random bodies and content types through the
// request path (fake model): never a panic, never a 5xx. The seeds are
// small, so that the fuzzer's minimizing stays quick.
func FuzzPredictRequest(f *testing.F) {
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, image.NewRGBA(image.Rect(0, 0, 24, 16)), nil); err != nil {
		f.Fatal(err)
	}
	tiny := jpg.Bytes()
	mp, mpType := multipartBody(f, "image", "tiny.jpg", tiny)
	small, smallType := multipartBody(f, "file", "x.png", hugePNG(3, 2))
	f.Add(tiny, "image/jpeg")
	f.Add(tiny[:len(tiny)/2], "")
	f.Add(mp, mpType)
	f.Add(small, smallType)
	f.Add(hugePNG(100000, 100000), "image/png")
	f.Add(hugePNG(2, 2), "multipart/form-data; boundary=x")
	f.Add([]byte("--x\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nGIF89a\r\n--x--\r\n"), "multipart/form-data; boundary=x")
	f.Add([]byte{}, "text/plain")
	f.Add([]byte{0x1f, 0x8b, 8, 0}, "")      // gzip's magic
	s, log := fakeServer(f, 256<<10, 1, nil) // batches of 1: no waiting for company
	h := s.routes()
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		r := httptest.NewRequest("POST", "/predict", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 || strings.Contains(log.String(), "panic") {
			t.Fatalf("%d %s\nlog: %s", w.Code, w.Body, log)
		}
		if w.Code != 200 {
			var e errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("%d %q: not a JSON error", w.Code, w.Body)
			}
		}
	})
}

// multipartFiles is a multipart/form-data body with one file field per
// name, in the field "image" (a browser's <input multiple>).
func multipartFiles(t testing.TB, data []byte, names ...string) (body []byte, contentType string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, n := range names {
		w, err := mw.CreateFormFile("image", n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// What the server answers to requests it cannot serve as sent: several
// images in one multipart body (before: 200 and the first image's
// prediction, the others dropped without a word), JSON or base64 bodies
// (before: "not a JPEG, PNG…"); each answer says what the server accepts.
func TestHandlerSaysWhatItAccepts(t *testing.T) {
	s, _ := fakeServer(t, 1<<20, 4, nil)
	h := s.routes()
	pug := readImage(t, "pug_166.jpg")
	three, threeType := multipartFiles(t, pug, "a.jpg", "b.jpg", "c.jpg")
	b64 := base64.StdEncoding.EncodeToString(pug)
	for _, tc := range []struct {
		name, ctype string
		body        []byte
		want        []string
	}{
		{"three files", threeType, three, []string{"3 images", "a.jpg", "b.jpg", "c.jpg", "one image per request"}},
		{"JSON with base64", "application/json", []byte(`{"image": "` + b64 + `"}`), []string{"JSON", "the image's bytes", "multipart/form-data", "not JSON or base64"}},
		{"JSON without its type", "", []byte(` {"instances": [{"b64": "` + b64[:40] + `"}]}`), []string{"JSON", "the image's bytes"}},
		{"base64 text", "text/plain", []byte(b64), []string{"base64 text of a JPEG", "the image's bytes"}},
		{"data URL", "", []byte("data:image/jpeg;base64," + b64), []string{"data: URL", "the image's bytes"}},
	} {
		r := httptest.NewRequest("POST", "/predict", bytes.NewReader(tc.body))
		if tc.ctype != "" {
			r.Header.Set("Content-Type", tc.ctype)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 400 {
			t.Errorf("%s: %d %s, want 400", tc.name, w.Code, w.Body)
			continue
		}
		for _, want := range tc.want {
			if !strings.Contains(w.Body.String(), want) {
				t.Errorf("%s: %s\nwant it to say %q", tc.name, w.Body, want)
			}
		}
	}
}

// -cors ORIGIN lets a page on that origin call the model: preflights are
// answered (before: 405) and answers carry the CORS headers; other origins
// get none, and without -cors nothing changes.
func TestHandlerCORS(t *testing.T) {
	s, _ := fakeServer(t, 1<<20, 4, nil)
	pug := readImage(t, "pug_166.jpg")
	preflight := func(h http.Handler, origin string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("OPTIONS", "/predict", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", "POST")
		r.Header.Set("Access-Control-Request-Headers", "content-type")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	post := func(h http.Handler, origin string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/predict", bytes.NewReader(pug))
		r.Header.Set("Origin", origin)
		r.Header.Set("Content-Type", "image/jpeg")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	const page = "https://app.example.com"
	// Off by default.
	if w := preflight(s.routes(), page); w.Code != 405 || w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("without -cors, a preflight got %d with %v", w.Code, w.Header())
	}
	s.cors = []string{page}
	h := s.routes()
	w := preflight(h, page)
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != page ||
		!strings.Contains(w.Header().Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(strings.ToLower(w.Header().Get("Access-Control-Allow-Headers")), "content-type") {
		t.Errorf("preflight from %s: %d %v", page, w.Code, w.Header())
	}
	if w := post(h, page); w.Code != 200 || w.Header().Get("Access-Control-Allow-Origin") != page || !strings.Contains(w.Header().Get("Vary"), "Origin") {
		t.Errorf("POST from %s: %d %v", page, w.Code, w.Header())
	}
	if w := preflight(h, "https://evil.example.com"); w.Code != 403 || w.Header().Get("Access-Control-Allow-Origin") != "" || !strings.Contains(w.Body.String(), "-cors") {
		t.Errorf("preflight from another origin: %d %v %s", w.Code, w.Header(), w.Body)
	}
	if w := post(h, "https://evil.example.com"); w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("POST from another origin got %v", w.Header())
	}
	s.cors = []string{"*"}
	if w := post(s.routes(), "https://any.example.com"); w.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("-cors '*': %v", w.Header())
	}
}

// fastgo serve takes the web images the default build refused before: a
// progressive JPEG with restart markers and an animated WebP (its first
// frame), as Pillow reads them.
func TestHandlerWebImages(t *testing.T) {
	s, _ := fakeServer(t, 1<<20, 4, nil)
	h := s.routes()
	for _, name := range []string{"progressive_restart_420.jpg", "anim_offset_alpha.webp"} {
		data, err := os.ReadFile(filepath.Join("../../fastgo/vision/testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "/predict", bytes.NewReader(data)))
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"class":"pug"`) {
			t.Errorf("%s: %d %s", name, w.Code, w.Body)
		}
	}
}

// TestModelJSON: GET /model mixed key styles ("arch", "num_classes" next
// to "ItemTfms", "Name", "Params") and showed settings as codes
// ("method":[0]); a fastai model's ApplyEXIF was not shown.
// Every key is snake_case, settings are named values, and the page's keys
// (arch, num_classes) stay.
func TestModelJSON(t *testing.T) {
	s, _ := fakeServer(t, 1<<20, 1, nil)
	resize := vision.Resize(40, vision.WithMethod(vision.Squish), vision.WithPadMode(vision.Zeros))
	s.model.ItemTfms = []fastgo.ItemTransform{resize}
	s.model.Inputs = learner.InputSpec{
		ItemTfms:  []fastgo.TransformSpec{resize.Spec()},
		BatchTfms: []fastgo.TransformSpec{augment.MustAugTransforms(32, augment.MinScale(0.75)).Spec(), augment.MustNormalize(augment.ImagenetStats()).Spec()},
	}
	r := httptest.NewRequest("GET", "/model", nil)
	w := httptest.NewRecorder()
	s.routes().ServeHTTP(w, r)
	var got bytes.Buffer
	if err := json.Indent(&got, w.Body.Bytes(), "", " "); err != nil {
		t.Fatalf("%v: %s", err, w.Body)
	}
	want := `{
 "arch": "resnet18",
 "classes": [
  "Abyssinian",
  "Bengal",
  "pug"
 ],
 "num_classes": 3,
 "input_size": 40,
 "apply_exif": false,
 "inputs": {
  "item_tfms": [
   {
    "name": "Resize",
    "settings": {
     "method": "squish",
     "pad_mode": "zeros",
     "size": 40
    }
   }
  ],
  "batch_tfms": [
   {
    "name": "AugTransforms",
    "settings": {
     "do_flip": true,
     "max_lighting": 0.2,
     "max_rotate": 10,
     "max_warp": 0.2,
     "max_zoom": 1.1,
     "min_scale": 0.75,
     "min_zoom": 1,
     "p_affine": 0.75,
     "p_lighting": 0.75,
     "size": 32
    }
   },
   {
    "name": "Normalize",
    "settings": {
     "mean": [
      0.485,
      0.456,
      0.406
     ],
     "std": [
      0.229,
      0.224,
      0.225
     ]
    }
   }
  ]
 }
}`
	if strings.TrimSpace(got.String()) != want {
		t.Errorf("GET /model:\n%s\nwant\n%s", got.String(), want)
	}
}

// Bodies a client compressed or framed wrongly: a gzip body with
// Content-Encoding: gzip gets 415 saying to send the image as it is
// (before: "not a JPEG, PNG… (first bytes 1f 8b…)"), one without the header
// gets the same hint from gzip's magic bytes, and a multipart body whose
// boundary is not the Content-Type's says what was expected (before:
// "malformed multipart body: multipart: NextPart: EOF").
func TestHandlerCompressedAndMisframedBodies(t *testing.T) {
	s, _ := fakeServer(t, 1<<20, 4, nil)
	h := s.routes()
	pug := readImage(t, "pug_166.jpg")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(pug)
	zw.Close()
	mp, _ := multipartBody(t, "image", "pug.jpg", pug)
	_, otherType := multipartBody(t, "image", "pug.jpg", pug) // another random boundary
	for _, tc := range []struct {
		name, ctype, encoding string
		body                  []byte
		status                int
		want                  []string
	}{
		{"gzip, Content-Encoding", "image/jpeg", "gzip", gz.Bytes(), 415, []string{"Content-Encoding gzip is not accepted: send the image's bytes as they are"}},
		{"deflate, Content-Encoding", "", "deflate", gz.Bytes(), 415, []string{"Content-Encoding deflate is not accepted"}},
		{"gzip, no header", "image/jpeg", "", gz.Bytes(), 400, []string{"gzip-compressed", "send the image's bytes as they are"}},
		{"identity", "image/jpeg", "identity", pug, 200, []string{`"class":"pug"`}},
		{"wrong boundary", otherType, "", mp, 400, []string{"malformed multipart/form-data body", "one file part", "boundary"}},
		// Trial 3: curl -H 'Content-Type: multipart/form-data; boundary=X' -F …
		// sends two boundaries; the type did not parse and the body was
		// taken for an image ("not a JPEG, PNG…").
		{"two boundaries", otherType + "; boundary=WRONG", "", mp, 400, []string{"could not be parsed", "do not set the Content-Type by hand"}},
		{"no boundary", "multipart/form-data", "", mp, 400, []string{"without a boundary", "do not set the Content-Type by hand"}},
		{"multipart sent as an image", "image/png", "", mp, 400, []string{"a multipart/form-data body sent as image/png", "do not set the Content-Type by hand"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/predict", bytes.NewReader(tc.body))
			r.Header.Set("Content-Type", tc.ctype)
			if tc.encoding != "" {
				r.Header.Set("Content-Encoding", tc.encoding)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Errorf("%d %s, want %d", w.Code, w.Body, tc.status)
			}
			for _, want := range tc.want {
				if !strings.Contains(w.Body.String(), want) {
					t.Errorf("%s\nwant it to say %q", w.Body, want)
				}
			}
			if w.Code == 415 && w.Header().Get("Accept-Encoding") != "identity" {
				t.Errorf("415 with Accept-Encoding %q, want identity (RFC 7694)", w.Header().Get("Accept-Encoding"))
			}
		})
	}
}
