//go:build !unix

package learner

import "os"

// interruptSignals are the signals that stop a fit at the next batch
// (interruptWatch) and that a save holds back (deferInterrupts).
var interruptSignals = []os.Signal{os.Interrupt}

// signalName is sig's name ("SIGINT" for os.Interrupt).
func signalName(sig os.Signal) string {
	if sig == os.Interrupt {
		return "SIGINT"
	}
	return sig.String()
}
