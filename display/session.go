package display

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// SayOncePerSession writes line to w — in a GoNB notebook, where every
// cell is a new process, only once per kernel session (and again if the
// line changes), remembered under key by a file in GoNB's per-session
// $GONB_TMP_DIR. Notes that matter once — which backend runs, that a
// model starts from random weights — use it so that they do not open every
// cell's output. Outside a notebook it always writes.
func SayOncePerSession(w io.Writer, key, line string) {
	if dir := os.Getenv("GONB_TMP_DIR"); dir != "" && InNotebook() {
		marker := filepath.Join(dir, "fastgo_"+key)
		if prev, err := os.ReadFile(marker); err == nil && string(prev) == line {
			return
		}
		_ = os.WriteFile(marker, []byte(line), 0o644)
	}
	fmt.Fprint(w, line)
}
