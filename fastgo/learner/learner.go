package learner

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/fastgo-ml/fastgo/display"
	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/backend"
	"github.com/fastgo-ml/fastgo/fastgo/device"
	"github.com/fastgo-ml/fastgo/internal/ops"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Learner trains a Model on Data: fastai's Learner with its Adam optimizer,
// one-cycle schedules, Recorder and progress display.
//
// Its methods are safe for concurrent use: Predict, PredictFloat and
// GetPreds from many goroutines at once (a net/http handler), also while
// another goroutine fits — they then see the weights of the last finished
// training step. The graph runs one at a time. Fit, FitOneCycle, FineTune
// and LRFind run one at a time: another one called meanwhile (from any
// goroutine or callback) returns ErrBusy, and so do Freeze, Unfreeze,
// FreezeTo and Reset (the frozen state and the store change between fits). Save and Export
// during a fit write the last finished step's state. The exported fields are settings:
// set them before training or predicting, and read Recorder between fits
// (or from a callback).
type Learner struct {
	// Data is what the learner trains and validates on.
	Data Data
	// Model is the network and its parameter groups.
	Model Model
	// Loss is the loss function (default CrossEntropyLossFlat).
	Loss Loss
	// Metrics are computed on the validation set after each epoch.
	Metrics []Metric
	// Opt is the optimizer (fastai's opt_func; Adam by default, see OptFunc).
	Opt Optimizer
	// Cbs are the callbacks of every fit (see Callbacks).
	Cbs []Callback
	// LR is the default learning rate of fits given 0 (fastai's 1e-3).
	LR float64
	// Moms is the default one-cycle momentum schedule (0.95, 0.85, 0.95).
	Moms [3]float64
	// Recorder holds the history of the last fit.
	Recorder *Recorder
	// Quiet turns off the progress bars, tables and plots (tests, batch
	// jobs); what callbacks the user added print (fastai's "Better model
	// found…") still shows, as in fastai.
	Quiet bool

	backend compute.Backend
	// mu guards what a graph run and the learner's state changes touch:
	// the store's values, the compiled graphs, params, the frozen state,
	// the compute dtype, the counters and the recorder's history. It is
	// held for one batch (or one save, load or freeze), never while a
	// callback runs.
	mu sync.Mutex
	// fitting is set while Fit, FitOneCycle, FineTune or LRFind runs.
	fitting atomic.Bool
	store   *model.Store
	tfms    []device.Transform
	seed    uint64

	initialFrozen int
	// frozenIdx groups [0, frozenIdx) are frozen (force-train variables excepted).
	frozenIdx int
	// params classifies the model's variables, learnt from the first graph built.
	params map[string]paramInfo
	execs  map[execKey]*model.Exec
	// infer holds the weights of Model.Inference, derived from store's
	// (nil until an evaluation graph of such a model first runs).
	infer *inferenceWeights
	// stepErr is a StepChecker's refusal of the training step whose graph
	// was being built; buildErr another refusal of a graph being built
	// (checkFileVars).
	stepErr, buildErr error
	// fileVars are the model variables of the file loaded into a model not
	// yet built, named fileName: its first graph checks that they are all
	// the model's (checkFileVars).
	fileVars map[string]bool
	fileName string
	// iter counts training batches over the learner's life (seeds the
	// device transforms' random parameters).
	iter uint64
	// trainedEpochs counts training epochs over the learner's life (the
	// data loaders' shuffle epoch).
	trainedEpochs int
	// computeDType is float32, or bfloat16 after ToFP16.
	computeDType dtypes.DType
	keeper       Keeper   // keeps the state beyond the process (KeepWith); nil: none
	wd           *float64 // the learner's weight decay (WD); nil: Opt's
	// hooks are the current fit's graph-level hooks (LossTransformer,
	// GradientTransformer callbacks).
	hooks []Callback
	// initStores fill a fresh store (pretrained weights), see InitStore.
	initStores []func(*model.Store) error
	lastLRFind *LRFindResult
	out        io.Writer
	// ownOut says out was set by Output: the fits' bars and table go
	// there too, rather than to package display.
	ownOut bool
	// pipe is the pipelining set by WithPipelining (nil: the backend's
	// default); padBuf the validation producer's padded batch.
	pipe   *Pipelining
	padBuf []byte
}

// paramInfo is what the optimizer knows about one model variable.
type paramInfo struct {
	param      bool // a model parameter (trainable when declared by its layer)
	group      int
	noWD       bool
	forceTrain bool
}

type execMode int

const (
	modeTrain execMode = iota
	modeEval
)

type execKey struct {
	mode      execMode
	frozenIdx int
	layout    string // which device transforms get a params input
	dtype     dtypes.DType
	hooks     string // the graph-level hooks of the training step (hooksSignature)
}

// Option configures a Learner as it is made. New and LoadExported take
// them, and so do the constructors built on New: cnn.Learner,
// cnn.LoadPredictor. They are one list: the options of this package
// (Metrics, OptFunc, Seed, Callbacks, …), of the packages that attach to
// the loop (persist.As, persist.Off) and a constructor's own settings
// (cnn.Pretrained, cnn.WithHead, which that constructor takes out of the
// list before calling New; New refuses them, naming them). Options apply
// in order: those that add (Metrics, Callbacks, InitStore) add to what
// the earlier ones gave, the others set (the last one wins). A nil Option
// does nothing.
type Option interface {
	// Apply sets the option on l, before New builds anything; an error
	// fails New.
	Apply(l *Learner) error
}

// OptionFunc is a function used as an Option, as http.HandlerFunc is a
// Handler: how this package's options are written, and how to write one
// of your own.
type OptionFunc func(l *Learner) error

// Apply calls f(l).
func (f OptionFunc) Apply(l *Learner) error { return f(l) }

// InitStore runs init on every fresh store — at New and at Reset — before
// any graph is built: how cnn.Learner loads pretrained weights. Several
// run in the order given. Variables init creates keep their values when
// the model is built; state restored from a persisted learner replaces
// them. An error from init fails New (or Reset).
func InitStore(init func(*model.Store) error) Option {
	return OptionFunc(func(l *Learner) error {
		if init == nil {
			return errors.New("learner.InitStore: nil function")
		}
		l.initStores = append(l.initStores, init)
		return nil
	})
}

// Metrics adds validation metrics (fastai's metrics=), computed on the
// validation set after each epoch, one column each in the epoch table.
// Given more than once, the metrics add up; a metric whose name is
// already there is refused, naming it, and so is one that cannot be
// computed for the data's classes (F1Score's Binary average on more than
// 2 classes, say).
func Metrics(ms ...Metric) Option {
	return OptionFunc(func(l *Learner) error {
		for _, m := range ms {
			if err := checkMetric(m, l.Metrics, len(l.Data.Vocab)); err != nil {
				return fmt.Errorf("learner.Metrics: %w", err)
			}
			l.Metrics = append(l.Metrics, m)
		}
		return nil
	})
}

// WithLoss replaces the default loss (cross-entropy).
func WithLoss(loss Loss) Option {
	return OptionFunc(func(l *Learner) error {
		if loss.PerItem == nil {
			return fmt.Errorf("learner.WithLoss: loss %q has no PerItem function", loss.Name)
		}
		l.Loss = loss
		return nil
	})
}

// WithBackend sets the compute backend (default: [DefaultBackend]).
func WithBackend(b compute.Backend) Option {
	return OptionFunc(func(l *Learner) error { l.backend = b; return nil })
}

// WD sets the learner's weight decay (fastai's wd=; otherwise the
// optimizer's default: Adam's 0.01, SGD's 0).
func WD(wd float64) Option {
	return OptionFunc(func(l *Learner) error {
		if !(wd >= 0) || math.IsInf(wd, 1) {
			return fmt.Errorf("learner.WD(%g): give a weight decay ≥ 0 (fastai's Adam uses 0.01; 0 turns it off)", wd)
		}
		l.wd = &wd
		return nil
	})
}

// OptFunc chooses the optimizer (fastai's opt_func): Adam (the default,
// DefaultAdam()) or SGD, with their fastai defaults, e.g.
// learner.OptFunc(learner.SGD{Mom: 0.9}).
func OptFunc(opt Optimizer) Option {
	return OptionFunc(func(l *Learner) error {
		if opt == nil {
			return errors.New("learner.OptFunc: nil optimizer: use learner.DefaultAdam() or learner.SGD{}")
		}
		if c, ok := opt.(interface{ check() error }); ok {
			if err := c.check(); err != nil {
				return fmt.Errorf("learner.OptFunc(%s): %w", opt.Name(), err)
			}
		}
		l.Opt = opt
		return nil
	})
}

// weightDecay is the learner's weight decay (WD), else the optimizer's.
func (l *Learner) weightDecay() float64 {
	if l.wd != nil {
		return *l.wd
	}
	return l.Opt.DefaultWD()
}

// Seed sets the seed of the weight initialisation and of the device
// transforms' random draws (default 42).
func Seed(seed uint64) Option {
	return OptionFunc(func(l *Learner) error { l.seed = seed; return nil })
}

// Output sets where everything the learner writes as text goes: notes,
// warnings, what callbacks say, and the progress bars and epoch table of
// its fits, drawn as terminal text (`\r`-redrawn bars, the table row by
// row) even in a notebook. nil or io.Discard silences them all. Without
// it, the messages go to stdout and the bars and table to package display
// (HTML in a notebook; display.SetOutput in a terminal). Figures (LRFind's
// plot, ShowGraphCallback) always go through display; Quiet turns off
// bars, tables and figures, not the messages.
func Output(w io.Writer) Option {
	if w == nil {
		w = io.Discard
	}
	return OptionFunc(func(l *Learner) error { l.out, l.ownOut = w, true; return nil })
}

// DefaultBackend returns the backend a Learner uses when none is given:
// backend.Default, fastgo's choice (GOMLX_BACKEND, else XLA on CUDA or CPU
// when a plugin is found, else the pure-Go backend), printed once.
var DefaultBackend = func() (compute.Backend, error) { return backend.Default(), nil }

// New creates a Learner (fastai's Learner(dls, model, loss_func, opt_func,
// metrics, cbs)). Nothing is built or initialised until the first fit or
// prediction, so it is cheap to call in every notebook cell. The defaults
// are fastai's: cross-entropy loss, Adam, lr 1e-3, one-cycle momentums
// (0.95, 0.85, 0.95), seed 42; batch transforms that are not
// device.Transform are skipped, with a note.
//
// Errors: Model.Build is nil; an option's error (a bad value, a cnn.Learner
// setting given here, naming it); no compute backend; the Keeper's
// Restore (persist.Resume: nothing saved under that name, or a file that
// does not load).
func New(data Data, m Model, opts ...Option) (*Learner, error) {
	if m.Build == nil {
		return nil, errors.New("learner.New: Model.Build is nil: give a function that builds the logits")
	}
	l := &Learner{
		Data:         data,
		Model:        m,
		Loss:         CrossEntropyLossFlat(),
		Opt:          DefaultAdam(),
		LR:           1e-3,
		Moms:         [3]float64{0.95, 0.85, 0.95},
		Recorder:     &Recorder{},
		seed:         42,
		params:       map[string]paramInfo{},
		execs:        map[execKey]*model.Exec{},
		computeDType: dtypes.Float32,
		out:          display.NotebookStdout(),
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o.Apply(l); err != nil {
			return nil, err
		}
	}
	for _, t := range data.BatchTfms {
		dt, ok := t.(device.Transform)
		if !ok {
			fmt.Fprintf(l.out, "learner: batch transform %q does not run on the device (no device.Transform); skipped\n", t.Name())
			continue
		}
		l.tfms = append(l.tfms, dt)
	}
	l.initialFrozen = l.frozenIdx
	if err := l.newStore(); err != nil {
		return nil, err
	}
	if l.backend == nil {
		b, err := DefaultBackend()
		if err != nil {
			return nil, fmt.Errorf("learner.New: no compute backend: %w (set GOMLX_BACKEND, e.g. \"go\")", err)
		}
		l.backend = b
	}
	if l.keeper != nil {
		if err := l.keeper.Restore(l); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// MustNew is New that panics on error (notebook cells).
func MustNew(data Data, m Model, opts ...Option) *Learner {
	l, err := New(data, m, opts...)
	if err != nil {
		panic(err)
	}
	return l
}

// Must panics with err if it is not nil: for notebook cells, where an
// ignored error would pass silently, e.g. learner.Must(learn.FineTune(2)).
func Must(err error) {
	if err != nil {
		panic(err)
	}
}

// Must1 returns v, or panics with err if it is not nil, e.g.
// r := learner.Must1(learn.LRFind()).
func Must1[T any](v T, err error) T {
	Must(err)
	return v
}

// newStore starts from an empty store: weights are initialised (from the
// seed) when the first graph runs; compiled graphs are dropped.
func (l *Learner) newStore() error {
	l.store = model.NewStore()
	l.store.SetParam("/"+model.ParamInitialSeed, int64(l.seed))
	l.params = map[string]paramInfo{}
	l.execs = map[execKey]*model.Exec{}
	l.infer = nil
	l.fileVars, l.fileName = nil, ""
	for _, init := range l.initStores {
		if err := init(l.store); err != nil {
			return fmt.Errorf("learner: initialising the model's variables: %w", err)
		}
	}
	return nil
}

// Store is the GoMLX store holding the model's variables and the optimizer
// state (under /_opt). Reset replaces it; a fit changes its values in
// place: use it when no fit or prediction runs.
func (l *Learner) Store() *model.Store {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.store
}

// Backend is the compute backend the learner runs on.
func (l *Learner) Backend() compute.Backend { return l.backend }

// optScope is where the optimizer keeps its state, apart from the model.
const optScope = "/_opt"

// isModelVar reports whether a store variable belongs to the model (not
// the optimizer state or GoMLX's random-number state).
func isModelVar(path string) bool {
	return !strings.HasPrefix(path, optScope+"/") && path != "/"+model.RNGStateVariableName
}

// numParameters counts the model's values (its variables' elements, not
// the optimizer state's).
func (l *Learner) numParameters() int64 {
	var n int64
	for v := range l.store.IterVariables() {
		if isModelVar(v.Path()) {
			n += int64(v.Shape().Size())
		}
	}
	return n
}

// Freeze trains only the last parameter group (and the batch-norm
// parameters), fastai's freeze(). It resets the optimizer state. Errors
// are FreezeTo's.
func (l *Learner) Freeze() error { return l.freezeAndKeep("Freeze", -1) }

// Unfreeze makes every group trainable, fastai's unfreeze(). It resets the
// optimizer state. Errors are FreezeTo's.
func (l *Learner) Unfreeze() error { return l.freezeAndKeep("Unfreeze", 0) }

// FreezeTo freezes the groups before n (n < 0 counts from the end), as
// fastai's freeze_to; frozen variables keep their values, except those
// Model.ForceTrain names (batch norm). n ≥ the number of groups freezes the
// whole model (with a warning, as fastai). It resets the optimizer state.
//
// A learner with a Keeper (notebook persistence) whose model has run or
// was restored has its state kept, so that a later notebook cell resumes
// it frozen as it was left — the book's `learn.unfreeze()` is a cell of
// its own.
//
// Errors: ErrBusy (wrapped) while Fit, FitOneCycle, FineTune or LRFind
// runs — in another goroutine, or the fit calling this from a callback —
// and nothing changes (a fit's graph and optimizer state follow the
// frozen state it started with; freeze between fits); the Keeper's error
// when it cannot keep the state (the learner is frozen as asked).
func (l *Learner) FreezeTo(n int) error {
	return l.freezeAndKeep(fmt.Sprintf("FreezeTo(%d)", n), n)
}

// freezeAndKeep is Freeze, Unfreeze and FreezeTo: refused during a fit,
// then freezeTo and the Keeper's save.
func (l *Learner) freezeAndKeep(what string, n int) error {
	done, err := l.startFit(what)
	if err != nil {
		return err
	}
	defer done()
	l.freezeTo(n)
	if !l.hasState() {
		return nil // a fresh learner (pretrained weights at most) has nothing worth keeping yet
	}
	if err := l.keep("freeze"); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// freezeTo is FreezeTo without saving (FineTune's stages).
func (l *Learner) freezeTo(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.Model.numGroups()
	if n < 0 {
		n += g
	}
	l.frozenIdx = min(max(n, 0), g)
	if n >= g {
		fmt.Fprintf(l.out, "learner: freezing %d groups; model has %d; whole model is frozen\n", n, g)
	}
	l.clearOptState()
}

// FrozenTo returns the number of frozen parameter groups.
func (l *Learner) FrozenTo() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.frozenIdx
}

// preprocess turns the batch into the model input: uint8 → float32/255
// (float32 input is taken as already in [0,1]), then the device transforms
// in order.
func (l *Learner) preprocess(x *graph.Node, tfmParams []*graph.Node, split fastgo.Split) *graph.Node {
	if x.DType() == dtypes.Uint8 {
		x = graph.DivScalar(graph.ConvertDType(x, dtypes.Float32), 255.0)
	}
	for i, t := range l.tfms {
		x = t.Apply(x, tfmParams[i], split)
	}
	return x
}

// drawParams draws every device transform's parameters for one batch. The
// layout string records which transforms got some (part of the graph key).
func (l *Learner) drawParams(batchSize int, split fastgo.Split, rng *rand.Rand) ([]*tensors.Tensor, string) {
	ps := make([]*tensors.Tensor, len(l.tfms))
	layout := make([]byte, len(l.tfms))
	for i, t := range l.tfms {
		ps[i] = t.Params(batchSize, split, rng)
		layout[i] = '0'
		if ps[i] != nil {
			layout[i] = '1'
		}
	}
	return ps, string(layout)
}

// batchRand is the random source of one batch's transform parameters:
// a pure function of the seed, the split and the batch counter.
func (l *Learner) batchRand(split fastgo.Split, counter uint64) *rand.Rand {
	return rand.New(rand.NewPCG(l.seed^uint64(split+1)*0x9e3779b97f4a7c15, counter))
}

// classify records what the optimizer needs about every model variable
// created by the graph being built, and sets the trainable flags from the
// frozen state. Variables are classified once (their layers' own
// trainable flag at first sight says whether they are parameters).
func (l *Learner) classify(frozenIdx int) {
	for v := range l.store.IterVariables() {
		p := v.Path()
		if !isModelVar(p) {
			continue
		}
		info, ok := l.params[p]
		if !ok {
			info = paramInfo{
				param:      v.Trainable,
				group:      l.Model.group(p),
				noWD:       l.Model.noWD(p, v.Shape()),
				forceTrain: l.Model.forceTrain(p),
			}
			l.params[p] = info
		}
		v.Trainable = info.param && (info.group >= frozenIdx || info.forceTrain)
	}
}

// toBatchTensors converts a CPU batch into fresh input tensors (a training
// step takes ownership of them).
func toBatchTensors(b Batch, nClasses int) (*tensors.Tensor, *tensors.Tensor, error) {
	y, err := checkBatch(b, nClasses)
	if err != nil {
		return nil, nil, err
	}
	x := tensors.FromFlatDataAndDimensions(b.X.Data, b.X.Shape...) // copies
	return x, tensors.FromFlatDataAndDimensions(y, len(y)), nil
}

// getExec returns the compiled-graph executor of a mode for the current
// frozen state and transform layout. The caller holds l.mu.
func (l *Learner) getExec(mode execMode, layout string) (*model.Exec, error) {
	key := execKey{mode: mode, layout: layout, dtype: l.computeDType}
	if mode == modeTrain {
		// Evaluation depends on neither: one graph serves all (and a
		// prediction never reads the fit's hooks).
		key.frozenIdx, key.hooks = l.frozenIdx, hooksSignature(l.hooks)
	}
	if e, ok := l.execs[key]; ok {
		return e, nil
	}
	var fn func(scope *model.Scope, inputs []*graph.Node) []*graph.Node
	if mode == modeTrain {
		fn = func(scope *model.Scope, inputs []*graph.Node) []*graph.Node {
			return l.trainGraph(scope, inputs, key)
		}
	} else {
		fn = func(scope *model.Scope, inputs []*graph.Node) []*graph.Node {
			return l.evalGraph(scope, inputs, key)
		}
	}
	store := l.store
	if mode == modeEval && l.Model.Inference != nil {
		store = l.infer.store // current: runEval derived it first
	}
	e, err := NewExec(l.backend, store, fn)
	if err != nil {
		return nil, err
	}
	l.execs[key] = e
	return e, nil
}

// splitTfmInputs maps the transform-parameter inputs to the transforms.
func splitTfmInputs(inputs []*graph.Node, layout string) []*graph.Node {
	out := make([]*graph.Node, len(layout))
	j := 0
	for i := range layout {
		if layout[i] == '1' {
			out[i] = inputs[j]
			j++
		}
	}
	return out
}

// forward builds preprocess → model → float32 logits: the model's Build,
// or in evaluation its Inference.Build when it has one.
func (l *Learner) forward(scope *model.Scope, x *graph.Node, tfmParams []*graph.Node, split fastgo.Split, train bool, dtype dtypes.DType) *graph.Node {
	g := x.Graph()
	setComputeDType(g, dtype)
	x = l.preprocess(x, tfmParams, split)
	if dtype != dtypes.Float32 {
		x = graph.ConvertDType(x, dtype)
	}
	if !train && l.Model.Inference != nil {
		return float32Of(l.Model.Inference.Build(scope, x))
	}
	return float32Of(l.Model.Build(scope, x, train))
}

// trainGraph: inputs are x, y, lrs [G], moms [G], wds [G], transform params.
// It returns the mean loss; variables are updated in place.
func (l *Learner) trainGraph(scope *model.Scope, inputs []*graph.Node, key execKey) []*graph.Node {
	x, y, lrs, moms, wds := inputs[0], inputs[1], inputs[2], inputs[3], inputs[4]
	logits := l.forward(scope, x, splitTfmInputs(inputs[5:], key.layout), fastgo.Train, true, key.dtype)
	l.checkFileVars()
	loss := graph.ReduceAllMean(l.Loss.PerItem(logits, y))
	// Before any step runs: the step checkers (memory.Check) may refuse it.
	step := TrainStep{Forward: loss.Graph().Nodes(), BatchSize: x.Shape().Dimensions[0], Parameters: l.numParameters()}
	for _, h := range l.hooks {
		if c, ok := h.(StepChecker); ok {
			if err := c.CheckStep(l, step); err != nil {
				l.stepErr = err
				panic(err)
			}
		}
	}
	for _, h := range l.hooks {
		if t, ok := h.(LossTransformer); ok {
			loss = t.TransformLoss(loss)
		}
	}
	l.classify(key.frozenIdx)
	g := loss.Graph()
	var vars []*model.Variable
	var nodes []*graph.Node
	for v := range l.store.IterVariables() {
		if isModelVar(v.Path()) && v.Trainable && v.InUseByGraph(g) {
			vars = append(vars, v)
			nodes = append(nodes, v.NodeValue(g))
		}
	}
	if len(vars) == 0 {
		panic(fmt.Errorf("model %q has no trainable variables in use (all frozen?)", l.Model.Name))
	}
	grads := graph.Gradient(loss, nodes...)
	for _, h := range l.hooks {
		if t, ok := h.(GradientTransformer); ok {
			grads = t.TransformGradients(nodes, grads)
		}
	}
	for i, v := range vars {
		info := l.params[v.Path()]
		l.Opt.Update(l.store, v, grads[i], hyperFor(lrs, info.group), hyperFor(moms, info.group),
			hyperFor(wds, info.group), !info.noWD)
	}
	return []*graph.Node{loss}
}

// hyperFor selects one group's value of a per-group hyper-parameter input.
func hyperFor(values *graph.Node, group int) *graph.Node {
	return graph.Reshape(graph.Slice(values, graph.AxisElem(group)))
}

// evalGraph: inputs are x, y, transform params; it returns the
// activations [B,C] and per-item losses [B].
func (l *Learner) evalGraph(scope *model.Scope, inputs []*graph.Node, key execKey) []*graph.Node {
	x, y := inputs[0], inputs[1]
	logits := l.forward(scope, x, splitTfmInputs(inputs[2:], key.layout), fastgo.Valid, false, key.dtype)
	if l.Model.Inference == nil { // else the variables were checked and classified by deriving the inference weights
		l.checkFileVars()
		l.classify(key.frozenIdx)
	}
	act := logits
	if l.Loss.Activation != nil {
		act = l.Loss.Activation(logits)
	}
	return []*graph.Node{act, l.Loss.PerItem(logits, y)}
}

// trainStepOn runs one optimisation step on prepared inputs, with the
// batch's learning rates, momentums and weight decays (one per group,
// after the callbacks), and returns the loss as the device
// holds it (float32 scalar), unread: reading it waits for the step.
// Inputs prepared for another batch counter (a step before was cancelled)
// get their transform parameters drawn again, and hyper-parameters that
// differ from the scheduled ones uploaded, so a step is the same however
// far ahead it was prepared.
func (l *Learner) trainStepOn(in *stepInput, lrs, moms, wds []float64) (*tensors.Tensor, error) {
	if in.err != nil {
		return nil, in.err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if in.counter != l.iter {
		for _, p := range in.params {
			if p != nil {
				p.FinalizeAll()
			}
		}
		if err := l.drawOnDevice(in, fastgo.Train, l.iter); err != nil {
			return nil, err
		}
	}
	l.iter++
	l.dropInference()
	e, err := l.getExec(modeTrain, in.layout)
	if err != nil {
		return nil, err
	}
	for _, h := range []struct {
		want   []float64
		values *[]float32
		t      **tensors.Tensor
	}{{lrs, &in.lrs, &in.lrsT}, {moms, &in.moms, &in.momsT}, {wds, &in.wds, &in.wdsT}} {
		if *h.t != nil && sameF32(h.want, *h.values) {
			continue
		}
		if *h.t != nil {
			(*h.t).FinalizeAll()
		}
		*h.values = float32s(h.want)
		if *h.t, err = l.onDevice(tensors.FromFlatDataAndDimensions(*h.values, len(*h.values))); err != nil {
			return nil, err
		}
	}
	args := []any{in.x, in.y, in.lrsT, in.momsT, in.wdsT}
	for _, p := range in.params {
		if p != nil {
			args = append(args, p)
		}
	}
	out, err := callExec(e, args)
	if err = l.refusedBuild(e, err); err != nil {
		return nil, err
	}
	return out[0], nil
}

// evalBatch returns the activations (row-major [B,C]) and per-item losses.
func (l *Learner) evalBatch(b Batch) ([]float32, []float32, error) {
	x, y, err := toBatchTensors(b, l.NumClasses())
	if err != nil {
		return nil, nil, err
	}
	return l.evalTensors(x, y)
}

// evalTensors runs the evaluation graph on images x (uint8 or float32
// [B,H,W,C]) and labels y (int32 [B]).
func (l *Learner) evalTensors(x, y *tensors.Tensor) ([]float32, []float32, error) {
	params, layout := l.drawParams(x.Shape().Dimensions[0], fastgo.Valid, l.batchRand(fastgo.Valid, 0))
	out, err := l.runEval(x, y, params, layout)
	if err != nil {
		return nil, nil, err
	}
	defer (&batchRecord{outs: out}).free()
	return readEval(out, x.Shape().Dimensions[0])
}

// evalOn runs the evaluation graph on prepared inputs; the outputs stay
// on the device (readEval reads them).
func (l *Learner) evalOn(in *stepInput) ([]*tensors.Tensor, error) {
	if in.err != nil {
		return nil, in.err
	}
	return l.runEval(in.x, in.y, in.params, in.layout)
}

// runEval runs the evaluation graph: activations [B,C] and per-item
// losses [B], on the device.
func (l *Learner) runEval(x, y *tensors.Tensor, params []*tensors.Tensor, layout string) ([]*tensors.Tensor, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.inferenceStore(); err != nil { // derived again if the weights changed
		return nil, err
	}
	e, err := l.getExec(modeEval, layout)
	if err != nil {
		return nil, err
	}
	args := []any{x, y}
	for _, p := range params {
		if p != nil {
			args = append(args, p)
		}
	}
	out, err := callExec(e, args)
	if err = l.refusedBuild(e, err); err != nil {
		return nil, err
	}
	return out, nil
}

// refusedBuild returns a refusal made while e's graph was built (a
// StepChecker's, wrapped as stepRefused, checkFileVars', or an op's
// refusal of its input such as batch norm's of a training batch of one)
// as it is, not GoMLX's wrapping of it ("failed during graph
// construction/compilation: compilation failed for Exec …: graphFn for …
// panicked: "), and drops e so that its graph is built, and checked,
// again next time; otherwise err. The caller holds l.mu.
func (l *Learner) refusedBuild(e *model.Exec, err error) error {
	var refused *ops.InputError
	switch {
	case l.stepErr != nil:
		err, l.stepErr = stepRefused{l.stepErr}, nil
	case l.buildErr != nil:
		err, l.buildErr = l.buildErr, nil
	case errors.As(err, &refused):
		err = refused
	default:
		return err
	}
	for k, v := range l.execs {
		if v == e {
			delete(l.execs, k)
		}
	}
	return err
}

// readEval reads the evaluation outputs of the first n rows (the others
// are padding): activations (row-major [n,C]) and per-item losses [n].
func readEval(out []*tensors.Tensor, n int) ([]float32, []float32, error) {
	act, err := tensors.CopyFlatData[float32](out[0])
	if err != nil {
		return nil, nil, err
	}
	losses, err := tensors.CopyFlatData[float32](out[1])
	if err != nil {
		return nil, nil, err
	}
	if rows := len(losses); n < rows {
		act, losses = act[:n*(len(act)/rows)], losses[:n]
	}
	return act, losses, nil
}

// callExec runs a compiled graph, turning GoMLX panics into errors.
func callExec(e *model.Exec, args []any) (out []*tensors.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
				return
			}
			err = fmt.Errorf("%v", r)
		}
		err = withoutExecPrefix(err)
	}()
	return e.Exec(args...)
}

// graphBuildError is an error of the model's graph code (a panic while
// the graph was built, such as ops.BatchNorm's "use a batch size of at
// least 2") without GoMLX's prefix, which names its internal closure
// ("compilation failed for Exec "Store.Exec:…func39": graphFn for …
// panicked:"): noise to a user (trial 2). It unwraps to GoMLX's error.
type graphBuildError struct {
	msg string
	err error
}

func (e *graphBuildError) Error() string { return e.msg }
func (e *graphBuildError) Unwrap() error { return e.err }

// withoutExecPrefix returns err as a *graphBuildError when it reports a
// panic while building a graph, else err.
func withoutExecPrefix(err error) error {
	const marker = " panicked: "
	if err == nil {
		return nil
	}
	msg := err.Error()
	i := strings.Index(msg, marker)
	if i < 0 || !strings.Contains(msg[:i], "graphFn for") {
		return err
	}
	return &graphBuildError{msg: "building the model's graph: " + msg[i+len(marker):], err: err}
}

// NumClasses is the number of model outputs (len(Data.Vocab)).
func (l *Learner) NumClasses() int { return len(l.Data.Vocab) }

// Printf prints one line to the learner's output (see [Output]), Quiet or
// not: what a callback says (fastai prints these with progress off).
func (l *Learner) Printf(format string, args ...any) {
	fmt.Fprintf(l.out, format+"\n", args...)
}

// Logf prints one line to the learner's output unless Quiet: notes on
// what the learner did (saved, restored).
func (l *Learner) Logf(format string, args ...any) {
	if l.Quiet {
		return
	}
	fmt.Fprintf(l.out, format+"\n", args...)
}

// ErrBusy is returned by Fit, FitOneCycle, FineTune, LRFind, Freeze,
// Unfreeze, FreezeTo and Reset while Fit, FitOneCycle, FineTune or LRFind
// runs on the same learner.
var ErrBusy = errors.New("the learner is already fitting")

// startFit marks a fit as running, or returns ErrBusy (wrapped, naming
// what) when one already is; the returned function ends it.
func (l *Learner) startFit(what string) (done func(), err error) {
	if !l.fitting.CompareAndSwap(false, true) {
		return nil, fmt.Errorf("%s: %w (a fit, FineTune, LRFind, a freeze or a reset runs in another goroutine, or called this from a callback): a Learner trains one fit at a time; wait for it to return", what, ErrBusy)
	}
	return func() { l.fitting.Store(false) }, nil
}
