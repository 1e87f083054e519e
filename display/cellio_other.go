//go:build !linux

package display

import "os"

// redirectStdin returns null: os.Stdin is replaced, file descriptor 0 is
// left as it is.
func redirectStdin(null *os.File) *os.File { return null }

// pipeUnread does not know on this system: writes are only cut at
// character boundaries, not paced.
func pipeUnread(*os.File) (int, bool) { return 0, false }
