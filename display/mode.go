package display

import (
	"bytes"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/janpfeifer/gonb/gonbui"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// EnvDisplay names the environment variable that overrides where output goes:
// "notebook" forces the rich (GoNB) rendering, "terminal" forces text and
// files. None means automatic detection; another value too, with a
// warning on stderr once a process.
const EnvDisplay = "FASTGO_DISPLAY"

// EnvOutputDir names the environment variable holding the folder where
// terminal-mode images and plots are written (see [OutputDir]).
const EnvOutputDir = "FASTGO_OUTPUT_DIR"

// DefaultOutputDir is the folder, relative to the working directory, where
// terminal-mode images are written when $FASTGO_OUTPUT_DIR is not set.
const DefaultOutputDir = "fastgo_output"

// InNotebook reports whether output is rendered for a GoNB notebook.
// $FASTGO_DISPLAY=notebook|terminal decides if set; otherwise it is true when
// the program was started by the GoNB kernel (gonbui.IsNotebook). Forcing
// "notebook" outside GoNB shows nothing (there is no kernel to send to).
func InNotebook() bool {
	switch v := strings.ToLower(strings.TrimSpace(os.Getenv(EnvDisplay))); v {
	case "notebook":
		return true
	case "terminal":
		return false
	case "":
	default:
		warnUnknownSetting(EnvDisplay, v, "notebook", "terminal")
	}
	return gonbui.IsNotebook
}

// warnOutput is where a setting's warning goes (tests capture it).
var warnOutput io.Writer = os.Stderr

// warned holds the variables already warned about, once a process.
var warned sync.Map

// warnUnknownSetting says once, on warnOutput, that the environment
// variable name holds a value none of allowed: it is ignored, rather than
// a typo silently doing nothing.
func warnUnknownSetting(name, value string, allowed ...string) {
	if _, done := warned.LoadOrStore(name, true); done {
		return
	}
	fmt.Fprintf(warnOutput, "fastgo: %s=%q is not one of %s: ignored (the default for this output is used)\n", name, value, strings.Join(allowed, ", "))
}

// OutputDir returns the folder where terminal-mode images and plots are
// written: $FASTGO_OUTPUT_DIR, or "fastgo_output" in the working directory.
// The folder is created by the functions that write into it, not by OutputDir.
func OutputDir() string {
	if d := os.Getenv(EnvOutputDir); d != "" {
		return d
	}
	return DefaultOutputDir
}

// frontend is what the notebook rendering needs from GoNB. The real one
// forwards to gonbui; tests replace it with a recorder.
type frontend interface {
	// send publishes a MIME bundle; a non-empty displayID creates the output
	// block with that id the first time and replaces its content afterwards.
	send(data map[protocol.MIMEType]any, metadata map[string]any, displayID string)
	// uniqueID returns a new id for send's displayID.
	uniqueID() string
}

type gonbFrontend struct{}

func (gonbFrontend) send(data map[protocol.MIMEType]any, metadata map[string]any, displayID string) {
	gonbui.SendData(&protocol.DisplayData{Data: data, Metadata: metadata, DisplayID: displayID})
	// Wait until GoNB has taken the data: without this, output still in the
	// pipe when the cell's program exits is lost (seen with plot PNGs).
	gonbui.Sync()
}

func (gonbFrontend) uniqueID() string { return gonbui.UniqueId() }

// front is the notebook frontend in use (replaced in tests).
var front frontend = gonbFrontend{}

// displayHTML shows html as a new output of the current cell, with text as
// the plain-text alternative (used by nbconvert --to text and friends).
func displayHTML(html, text string) {
	data := map[protocol.MIMEType]any{protocol.MIMETextHTML: html}
	if text != "" {
		data[protocol.MIMETextPlain] = text
	}
	front.send(data, nil, "")
}

// updateHTML replaces the content of the output block id (creating it the
// first time), with text as the plain-text alternative.
func updateHTML(id, html, text string) {
	data := map[protocol.MIMEType]any{protocol.MIMETextHTML: html}
	if text != "" {
		data[protocol.MIMETextPlain] = text
	}
	front.send(data, nil, id)
}

// displayPNG shows an encoded PNG inline, with alt as plain-text alternative.
func displayPNG(png []byte, alt string) {
	front.send(pngBundle(png, alt), pngMetadata(png), "")
}

// pngBundle is the MIME bundle of an encoded PNG with alt as its
// plain-text alternative.
func pngBundle(png []byte, alt string) map[protocol.MIMEType]any {
	data := map[protocol.MIMEType]any{protocol.MIMEImagePNG: png}
	if alt != "" {
		data[protocol.MIMETextPlain] = alt
	}
	return data
}

// terminal serialises text output and keeps track of a progress bar's
// unfinished `\r` line, so that other output first clears it. When the
// output is not a terminal (`nohup … > log`, CI) a bar is not redrawn: in
// the "log" mode (the default there) each finished bar is written as one
// line — what it counted, how many, the time taken — and a long one adds
// its current line every logEvery while it runs, so that a log of an
// hour-long fit shows how far it got; in the "final" mode only the kept
// bars' final lines are written (fastprogress' behaviour outside a
// console).
type terminal struct {
	mu      sync.Mutex
	w       io.Writer // nil: os.Stdout at the time of writing
	openLen int       // runes of the `\r` line currently shown; 0 if none
	pending string    // the latest bar line, not shown (non-interactive output)
	// open says a bar is running (non-interactive output); logged is when
	// its line was last written, or when it started.
	open   bool
	logged time.Time
	shown  string // the bar's line last written (not to write it twice)
}

// EnvProgress names the variable that overrides how progress bars are
// drawn in terminal mode: "redraw" (a `\r` line updated in place, the
// default on a terminal), "log" (the default when the output is a file or
// a pipe: one line per finished bar, those that erase themselves on a
// terminal too, and a line every 30 s while a bar runs longer) or "final"
// (only the finished bars that stay: fastai's per-epoch bars leave
// nothing, the epoch table alone remains). Another value is ignored, with
// a warning on stderr once a process.
const EnvProgress = "FASTGO_PROGRESS"

// logEvery is how often a running bar writes its line in the "log" mode.
const logEvery = 30 * time.Second

// progressMode is how bars are drawn in terminal mode.
type progressMode int

const (
	redraw    progressMode = iota // a `\r` line updated in place
	logLines                      // finished bars, and running ones every logEvery
	finalOnly                     // kept bars' final lines only
)

// mode says how bars are drawn: redrawn in place on a terminal (a
// character device) or an output set by SetOutput, else as log lines,
// unless EnvProgress says otherwise.
func (t *terminal) mode() progressMode {
	switch v := strings.ToLower(strings.TrimSpace(os.Getenv(EnvProgress))); v {
	case "redraw":
		return redraw
	case "log":
		return logLines
	case "final":
		return finalOnly
	case "":
	default:
		warnUnknownSetting(EnvProgress, v, "redraw", "log", "final")
	}
	if t.w != nil {
		return redraw
	}
	if st, err := os.Stdout.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
		return redraw
	}
	return logLines
}

var term = &terminal{}

// SetOutput sets where terminal-mode text goes; nil (the default) means
// os.Stdout, looked up at each write. Tests use it to capture output.
func SetOutput(w io.Writer) {
	term.mu.Lock()
	defer term.mu.Unlock()
	term.w = w
	term.openLen = 0
}

func (t *terminal) out() io.Writer {
	if t.w == nil {
		return os.Stdout
	}
	return t.w
}

// clearLocked blanks an unfinished `\r` line.
func (t *terminal) clearLocked() {
	if t.openLen > 0 {
		fmt.Fprintf(t.out(), "\r%s\r", strings.Repeat(" ", t.openLen))
		t.openLen = 0
	}
}

// println writes s and a newline, clearing an unfinished bar line first.
func (t *terminal) println(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clearLocked()
	fmt.Fprintln(t.out(), s)
}

// bar redraws the `\r` line with s.
func (t *terminal) bar(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if m := t.mode(); m != redraw {
		t.pending = s
		if !t.open { // a new bar: its clock starts
			t.open, t.logged = true, now()
		} else if m == logLines && now().Sub(t.logged) >= logEvery {
			fmt.Fprintln(t.out(), s)
			t.logged, t.shown = now(), s
		}
		return
	}
	n := runeLen(s)
	pad := ""
	if t.openLen > n {
		pad = strings.Repeat(" ", t.openLen-n)
	}
	fmt.Fprintf(t.out(), "\r%s%s", s, pad)
	t.openLen = max(n, t.openLen)
}

// endBar finishes the `\r` line: keeps it (newline) or blanks it.
func (t *terminal) endBar(keep bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if m := t.mode(); m != redraw {
		if (keep || m == logLines) && t.pending != "" && t.pending != t.shown {
			fmt.Fprintln(t.out(), t.pending)
		}
		t.pending, t.open, t.shown = "", false, ""
		return
	}
	if t.openLen == 0 {
		return
	}
	if keep {
		fmt.Fprintln(t.out())
		t.openLen = 0
		return
	}
	t.clearLocked()
}

// writeFile stores data as OutputDir()/name.ext (creating the folder) and
// returns the path.
func writeFile(name, ext string, data []byte) (string, error) {
	dir := OutputDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("display: create output folder %s (set $%s to a writable folder): %w", dir, EnvOutputDir, err)
	}
	path := filepath.Join(dir, fileName(name)+ext)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", fmt.Errorf("display: write %s (set $%s to a writable folder): %w", path, EnvOutputDir, err)
	}
	return path, nil
}

// fileName makes name safe as a single file name ("image" if empty).
func fileName(name string) string {
	name = strings.TrimSuffix(strings.TrimSpace(name), ".png")
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '/' || r == '\\' || r == 0 || r == ':':
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
	}
	s := b.String()
	if s == "" || s == "." || s == ".." {
		return "image"
	}
	return s
}

// Figures are shown at most this many CSS pixels wide and high in a
// notebook (the classic notebook's column is about 1000 px; a taller
// output collapses into a small scroll box until clicked). The PNG keeps
// its full resolution: zooming the page or opening the image shows it.
var maxFigure = struct{ w, h int }{900, 900}

// SetFigureSize sets the largest size, in CSS pixels, at which a figure
// is shown in a notebook (default 900×900; the aspect ratio is kept);
// 0, 0 shows figures at their natural size. Terminal mode writes the full
// PNG either way.
func SetFigureSize(maxWidth, maxHeight int) {
	maxFigure.w, maxFigure.h = max(maxWidth, 0), max(maxHeight, 0)
}

// pngMetadata is the display metadata that shows a PNG within maxFigure
// (Jupyter's per-MIME image width and height), or nil when it fits.
func pngMetadata(data []byte) map[string]any {
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil || maxFigure.w <= 0 || maxFigure.h <= 0 || (cfg.Width <= maxFigure.w && cfg.Height <= maxFigure.h) {
		return nil
	}
	scale := min(float64(maxFigure.w)/float64(cfg.Width), float64(maxFigure.h)/float64(cfg.Height))
	// Top-level keys, which the classic notebook falls back to: GoNB sends
	// metadata through gob, which cannot encode a nested map[string]any
	// (the whole display is then lost).
	return map[string]any{"width": int(float64(cfg.Width) * scale), "height": int(float64(cfg.Height) * scale)}
}
