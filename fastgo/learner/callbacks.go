package learner

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/fastgo-ml/fastgo/display"
	"github.com/fastgo-ml/fastgo/fastgo/tensor"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// The callbacks users reach for, as fastai's fastai.callback.tracker,
// .progress, .training and .fp16 modules give them. Each is a struct whose
// exported fields are fastai's arguments (zero values mean fastai's
// defaults); pass a pointer:
//
//	learn.FineTune(10, learner.WithCallbacks(
//		&learner.SaveModelCallback{},
//		&learner.EarlyStoppingCallback{Patience: 3}))

// Comp says whether a monitored value is better than the best so far
// (fastai's comp argument, np.less or np.greater).
type Comp func(value, best float64) bool

// Less is the Comp for values where lower is better (losses, error rates).
func Less(value, best float64) bool { return value < best }

// Greater is the Comp for values where higher is better (accuracy).
func Greater(value, best float64) bool { return value > best }

// tracker is fastai's TrackerCallback: it follows one monitored value
// across the epochs of a fit and says when it reaches a new best.
type tracker struct {
	monitor  string
	comp     Comp
	less     bool // comp prefers lower values
	minDelta float64
	best     float64
	newBest  bool
	wait     int  // epochs since the last new best
	run      bool // false in LRFind's fits
	started  bool // best holds a value from an earlier fit
}

// monitorName is monitor, or fastai's default valid_loss.
func monitorName(monitor string) string {
	if monitor == "" {
		return "valid_loss"
	}
	return monitor
}

// checkMonitor fails when l records no value named monitor, or when the
// value needs a validation set l does not have.
func checkMonitor(monitor string, l *Learner) error {
	monitor = monitorName(monitor)
	names := []string{"train_loss", "valid_loss"}
	for _, m := range l.Metrics {
		names = append(names, m.Name)
	}
	if !slices.Contains(names, monitor) {
		return fmt.Errorf("Monitor %q is not a value this learner records: use one of %s", monitor, strings.Join(names, ", "))
	}
	if monitor != "train_loss" && (l.Data.Valid == nil || l.Data.Valid.Len() == 0) {
		return fmt.Errorf("Monitor %q is computed on the validation set and this learner has none: give it validation data, or monitor train_loss", monitor)
	}
	return nil
}

// reset starts tracking for a new fit (fastai's reset_on_fit; with keep,
// fastai's reset_on_fit=False, the best value of earlier fits stays):
// monitor defaults to valid_loss, comp to Less for names holding "loss"
// or "error" and Greater otherwise.
func (t *tracker) reset(monitor string, comp Comp, minDelta float64, keep bool, f *FitState) {
	t.run = !f.LRFind
	if !t.run || (keep && t.started) {
		return
	}
	monitor = monitorName(monitor)
	if comp == nil {
		comp = Greater
		if strings.Contains(monitor, "loss") || strings.Contains(monitor, "error") {
			comp = Less
		}
	}
	t.monitor, t.comp, t.less, t.minDelta, t.wait = monitor, comp, comp(0, 1), math.Abs(minDelta), 0
	t.best = math.Inf(1)
	if !t.less {
		t.best = math.Inf(-1)
	}
	t.started = true
}

// update compares the epoch's value with the best so far: it is a new
// best when better by more than minDelta (fastai's
// comp(value - min_delta, best), min_delta negated for np.less). An epoch
// without the value (no validation) or with NaN is never a new best.
func (t *tracker) update(f *FitState) {
	t.newBest = false
	v, ok := f.Monitor(t.monitor)
	if !ok || math.IsNaN(v) {
		return
	}
	shifted := v - t.minDelta
	if t.less {
		shifted = v + t.minDelta
	}
	if t.comp(shifted, t.best) {
		t.best, t.newBest = v, true
	}
}

// plateaued updates the best value with the epoch's and says whether
// patience epochs have now passed without a new best (EarlyStopping and
// ReduceLROnPlateau; patience 0 acts as 1).
func (t *tracker) plateaued(f *FitState, patience int) bool {
	t.update(f)
	if t.newBest {
		t.wait = 0
		return false
	}
	t.wait++
	return t.wait >= patience
}

// SaveModelCallback is fastai's SaveModelCallback: after every epoch
// whose Monitor value is a new best it saves the learner to
// Dir/Fname.learner (atomically, as Save) and prints "Better model found
// at epoch N with valid_loss value: X."; at the end of the fit it loads
// that best model back (weights, and the optimizer state with WithOpt),
// so the learner ends with its best epoch, not its last. The recorder
// and the table keep every epoch.
//
// With EveryEpoch n > 0 it instead saves Dir/Fname_E.learner every n
// epochs (E the epoch) and loads nothing; with AtEnd it also saves
// Dir/Fname.learner after the fit and loads nothing (fastai's every_epoch
// and at_end). Errors: the monitor is not a recorded value (or needs a
// validation set the learner lacks), the file cannot be written.
type SaveModelCallback struct {
	// Monitor names the value followed: "valid_loss" (default),
	// "train_loss" or a metric's name.
	Monitor string
	// Comp says which values are better (default: Less for names holding
	// "loss" or "error", Greater otherwise).
	Comp Comp
	// MinDelta is the least change that counts as better (0).
	MinDelta float64
	// Fname is the file's base name ("model"); Dir its folder ("models",
	// relative to the working directory — fastai's learn.path/model_dir).
	Fname, Dir string
	// EveryEpoch saves every that many epochs instead of the best.
	EveryEpoch int
	// WithOpt saves the optimizer state too (fastai's with_opt).
	WithOpt bool
	// AtEnd saves after the fit and loads nothing back.
	AtEnd bool
	// KeepAcrossFits keeps the best value from one fit to the next
	// (fastai's reset_on_fit=False), e.g. across FineTune's two stages.
	KeepAcrossFits bool

	tracker
	saved bool // a best model is on disk
}

func (s *SaveModelCallback) path(name string) string {
	dir, fname := s.Dir, s.Fname
	if dir == "" {
		dir = "models"
	}
	if fname == "" {
		fname = "model"
	}
	return filepath.Join(dir, fname+name+".learner")
}

func (s *SaveModelCallback) save(l *Learner, name string) error {
	return l.writeCheckpoint(s.path(name), s.WithOpt, "SaveModelCallback")
}

func (s *SaveModelCallback) validate(l *Learner) error {
	if s.EveryEpoch < 0 {
		return fmt.Errorf("EveryEpoch %d: give a number of epochs, or 0 to save the best", s.EveryEpoch)
	}
	return checkMonitor(s.Monitor, l)
}

// BeforeFit resets the best value.
func (s *SaveModelCallback) BeforeFit(f *FitState) error {
	if !s.KeepAcrossFits {
		s.saved = false
	}
	s.reset(s.Monitor, s.Comp, s.MinDelta, s.KeepAcrossFits, f)
	return nil
}

// AfterEpoch saves a new best (or every EveryEpoch epochs).
func (s *SaveModelCallback) AfterEpoch(f *FitState) error {
	if !s.run {
		return nil
	}
	if s.EveryEpoch > 0 {
		if f.Epoch%s.EveryEpoch == 0 {
			return s.save(f.Learner, fmt.Sprintf("_%d", f.Epoch))
		}
		return nil
	}
	s.update(f)
	if !s.newBest {
		return nil
	}
	f.Learner.Printf("Better model found at epoch %d with %s value: %s.", f.Epoch, s.monitor, tensor.FormatRepr(s.best))
	if err := s.save(f.Learner, ""); err != nil {
		return err
	}
	s.saved = true
	return nil
}

// AfterFit loads the best model back (or saves, with AtEnd).
func (s *SaveModelCallback) AfterFit(f *FitState) error {
	switch {
	case !s.run:
		return nil
	case s.AtEnd:
		return s.save(f.Learner, "")
	case s.saved && s.EveryEpoch == 0:
		if _, err := f.Learner.readCheckpoint(s.path(""), loadWeights); err != nil {
			return fmt.Errorf("loading the best model back: %w", err)
		}
	}
	return nil
}

// EarlyStoppingCallback is fastai's EarlyStoppingCallback: it ends the fit
// when Monitor has not improved (by more than MinDelta) for Patience
// epochs, printing "No improvement since epoch N: early stopping". The
// fit returns no error; the epochs done stay in the recorder. Errors: the
// monitor is not a recorded value (or needs a validation set the learner
// lacks).
type EarlyStoppingCallback struct {
	// Monitor, Comp and MinDelta are as SaveModelCallback's.
	Monitor  string
	Comp     Comp
	MinDelta float64
	// Patience is the number of epochs without improvement tolerated (1;
	// 0 acts as 1).
	Patience int
	// KeepAcrossFits is as SaveModelCallback's.
	KeepAcrossFits bool

	tracker
}

func (e *EarlyStoppingCallback) validate(l *Learner) error {
	if e.Patience < 0 {
		return fmt.Errorf("the Patience, %d here, is a number of epochs: give 1 or more (fastai's default is 1)", e.Patience)
	}
	return checkMonitor(e.Monitor, l)
}

// BeforeFit resets the best value and the wait.
func (e *EarlyStoppingCallback) BeforeFit(f *FitState) error {
	e.reset(e.Monitor, e.Comp, e.MinDelta, e.KeepAcrossFits, f)
	return nil
}

// AfterEpoch stops the fit once Patience epochs passed without a new best.
func (e *EarlyStoppingCallback) AfterEpoch(f *FitState) error {
	if e.run && e.plateaued(f, e.Patience) {
		f.Learner.Printf("No improvement since epoch %d: early stopping", f.Epoch-e.wait)
		return ErrCancelFit
	}
	return nil
}

// ReduceLROnPlateau is fastai's ReduceLROnPlateau: when Monitor has not
// improved for Patience epochs it divides the learning rates by Factor
// (10), not below MinLR, and prints "Epoch N: reducing lr to X".
//
// Deliberate difference: fastai divides the optimizer's current rates,
// which a scheduled fit (FitOneCycle) overwrites at the next batch, so
// there the reduction is lost; here the reduction multiplies whatever the
// fit schedules, for the rest of the fit (with Fit's constant rate the two
// agree). Errors: Factor not above 1, MinLR negative, the monitor is not
// a recorded value (or needs a validation set the learner lacks).
type ReduceLROnPlateau struct {
	// Monitor, Comp and MinDelta are as SaveModelCallback's.
	Monitor  string
	Comp     Comp
	MinDelta float64
	// Patience is as EarlyStoppingCallback's (1).
	Patience int
	// Factor divides the rates at each reduction (10).
	Factor float64
	// MinLR is the floor of a reduced rate (0).
	MinLR float64
	// KeepAcrossFits is as SaveModelCallback's (the reductions are
	// per fit either way).
	KeepAcrossFits bool

	tracker
	scale float64 // product of the reductions so far
}

func (r *ReduceLROnPlateau) validate(l *Learner) error {
	if r.Factor != 0 && (!(r.Factor > 1) || math.IsInf(r.Factor, 1)) {
		return fmt.Errorf("the rates are divided by Factor, %g here: give a finite number above 1 (fastai's default is 10)", r.Factor)
	}
	if !(r.MinLR >= 0) || math.IsInf(r.MinLR, 1) {
		return fmt.Errorf("MinLR %g: give a learning rate ≥ 0", r.MinLR)
	}
	if r.Patience < 0 {
		return fmt.Errorf("the Patience, %d here, is a number of epochs: give 1 or more (fastai's default is 1)", r.Patience)
	}
	return checkMonitor(r.Monitor, l)
}

// BeforeFit resets the best value, the wait and the reduction.
func (r *ReduceLROnPlateau) BeforeFit(f *FitState) error {
	r.scale = 1
	r.reset(r.Monitor, r.Comp, r.MinDelta, r.KeepAcrossFits, f)
	return nil
}

// ToleratesLag implements LagTolerant: BeforeBatch scales the rates by
// what the epochs decided, never by a batch's loss.
func (r *ReduceLROnPlateau) ToleratesLag() {}

// BeforeBatch applies the reductions to the training batch's rates.
func (r *ReduceLROnPlateau) BeforeBatch(f *FitState) error {
	if !r.run || !f.Training || r.scale == 1 {
		return nil
	}
	lrs := make([]float64, len(f.LRs))
	for i, lr := range f.LRs {
		lrs[i] = r.reduced(lr)
	}
	f.LRs = lrs
	return nil
}

// reduced is lr after the reductions: lr·scale, but not below MinLR
// (nor above lr, when the schedule already went under MinLR).
func (r *ReduceLROnPlateau) reduced(lr float64) float64 {
	return max(lr*r.scale, min(lr, r.MinLR))
}

// AfterEpoch reduces the rates once Patience epochs passed without a new
// best.
func (r *ReduceLROnPlateau) AfterEpoch(f *FitState) error {
	if !r.run || !r.plateaued(f, r.Patience) {
		return nil
	}
	r.wait = 0
	factor := r.Factor
	if factor == 0 {
		factor = 10
	}
	// The message gives the last group's rate at the epoch's last batch.
	last := 0.0
	if n := len(f.LRs); n > 0 {
		last = f.LRs[n-1] / r.scale
	}
	old := r.reduced(last)
	r.scale /= factor
	if now := r.reduced(last); now < old {
		f.Learner.Printf("Epoch %d: reducing lr to %s", f.Epoch, tensor.FormatRepr(now))
	}
	return nil
}

// CSVLogger is fastai's CSVLogger: it writes the epoch table to Fname
// ("history.csv", relative to the working directory), one row per epoch
// as the table shows it (epoch, train_loss, valid_loss, the metrics,
// time), flushed after every epoch so an interrupted fit keeps its rows.
// With Append the rows of every fit go to the same file, under one header
// (fastai writes the header again at each fit); without it each fit
// starts the file over — FineTune runs two fits, so give Append to keep
// its frozen epoch. Errors: the file cannot be written, or Append
// finds a file whose header is not this learner's columns.
type CSVLogger struct {
	Fname  string
	Append bool

	file *os.File
	w    *csv.Writer
}

func (c *CSVLogger) name() string {
	if c.Fname == "" {
		return "history.csv"
	}
	return c.Fname
}

// BeforeFit opens the file and writes the header.
func (c *CSVLogger) BeforeFit(f *FitState) error {
	if f.LRFind {
		return nil
	}
	name := c.name()
	header := f.Learner.Recorder.Columns()
	flags := os.O_CREATE | os.O_RDWR | os.O_TRUNC
	if c.Append {
		flags = os.O_CREATE | os.O_RDWR
	}
	if dir := filepath.Dir(name); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	file, err := os.OpenFile(name, flags, 0o644)
	if err != nil {
		return err
	}
	first, err := csv.NewReader(file).Read()
	switch {
	case err == io.EOF: // a new or empty file
		first = nil
	case err != nil:
		file.Close()
		return fmt.Errorf("%s is not a CSV file (%v): give another Fname or leave Append off", name, err)
	case !slices.Equal(first, header):
		file.Close()
		return fmt.Errorf("%s has the columns %s, this learner's are %s: give another Fname or leave Append off", name, strings.Join(first, ","), strings.Join(header, ","))
	}
	end, err := file.Seek(0, io.SeekEnd)
	if err == nil && end > 0 {
		err = endLine(file, end)
	}
	if err != nil {
		file.Close()
		return err
	}
	c.file, c.w = file, csv.NewWriter(file)
	if first == nil {
		return c.write(header)
	}
	return nil
}

// endLine adds a newline to a file of size bytes that does not end with
// one (a file edited by hand), so the next row starts a line.
func endLine(file *os.File, size int64) error {
	last := make([]byte, 1)
	if _, err := file.ReadAt(last, size-1); err != nil {
		return err
	}
	if last[0] == '\n' {
		return nil
	}
	_, err := file.Write([]byte("\n"))
	return err
}

func (c *CSVLogger) write(record []string) error {
	c.w.Write(record)
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return fmt.Errorf("%s: %w", c.name(), err)
	}
	return nil
}

// AfterEpoch writes the epoch's row.
func (c *CSVLogger) AfterEpoch(f *FitState) error {
	if c.w == nil {
		return nil
	}
	return c.write(f.Row.Cells())
}

// CleanUp closes the file when the fit ends, however it ends.
func (c *CSVLogger) CleanUp() {
	if c.file != nil {
		c.file.Close()
		c.file, c.w = nil, nil
	}
}

// ShowGraphCallback is fastai's ShowGraphCallback: after every epoch it
// draws the training loss of every batch and the validation loss of every
// epoch so far, on axes that span the whole fit (x: training batches,
// y: from 0 to the largest loss) — redrawn in place in a notebook, the
// file OutputDir()/show_graph.png in a terminal. Quiet learners and
// LRFind show nothing. Errors: the figure cannot be written.
type ShowGraphCallback struct {
	live *display.LivePlot
}

// BeforeFit prepares the figure.
func (s *ShowGraphCallback) BeforeFit(f *FitState) error {
	s.live = nil
	if !f.LRFind && !f.Learner.Quiet {
		s.live = display.NewLivePlot("show_graph")
	}
	return nil
}

// AfterEpoch redraws the figure.
func (s *ShowGraphCallback) AfterEpoch(f *FitState) error {
	if s.live == nil {
		return nil
	}
	p, err := f.Learner.Recorder.lossPlot(0)
	if err != nil {
		return err
	}
	// fastai's x_bounds: the batches of the whole fit.
	p.X.Min, p.X.Max = 0, float64(f.NEpoch*f.NIter)
	top := 0.0
	for _, v := range f.Learner.Recorder.Losses {
		if finite(v) {
			top = max(top, v)
		}
	}
	for _, row := range f.Learner.Recorder.Rows {
		if row.Validated && finite(row.ValidLoss) {
			top = max(top, row.ValidLoss)
		}
	}
	if top > 0 {
		p.Y.Min, p.Y.Max = 0, top
	}
	_, err = s.live.Update(p)
	return err
}

// TerminateOnNaNCallback is fastai's TerminateOnNaNCallback: it ends the
// fit at the first training batch whose loss is NaN or infinite (the fit
// returns no error; the weights are already spoilt by then, so reload a
// saved model or train again with a lower learning rate). It is
// [LagTolerant]: with losses read every Pipelining.SyncEvery steps it
// names the same batch, and the fit stops at most SyncEvery−1 steps later.
type TerminateOnNaNCallback struct{}

// ToleratesLag implements LagTolerant.
func (TerminateOnNaNCallback) ToleratesLag() {}

// AfterBatch stops the fit on a non-finite training loss.
func (TerminateOnNaNCallback) AfterBatch(f *FitState) error {
	if f.Training && !finite(f.Loss) {
		f.Learner.Printf("TerminateOnNaNCallback: the training loss is %s at epoch %d, batch %d: fit stopped", tensor.FormatRepr(f.Loss), f.Epoch, f.Batch)
		return ErrCancelFit
	}
	return nil
}

// GradientClip is fastai's GradientClip (PyTorch's
// nn.utils.clip_grad_norm_ with norm_type 2): before each optimizer step
// the gradients of all trainable parameters, seen as one vector, are
// scaled by min(1, MaxNorm/(‖g‖₂ + 1e-6)). MaxNorm 0 means fastai's
// default, 1; a negative, NaN or infinite MaxNorm is an error. It runs
// inside the compiled training step (a GradientTransformer).
type GradientClip struct {
	MaxNorm float64
}

func (c GradientClip) validate(*Learner) error {
	if !(c.MaxNorm >= 0) || math.IsInf(c.MaxNorm, 1) {
		return fmt.Errorf("MaxNorm %g: give the largest gradient norm allowed, a number > 0 (0 means fastai's 1)", c.MaxNorm)
	}
	return nil
}

// TransformGradients implements GradientTransformer.
func (c GradientClip) TransformGradients(params, grads []*graph.Node) []*graph.Node {
	if len(grads) == 0 {
		return grads
	}
	maxNorm := c.MaxNorm
	if maxNorm == 0 {
		maxNorm = 1
	}
	g := grads[0].Graph()
	sumSq := graph.Scalar(g, dtypes.Float32, 0)
	for _, gr := range grads {
		sumSq = graph.Add(sumSq, graph.ReduceAllSum(graph.Square(graph.ConvertDType(gr, dtypes.Float32))))
	}
	norm := graph.Sqrt(sumSq)
	coef := graph.MinScalar(graph.Div(graph.Scalar(g, dtypes.Float32, maxNorm), graph.AddScalar(norm, 1e-6)), 1.0)
	out := make([]*graph.Node, len(grads))
	for i, gr := range grads {
		out[i] = graph.Mul(gr, graph.ConvertDType(coef, gr.DType()))
	}
	return out
}

// checkCallback reports a callback the loop would never call, or not
// fully: nil or a nil pointer, one whose event methods are (some or all)
// on its pointer type but given as a value (a SaveModelCallback{} instead
// of &SaveModelCallback{}), or one with no event method at all.
func checkCallback(i int, cb Callback) error {
	if cb == nil {
		return fmt.Errorf("callback %d is nil", i)
	}
	v := reflect.ValueOf(cb)
	if v.Kind() == reflect.Pointer && v.IsNil() {
		return fmt.Errorf("callback %d is a nil %T: give &%s{...}", i, cb, v.Type().Elem())
	}
	n := events(cb)
	if t := v.Type(); t.Kind() != reflect.Pointer && events(reflect.New(t).Interface()) > n {
		return fmt.Errorf("callback %d (%T) has methods on *%T: pass a pointer, &%T{...}", i, cb, cb, cb)
	}
	if n == 0 {
		return fmt.Errorf("callback %d (%T) has none of the callback methods (BeforeFit, AfterEpoch, AfterBatch, …, TransformLoss, TransformGradients): the loop would never call it", i, cb)
	}
	return nil
}

// events counts the methods of cb the loop calls: the events' and the
// graph-level hooks'.
func events(cb any) int {
	n := 0
	for _, ev := range allEvents {
		if ev.has(cb) {
			n++
		}
	}
	for _, has := range []bool{is[LossTransformer](cb), is[GradientTransformer](cb), is[StepChecker](cb)} {
		if has {
			n++
		}
	}
	return n
}

func is[I any](v any) bool {
	_, ok := v.(I)
	return ok
}

// validator is a callback whose settings can be checked against the
// learner before any training (FineTune checks them before it freezes).
type validator interface{ validate(l *Learner) error }

// checkCallbacks checks the callbacks of a fit: each can be called, and
// its settings suit the learner.
func (l *Learner) checkCallbacks(fitCbs []Callback, lrFind bool) error {
	for _, set := range []struct {
		name string
		cbs  []Callback
	}{{"Learner.Cbs", l.Cbs}, {"WithCallbacks", fitCbs}} {
		for i, cb := range set.cbs {
			if err := checkCallback(i, cb); err != nil {
				return fmt.Errorf("%s: %w", set.name, err)
			}
			if v, ok := cb.(validator); ok && !lrFind {
				if err := v.validate(l); err != nil {
					return fmt.Errorf("%T: %w", cb, err)
				}
			}
		}
	}
	return nil
}
