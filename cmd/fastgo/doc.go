// Command fastgo classifies images with a model written by learner.Export
// from a cnn.Learner (fastai's load_learner + predict), or by fastai's own
// learn.export() (export.pkl of a ResNet18/34/50 vision learner, read as
// data by cnn.LoadFastai: no Python needed), on the command line or as an
// HTTP server, and writes such models as ONNX. The file carries the
// architecture, the classes and how images were prepared, so nothing else
// is needed.
//
//	go install github.com/fastgo-ml/fastgo/cmd/fastgo@latest
//
// It is one static pure-Go binary (CGO_ENABLED=0 works) on fastgo's pure-Go
// backend; built with -tags xla it uses XLA on a GPU or CPU when a PJRT
// plugin is found (backend.Default chooses and prints the choice on stderr).
//
// # predict
//
//	fastgo predict MODEL IMAGE... [-k 3] [-json]
//
// prints the k most probable classes of each image, one line per image:
//
//	pug_166.jpg: pug 0.912, chihuahua 0.041, great_pyrenees 0.020
//
// or with -json one object per line:
//
//	{"file":"pug_166.jpg","predictions":[{"class":"pug","prob":0.912},…]}
//
// A file that cannot be read or decoded is named on stderr; the others are
// still classified, and the exit status is then 1.
//
// # serve
//
//	fastgo serve MODEL [-addr 127.0.0.1:8080] [-max-batch 16] [-max-wait 5ms]
//	                   [-max-body 20MiB] [-max-pixels 50000000] [-k 5]
//	                   [-cors https://app.example.com]
//
// listens on -addr first (an address in use is said at once, before the
// slow part), compiles the model (a warm-up pass per batch size, logged on
// stderr; connections made meanwhile are accepted by the system and wait,
// so a TCP-level liveness probe sees the port open before the model is
// ready: probe with `fastgo healthcheck` or GET /healthz, which answer only
// once it is), then prints on stdout, once it answers:
//
//	fastgo: serving pets.learner (resnet34, 37 classes) on http://127.0.0.1:8080
//
// -addr 127.0.0.1:0 picks a free port (read it from that line). A flag
// value out of range is refused before anything is loaded, each with a
// line that names the flag and its value ("-max-batch 0: give a number ≥
// 1"), exit status 2. The endpoints:
//
//	# one image per request: its bytes as the body (any content type), or
//	# multipart with one file (field "image", or another file field);
//	# ?k= overrides -k
//	curl --data-binary @pug.jpg http://127.0.0.1:8080/predict
//	curl -F image=@pug.jpg 'http://127.0.0.1:8080/predict?k=3'
//	→ {"predictions":[{"class":"pug","prob":0.91},…],"model":"resnet34","batch":3,"ms":12.3}
//
//	curl http://127.0.0.1:8080/model    # {"arch":…,"classes":[…],"num_classes":37,"input_size":460,"apply_exif":…,"inputs":{"item_tfms":[{"name":"Resize","settings":{"method":"crop",…}}],"batch_tfms":[…]}}
//	curl http://127.0.0.1:8080/healthz  # ok
//	open http://127.0.0.1:8080/         # a page: drop an image, see the top classes
//
// batch is how many requests shared the forward pass. Errors are JSON
// {"error":"…"} that say what is wrong: 400 for a body that is not a
// decodable image (empty, truncated, an unknown format, a header claiming
// more than -max-pixels; JSON, base64 text or several multipart files, each
// answered with what the server accepts; a malformed multipart body says
// what was expected) or a bad ?k=, 413 for a body over -max-body, 415 for a
// body with a Content-Encoding (gzip…: send the image's bytes as they
// are; images are compressed already, and a server that decompresses
// invites zip bombs), 405
// for a wrong method (with an Allow header), 404 for an unknown path, 500
// when the model itself fails and 503 while stopping.
//
// -cors lets pages on other origins call the server from a browser (off by
// default): a comma-separated list of origins, or * for any. Their
// preflights (OPTIONS) get 204 with Access-Control-Allow-Methods and
// -Headers, their answers Access-Control-Allow-Origin; a preflight from an
// origin not listed gets 403.
//
// # Under load
//
// Requests read and decode their images in parallel (at most
// 2×GOMAXPROCS at a time, so a burst queues instead of holding every
// decoded photo in memory). One dispatcher goroutine gathers the prepared
// images until -max-batch are waiting or -max-wait has passed since the
// first, runs one forward pass and answers each request. Batches are
// padded to 1, 2, 4, … or -max-batch images, so the model has a few graphs,
// all compiled at start. Unless GOGC is set, the command runs with the
// garbage collector's target at 25 (backend.GoGCPercent): the backend's
// pooled tensors count as live, and at Go's default of 100 the decoded
// images' garbage may grow to their size (peak memory 940 MiB against 524
// at the same speed, ResNet18 at 128 px).
//
// # export-onnx
//
//	fastgo export-onnx MODEL OUT.onnx
//
// writes the model (either kind of file) as ONNX, opset 17, for ONNX
// Runtime and other engines (cnn.ExportONNX): input "image", uint8 RGB
// NHWC [batch, S, S, 3], the images decoded and resized as the model's
// Resize says (S is printed); outputs "logits" and "probs", float32
// [batch, classes]; the class names in the metadata ("vocab").
//
// # Safety defaults
//
// It listens on loopback unless -addr says otherwise. Request headers must
// arrive within 10 s, the whole request within 60 s, and an answer is
// written within 2 min; idle connections close after 2 min. Bodies over
// -max-body (20 MiB) are refused unread where Content-Length says so.
// Images over -max-pixels (50 megapixels, 150 MB decoded) are refused from
// their header, before any pixel is decoded; -max-pixels 0 turns this
// limit off (vision.MaxPixels = 0), and serve then prints a warning. A panic while serving a
// request fails that request (500, logged with its stack), never the
// server. SIGINT or SIGTERM stops accepting connections, finishes the
// requests in flight (up to 1 min), prints "fastgo: stopped" and exits 0.
//
// # healthcheck
//
//	fastgo healthcheck [-addr 127.0.0.1:8080] [-timeout 3s]
//
// exits 0 when the server at -addr (as given to serve's -addr; a wildcard
// host is asked on loopback) answers GET /healthz with 200 "ok", else 1,
// saying why on stderr: the HEALTHCHECK of the serving image
// (docker/serve.Dockerfile), whose empty base has no curl.
package main
