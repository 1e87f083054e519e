package display

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// A cell run by GoNB gets a stdin pipe the kernel never writes to:
// fmt.Scanln waited until the stop button (#21.8). Under GoNB (GONB_PIPE
// set) the package's init gives it an empty input instead.
func TestCellStdinIsEmptyUnderGoNB(t *testing.T) {
	if os.Getenv("FASTGO_TEST_SCAN") == "1" {
		var s string
		n, err := fmt.Scanln(&s)
		fmt.Printf("read %d %v\n", n, err)
		return
	}
	for _, tc := range []struct {
		name, stdinVar string
		wantEOF        bool
	}{{"default", "", true}, {"kept", "kernel", false}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCellStdinIsEmptyUnderGoNB$")
		cmd.Env = append(os.Environ(), "FASTGO_TEST_SCAN=1", "GONB_PIPE=/nonexistent/gonb-pipe", EnvStdin+"="+tc.stdinVar)
		stdin, err := cmd.StdinPipe() // never written to, as GoNB does
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		cmd.Stdout = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if !tc.wantEOF {
				t.Errorf("%s: the cell ended (%v, %q) although %s=kernel keeps the kernel's stdin", tc.name, err, out.String(), EnvStdin)
			} else if !strings.Contains(out.String(), "read 0 EOF") {
				t.Errorf("%s: Scanln gave %q, want an immediate EOF", tc.name, out.String())
			}
		case <-time.After(map[bool]time.Duration{true: 10 * time.Second, false: 2 * time.Second}[tc.wantEOF]):
			_ = cmd.Process.Kill()
			<-done
			if tc.wantEOF {
				t.Errorf("%s: fmt.Scanln in a cell still waits for input that never comes", tc.name)
			}
		}
		_ = stdin.Close()
	}
}

// GoNB forwards a cell's stdout 32 KiB at a time and publishes each piece
// as a string: a 400 KB print of accented text showed 72 U+FFFD (#21.7).
// The reader below does what GoNB does; written directly, some piece ends
// inside a character; through runeSafeWriter none does.
func TestRuneSafeWriterNeverSplitsACharacter(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("pacing by FIONREAD is Linux-only")
	}
	text := "a" + strings.Repeat("é", 200_000) // 400,001 bytes; 32 KiB falls inside an "é"
	split := func(write func(w *os.File)) (broken, total int) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			buf := make([]byte, 32*1024) // io.Copy's buffer in GoNB's forwarding
			for {
				time.Sleep(200 * time.Microsecond) // publishing each piece takes time
				n, err := r.Read(buf)
				total += n
				if n > 0 && !utf8.Valid(buf[:n]) {
					broken++
				}
				if err == io.EOF {
					return
				}
			}
		}()
		write(w)
		_ = w.Close()
		<-done
		_ = r.Close()
		return broken, total
	}
	broken, total := split(func(w *os.File) { _, _ = w.WriteString(text) })
	if broken == 0 || total != len(text) {
		t.Fatalf("direct write: %d broken pieces of %d bytes; the reader does not reproduce GoNB's cut", broken, total)
	}
	broken, total = split(func(w *os.File) {
		if _, err := io.WriteString(&runeSafeWriter{f: w}, text); err != nil {
			t.Error(err)
		}
	})
	if broken != 0 || total != len(text) {
		t.Errorf("runeSafeWriter: %d pieces end inside a character, %d of %d bytes arrived", broken, total, len(text))
	}
}

func TestRuneBoundary(t *testing.T) {
	for _, tc := range []struct {
		p     string
		limit int
		want  int
	}{
		{"abc", 8, 3},
		{"abcdé", 5, 4},                // "é" is bytes 4-5: stop before it
		{"abcdé", 6, 6},                // whole
		{"ab€cd", 4, 2},                // "€" is 3 bytes at 2-4
		{"\x80\x80\x80\x80\x80", 3, 3}, // no character start: cut at the limit
	} {
		if got := runeBoundary([]byte(tc.p), tc.limit); got != tc.want {
			t.Errorf("runeBoundary(%q, %d) = %d, want %d", tc.p, tc.limit, got, tc.want)
		}
	}
}
