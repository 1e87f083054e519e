package ops

// InputError is an op's refusal of its input, raised — GoMLX's way — as
// a panic while a graph is built: a training batch of one item through
// BatchNorm, say. GoMLX wraps it in its compile context ("failed during
// graph construction/compilation: compilation failed for Exec …: graphFn
// for … panicked: "); callers that turn graph-build panics into errors
// find it with errors.As and show it alone, since it already says what
// was wrong and what to do.
type InputError struct {
	// Op names the op and its scope, e.g. "ops.BatchNorm(/body/bn)".
	Op string
	// Msg says what is wrong with the input and what to do.
	Msg string
}

func (e *InputError) Error() string { return e.Op + ": " + e.Msg }
