//go:build unix

package learner

import (
	"os"
	"syscall"
)

// interruptSignals are the signals a save holds back (deferInterrupts).
var interruptSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}
