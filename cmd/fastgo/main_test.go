package main

import (
	"runtime/debug"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo/backend"
)

// TestSetGCTarget: the command runs with backend.GoGCPercent unless the
// environment sets GOGC.
func TestSetGCTarget(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	setGCTarget(func(string) (string, bool) { return "", false })
	if got := debug.SetGCPercent(100); got != backend.GoGCPercent {
		t.Errorf("without GOGC the target is %d, want %d", got, backend.GoGCPercent)
	}
	setGCTarget(func(k string) (string, bool) { return "80", k == "GOGC" })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set the command changed the target to %d", got)
	}
}
