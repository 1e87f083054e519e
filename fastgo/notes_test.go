package fastgo

import "io"

// SetNotes sends GetFiles' notes to w for a test; it returns the undo.
func SetNotes(w io.Writer) (restore func()) {
	old := notes
	notes = func() io.Writer { return w }
	return func() { notes = old }
}
