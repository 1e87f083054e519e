//go:build unix

package learner

import (
	"os"
	"syscall"
)

// interruptSignals are the signals that stop a fit at the next batch
// (interruptWatch) and that a save holds back (deferInterrupts).
var interruptSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// signalName is sig's name as a shell prints it ("SIGINT").
func signalName(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}
