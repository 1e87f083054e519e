//go:build !unix

package learner

import "os"

// interruptSignals are the signals a save holds back (deferInterrupts).
var interruptSignals = []os.Signal{os.Interrupt}
