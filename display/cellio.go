package display

import (
	"io"
	"os"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/janpfeifer/gonb/gonbui"
)

// EnvStdin names the variable that keeps a notebook cell's standard input
// as the kernel gave it ("kernel"); by default a cell run by GoNB reads
// from an empty input (see init below).
const EnvStdin = "FASTGO_STDIN"

// A Go cell run by GoNB (v0.11.5) gets a pipe as standard input that the
// kernel never writes to and closes only when the cell ends: GoNB's
// %with_inputs applies to `!` shell commands, not to Go cells. So
// fmt.Scanln in a cell waits until the stop button. Every cell that
// imports fastgo reads from os.DevNull instead: a read ends at once with
// io.EOF. Input for a cell comes from a variable set in an earlier cell,
// %args with the flag package, or GoNB's widgets (README, "Reading input
// in a notebook"). bench/upstream/gonb-v0.11.5-stdin-eof.patch gives every
// cell that behaviour in GoNB itself.
func init() {
	if gonbui.IsNotebook && os.Getenv(EnvStdin) != "kernel" {
		closeCellStdin()
	}
}

// closeCellStdin points os.Stdin, and file descriptor 0 where the system
// allows (so that child processes and direct reads agree), at os.DevNull
// when standard input is a pipe.
func closeCellStdin() {
	st, err := os.Stdin.Stat()
	if err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		return
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		return
	}
	os.Stdin = redirectStdin(null)
}

// maxAtomicWrite is the largest write a pipe delivers whole (POSIX
// PIPE_BUF on Linux): a reader sees all of it or none of it.
const maxAtomicWrite = 4096

// runeSafeWriter writes text to a notebook cell's stdout so that GoNB
// never cuts a UTF-8 sequence in half. GoNB (v0.11.5) forwards the cell's
// stdout with io.Copy, 32 KiB at a time, and publishes each piece as a
// string, so a character that straddles a piece arrives as two U+FFFD.
// The writer hands over at most 4096 bytes at a time (a pipe delivers that
// whole), each ending at a character boundary, and, on a pipe, waits until
// the kernel has read the previous piece, so that no read can end inside
// one. bench/upstream/gonb-v0.11.5-stream-utf8.patch fixes the kernel.
type runeSafeWriter struct {
	mu sync.Mutex
	f  *os.File
}

// NotebookStdout is where fastgo's own text output goes (Summary, notes,
// download progress): os.Stdout, through a writer that never splits a
// UTF-8 sequence across GoNB's reads when the program runs in a notebook.
// Output from fmt.Println in a cell does not go through it: print a long
// text with [ShowText] there (it is sent whole, as display data).
func NotebookStdout() io.Writer {
	if !gonbui.IsNotebook {
		return os.Stdout
	}
	return &runeSafeWriter{f: os.Stdout}
}

func (w *runeSafeWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	written := 0
	for len(p) > 0 {
		n := runeBoundary(p, maxAtomicWrite)
		waitDrained(w.f)
		m, err := w.f.Write(p[:n])
		written += m
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

// runeBoundary is the length of the longest prefix of p of at most limit
// bytes that does not end inside a UTF-8 sequence (limit itself when p
// holds no valid sequence end there, e.g. binary data).
func runeBoundary(p []byte, limit int) int {
	if len(p) <= limit {
		return len(p)
	}
	for n := limit; n > limit-utf8.UTFMax && n > 0; n-- {
		if utf8.RuneStart(p[n]) {
			return n
		}
	}
	return limit
}

// waitDrained waits, up to a second, until the pipe f writes to is empty
// (the reader took everything); it returns at once for anything else.
func waitDrained(f *os.File) {
	deadline := time.Now().Add(time.Second)
	for delay := 20 * time.Microsecond; ; delay = min(2*delay, 5*time.Millisecond) {
		unread, ok := pipeUnread(f)
		if !ok || unread == 0 || time.Now().After(deadline) {
			return
		}
		time.Sleep(delay)
	}
}
