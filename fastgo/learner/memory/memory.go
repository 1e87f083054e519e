package memory

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/fastgo-ml/fastgo/display"
	"github.com/fastgo-ml/fastgo/fastgo/backend"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/gomlx/gomlx/core/graph"
)

// The peak memory of a training step, estimated from its graph before the
// first step runs:
//
//	256 MiB + 16 B per parameter + 0.5 × the forward pass's node outputs
//
// 16 B is the weight, its gradient and Adam's two moments (float32); the
// forward nodes are what the step keeps for the backward pass, and the
// pure-Go backend frees many of them early. Against its peak resident
// memory (ResNet18/34/50, 64 and 128 px, batches 8–32, the data loaders'
// images included) this is 10 % under to 45 % over: it errs on the safe
// side. XLA fuses most of those nodes away: with a share of 0.25 the
// estimate was 1.5× and 1.1× the most nvidia-smi showed for ResNet34 and
// ResNet50 at batch 64, 224 px, on the H200 (6.6 and 12.6 GiB). On a GPU
// the check only warns: XLA reports its own out-of-memory as an error
// rather than being killed, and a refusal there would be a guess.
const (
	memRuntimeBytes    = 256 << 20
	memBytesPerParam   = 16
	memForwardShare    = 0.5
	memForwardShareXLA = 0.25
	memWarnShare       = 0.85
	envMemoryCheck     = "FASTGO_MEMORY_CHECK"
	killedFitFileName  = "fastgo_fit_running"
)

// Estimate is a training step's estimated peak memory.
type Estimate struct {
	BatchSize int
	// Fixed is what does not grow with the batch: the runtime, the
	// weights, their gradients and the optimizer's state, in bytes.
	Fixed int64
	// PerImage is what each image of a batch adds (the activations kept
	// for the backward pass), in bytes.
	PerImage int64
}

// Total is the estimated peak in bytes.
func (e Estimate) Total() int64 { return e.Fixed + int64(e.BatchSize)*e.PerImage }

// Fits is the largest batch size whose estimate stays within bytes (0 when
// not even one image fits).
func (e Estimate) Fits(bytes int64) int {
	if e.PerImage <= 0 || bytes <= e.Fixed {
		return 0
	}
	return int((bytes - e.Fixed) / e.PerImage)
}

// Error is returned by a fit whose estimated peak memory exceeds what the
// machine offers, before any step runs.
type Error struct {
	Estimate Estimate
	Have     backend.Memory
}

func (e *Error) Error() string {
	est := e.Estimate
	s := fmt.Sprintf("fit: training at batch size %d needs about %s (weights, gradients and optimizer state %s, activations %s per image), more than this machine has (%s)",
		est.BatchSize, display.FormatBytes(est.Total()), display.FormatBytes(est.Fixed), display.FormatBytes(est.PerImage), e.Have.Where)
	if n := est.Fits(e.Have.Bytes); n > 0 {
		s += fmt.Sprintf("; batch size %d fits: pass fastgo.WithBatchSize(%d) to DataLoaders, or lower the image size", n, n)
	} else {
		s += "; not even one image fits: lower the image size or use a smaller architecture"
	}
	return s + ". Nothing was trained. " + envMemoryCheck + "=off skips this check."
}

// availableMemory is backend.AvailableMemory; tests replace it.
var availableMemory = backend.AvailableMemory

// estimate is the peak memory of the training step being built on a
// backend (its name).
func estimate(step learner.TrainStep, backend string) Estimate {
	return Estimate{
		BatchSize: step.BatchSize,
		Fixed:     memRuntimeBytes + memBytesPerParam*step.Parameters,
		PerImage:  int64(forwardShare(backend) * float64(nodeBytes(step.Forward)) / float64(max(step.BatchSize, 1))),
	}
}

// forwardShare is the part of the forward nodes' memory a backend keeps.
func forwardShare(backend string) float64 {
	if backend == "xla" {
		return memForwardShareXLA
	}
	return memForwardShare
}

// Check is the callback that refuses, before any step runs, a fit whose
// training step cannot fit in memory, and warns once near the limit; both
// name the batch size that fits. In a notebook it also leaves a note in
// GoNB's session folder while the fit runs, so that the next cell can say
// why a cell's process was killed (see the package doc). cnn.Learner
// attaches it; attach it to any learner with learner.Callbacks(memory.Check()).
func Check() learner.Callback { return &checker{} }

// checker is Check's callback: the running fit's note and latest estimate.
type checker struct {
	mu   sync.Mutex
	note string // the running fit's note ("" outside a notebook or after the fit)
	est  Estimate
}

// BeforeFit writes the fit's note (in a notebook).
func (c *checker) BeforeFit(*learner.FitState) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.note, c.est = fitRunningPath(), Estimate{}
	c.writeNote()
	return nil
}

// CheckStep estimates the step, notes it, and refuses or warns.
func (c *checker) CheckStep(l *learner.Learner, step learner.TrainStep) error {
	est := estimate(step, l.Backend().Name())
	c.mu.Lock()
	c.est = est
	c.writeNote()
	c.mu.Unlock()
	if strings.EqualFold(os.Getenv(envMemoryCheck), "off") {
		return nil
	}
	have, ok := availableMemory()
	if !ok {
		return nil
	}
	switch total := est.Total(); {
	case total > have.Bytes && !have.GPU:
		return &Error{Estimate: est, Have: have}
	case total > have.Bytes: // on a GPU
		l.Printf("%s", fmt.Sprintf("fit: training at batch size %d may need about %s, more than %s: if XLA runs out of memory, batch size %d should fit.",
			est.BatchSize, display.FormatBytes(total), have.Where, est.Fits(have.Bytes)))
	case float64(total) > memWarnShare*float64(have.Bytes):
		l.Printf("%s", fmt.Sprintf("fit: training at batch size %d needs about %s of %s: close to the limit; batch size %d leaves a margin.",
			est.BatchSize, display.FormatBytes(total), have.Where, est.Fits(int64(memWarnShare*float64(have.Bytes)))))
	}
	return nil
}

// OnInterrupt adds "interrupted" to the note at once, so that a kill
// during the batch that follows reads as a stop.
func (c *checker) OnInterrupt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	markInterrupted(c.note)
}

// CleanUp removes the note: the fit ended (before the loop's interrupt
// handling may end the process).
func (c *checker) CleanUp() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.note != "" {
		_ = os.Remove(c.note)
		c.note = ""
	}
}

// nodeBytes is the memory of the outputs of nodes, parameters (inputs and
// variables) and nodes with no single output left out.
func nodeBytes(nodes []*graph.Node) int64 {
	var n int64
	for _, node := range nodes {
		sh := node.Shape()
		if node.Type() == graph.NodeTypeParameter || !sh.Ok() || sh.DType == 0 {
			continue
		}
		n += max(sh.ByteSize(), 0) // a dynamic shape says -1
	}
	return n
}

// A fit in a notebook leaves a note in GoNB's session folder while it
// runs. A cell process killed by the kernel's out-of-memory killer (GoNB
// then shows only "signal: killed") or by Go's "runtime: out of memory"
// cannot say anything itself; the next cell that imports the learner finds
// the note and says what most likely happened.

// fitRunningPath is the note's path, "" outside a notebook.
func fitRunningPath() string {
	if dir := os.Getenv("GONB_TMP_DIR"); dir != "" {
		return filepath.Join(dir, killedFitFileName)
	}
	return ""
}

// writeNote (re)writes the note with the latest estimate.
func (c *checker) writeNote() {
	if c.note == "" {
		return
	}
	body := fmt.Sprintf("%d\n%d\n%d\n", os.Getpid(), c.est.BatchSize, c.est.Total())
	if old, err := os.ReadFile(c.note); err == nil && strings.Contains(string(old), "interrupted") {
		body += "interrupted\n" // a stop that came during compilation
	}
	_ = os.WriteFile(c.note, []byte(body), 0o644)
}

// markInterrupted adds "interrupted" to a running fit's note, so that a
// kill during the batch that follows reads as a stop.
func markInterrupted(path string) {
	if path == "" {
		return
	}
	if _, err := os.Stat(path); err != nil {
		return // the fit has ended
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return
	}
	_, _ = f.WriteString("interrupted\n")
	_ = f.Close()
}

func init() {
	if display.InNotebook() {
		reportKilledFit(display.NotebookStdout(), fitRunningPath())
	}
}

// reportKilledFit says, once, that the previous cell's fit ended without
// finishing, and removes the note.
func reportKilledFit(w io.Writer, path string) {
	if path == "" {
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	fields := strings.Fields(string(b))
	if len(fields) < 3 {
		_ = os.Remove(path)
		return
	}
	pid, _ := strconv.Atoi(fields[0])
	if pid == os.Getpid() || processAlive(pid) {
		return // a fit running now, in this process or another
	}
	_ = os.Remove(path)
	bs, _ := strconv.Atoi(fields[1])
	total, _ := strconv.ParseInt(fields[2], 10, 64)
	if len(fields) > 3 && fields[3] == "interrupted" {
		fmt.Fprintf(w, "fastgo: an earlier cell's fit was stopped in the middle of a batch that did not end within GoNB's 5 s grace, and GoNB killed it: "+
			"nothing after its last save was kept (persist.Resume restores that save, if any). With batches this long, stop between fits, or use smaller batches or images.\n")
		return
	}
	what := "a fit"
	if bs > 0 {
		what = fmt.Sprintf("a fit at batch size %d (estimated %s)", bs, display.FormatBytes(total))
	}
	fmt.Fprintf(w, "fastgo: an earlier cell's process ended in the middle of %s without finishing or being interrupted: it was killed "+
		"(\"signal: killed\") or crashed, most likely for lack of memory. Lower the batch size (fastgo.WithBatchSize), the image size, "+
		"or the architecture, and run it again.\n", what)
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}
