package learner

import (
	"bufio"
	"encoding/gob"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fastgo-ml/fastgo/display"
	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/internal/diskerr"
	"github.com/gofrs/flock"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// The learner file: the one format that Save and Export write and Load,
// ReadExport and LoadExported read — notebook persistence
// (learner/persist) and cnn.LoadPredictor go through them. A gob-encoded
// checkpointHeader (what ReadExport returns without the weights), then
// each variable's bytes as a gob []byte, in the header's Vars order.
// Writes are atomic: a temporary file beside the target, renamed into
// place.

// checkpointVersion is bumped when the file layout changes.
const checkpointVersion = 2

// checkpointHeader is the first gob value of a checkpoint; the variables'
// tensors follow, in Vars order.
type checkpointHeader struct {
	Version   int
	Model     string
	Saved     time.Time
	Vocab     []string
	Vars      []varMeta
	WithOpt   bool
	FrozenIdx int
	Iter      uint64
	Epochs    int
	Recorder  recorderState
	LRFind    *LRFindResult
	Note      string
	// SavedBy is what wrote the file (SavedByHere).
	SavedBy string
	// Inputs says how images were prepared (written by Export); nil when a
	// transform cannot be described (see fastgo.TransformSpec).
	Inputs *InputSpec
}

// varMeta describes one saved variable; its bytes follow the header as a
// gob []byte, in order.
type varMeta struct {
	Path  string
	DType int32
	Dims  []int
}

// recorderState is the Recorder in gob-encodable form.
type recorderState struct {
	R           Recorder
	SmoothVal   float64
	SmoothCount int
}

// Save writes the learner's state to path: the model weights, the
// optimizer state, the frozen state and the recorder's history (fastai's
// learn.save). The write is atomic: a temporary file renamed into place.
// A model not built yet (no fit or prediction ran) is built and
// initialised first, with one forward pass on its first batch, so that
// the file holds every variable (an untrained model saves as it is, as in
// fastai). Save writes the weights as they are, NaN or infinite ones of a
// diverged fit too (as learn.save does): the file is for resuming or for
// looking into what went wrong; Export, whose file is for serving,
// refuses them.
//
// Errors name path: path is empty, ends in a separator or is an existing
// folder (give a file path); the
// model has no weights and the learner no batch to initialise them from;
// that first batch failed; the folder cannot be made or written (the os
// error: a read-only or full disk).
func (l *Learner) Save(path string) error {
	return l.writeCheckpoint(path, true, "")
}

// SaveState is Save with a note the file keeps (ExportInfo.Note): what
// the state followed ("fit", "lrfind", "freeze"), for a Keeper that says
// so when it restores. Errors are Save's.
func (l *Learner) SaveState(path, note string) error {
	return l.writeCheckpoint(path, true, note)
}

// Export writes what inference needs to path: the model weights, the
// vocabulary and how images were prepared (InputSpec), no optimizer state
// (fastai's learn.export). Read it back with LoadExported, or
// cnn.LoadPredictor for a cnn.Learner's. An untrained learner exports its
// initial weights, as Save does; the write is atomic and the file 0644;
// a missing folder is made.
//
// Errors are Save's (with "export" for "save"), and: a weight that is NaN
// or infinite (a diverged fit), naming the first such variable — nothing
// is written; retrain with a lower learning rate, or Load a file saved
// before the fit diverged, and export again.
func (l *Learner) Export(path string) error {
	return l.writeCheckpoint(path, false, "export")
}

// inputSpec describes the learner's item and validation transforms, or
// is nil when one of them does not implement [fastgo.Specifier].
func (l *Learner) inputSpec() *InputSpec {
	in := &InputSpec{}
	for _, t := range l.Data.ItemTfms {
		s, ok := t.(fastgo.Specifier)
		if !ok {
			return nil
		}
		in.ItemTfms = append(in.ItemTfms, s.Spec())
	}
	for _, t := range l.Data.BatchTfms {
		s, ok := t.(fastgo.Specifier)
		if !ok {
			return nil
		}
		in.BatchTfms = append(in.BatchTfms, s.Spec())
	}
	return in
}

func (l *Learner) writeCheckpoint(path string, withOpt bool, note string) (err error) {
	op := "save"
	if !withOpt {
		op = "export"
	}
	// Before the model is built or anything written: the rename would
	// fail only at the end, saying "file exists".
	if err := diskerr.FilePath(path, ".learner"); err != nil {
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	// The whole model, every variable initialised (fastai saves and
	// exports untrained models too).
	if err := l.ensureBuilt(); err != nil {
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	// Held until the values are written: a training step in another
	// goroutine would hand their buffers to the next step.
	l.mu.Lock()
	defer l.mu.Unlock()
	h := checkpointHeader{
		Version: checkpointVersion, Model: l.Model.Name, Saved: time.Now(), Vocab: l.Data.Vocab,
		WithOpt: withOpt, FrozenIdx: l.frozenIdx, Iter: l.iter, Epochs: l.trainedEpochs, Note: note,
		Inputs: l.inputSpec(), SavedBy: SavedByHere(),
	}
	if withOpt {
		h.Recorder = recorderState{R: *l.Recorder, SmoothVal: l.Recorder.smoothVal, SmoothCount: l.Recorder.smoothCount}
		h.LRFind = l.lastLRFind
	}
	var values []*tensors.Tensor
	for v := range l.store.IterVariables() {
		if !v.HasValue() || (!withOpt && !isModelVar(v.Path())) {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return fmt.Errorf("%s %s: variable %s: %w", op, path, v.Path(), err)
		}
		// An exported file is served: NaN weights would answer NaN
		// probabilities (trial 2). A saved one may be a diverged fit's,
		// kept to look into.
		if !withOpt {
			if err := CheckFinite(v.Path(), t); err != nil {
				return fmt.Errorf("%s %s: %w", op, path, err)
			}
		}
		h.Vars = append(h.Vars, varMeta{Path: v.Path(), DType: int32(t.DType()), Dims: t.Shape().Dimensions})
		values = append(values, t)
	}
	// The random-number state (and an optimizer's) is no model: a fit
	// refused before its first step leaves it alone (trial 1, W1).
	if !slices.ContainsFunc(h.Vars, func(m varMeta) bool { return isModelVar(m.Path) }) {
		return fmt.Errorf("%s %s: the model has no weights yet: train it or predict once first", op, path)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	removeStaleTemps(path)
	// An interrupt (a notebook's stop button) waits for the save to end,
	// then takes effect: the file is the old state or the new, never lost.
	defer deferInterrupts()()
	f, err := os.CreateTemp(dir, tempPrefix(path)+"*")
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	// Locked while written: another process's save of the same path
	// (a second notebook) tells it from a temporary a killed save left.
	lock := flock.New(f.Name(), flock.SetFlag(os.O_RDONLY))
	if _, lerr := lock.TryLock(); lerr == nil {
		defer lock.Unlock()
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriter(f)
	enc := gob.NewEncoder(w)
	if err = enc.Encode(h); err != nil {
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	for i, t := range values {
		err = t.ConstBytes(func(data []byte) { err = enc.Encode(data) })
		if err != nil {
			return fmt.Errorf("%s %s: variable %s: %w", op, path, h.Vars[i].Path, err)
		}
	}
	if err = w.Flush(); err != nil {
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	if midSave != nil {
		midSave()
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	// CreateTemp makes the file private (0600); a saved or exported
	// learner is a document like any other (a server may run as another user).
	if err = f.Chmod(0o644); err != nil {
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	return nil
}

// CheckFinite returns an error when the weight tensor t of the variable
// path holds a NaN or an infinity (float32 and float64 tensors; others
// have none): what a diverged fit leaves. The error names path, the
// first such element and what to do (retrain with a lower learning rate,
// or load a checkpoint saved before the fit diverged). Export and
// cnn.ExportONNX refuse such weights with it.
func CheckFinite(path string, t *tensors.Tensor) error {
	first, bad := -1, 0.0
	var err error
	switch t.DType() {
	case dtypes.Float32:
		err = tensors.ConstFlatData(t, func(data []float32) { first, bad = firstNonFinite(data) })
	case dtypes.Float64:
		err = tensors.ConstFlatData(t, func(data []float64) { first, bad = firstNonFinite(data) })
	}
	switch {
	case err != nil:
		return fmt.Errorf("variable %s: %w", path, err)
	case first < 0:
		return nil
	}
	return fmt.Errorf("variable %s holds %v (element %d of %d): the fit diverged; retrain with a lower learning rate (LRFind shows where the loss blows up), or Load an earlier checkpoint (one saved before it diverged), then export again",
		path, bad, first, t.Shape().Size())
}

// firstNonFinite returns the index and value of data's first NaN or
// infinity; -1 when there is none.
func firstNonFinite[T float32 | float64](data []T) (int, float64) {
	for i, v := range data {
		if x := float64(v); !finite(x) {
			return i, x
		}
	}
	return -1, 0
}

// midSave, when set (tests), runs while a save's temporary file is
// written and not yet renamed.
var midSave func()

// tempPrefix is the prefix of path's temporary files while it is written.
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp" }

// staleTemps lists the temporary files an interrupted or crashed save of
// path left behind: not those of a save in progress, which holds a lock
// on its temporary (released by the system when a process dies), nor
// those made in the last staleAfter (a save locks its temporary just
// after creating it).
func staleTemps(path string) []string {
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), tempPrefix(path)+"*"))
	var stale []string
	for _, m := range matches {
		if st, err := os.Stat(m); err != nil || time.Since(st.ModTime()) < staleAfter {
			continue
		}
		l := flock.New(m, flock.SetFlag(os.O_RDONLY))
		if ok, err := l.TryLock(); err != nil || !ok {
			continue // being written, or gone meanwhile
		}
		_ = l.Unlock()
		stale = append(stale, m)
	}
	return stale
}

// StaleSaves lists the temporary files that saves of path killed part way
// left behind (an interrupt waits for a save; a kill does not): what such a
// save was writing is lost, the file at path is the state before it. The
// next save of path removes them.
func StaleSaves(path string) []string { return staleTemps(path) }

// staleAfter is how old an unlocked temporary must be to count as stale.
const staleAfter = 5 * time.Second

// removeStaleTemps deletes them.
func removeStaleTemps(path string) {
	for _, m := range staleTemps(path) {
		os.Remove(m)
	}
}

// deferInterrupts holds back SIGINT (and SIGTERM) until the returned
// function is called; one that arrived meanwhile is then delivered again,
// to whatever handles it (by default: the program ends as it would have).
func deferInterrupts() (release func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, interruptSignals...)
	return func() {
		signal.Stop(ch)
		select {
		case sig := <-ch:
			if p, err := os.FindProcess(os.Getpid()); err == nil && p.Signal(sig) == nil {
				time.Sleep(200 * time.Millisecond) // let it take effect before going on
			}
		default:
		}
	}
}

// Load reads a checkpoint written by Save (or Export: weights only) into
// the learner: weights, optimizer state, frozen state and recorder
// (fastai's learn.load).
//
// Errors name path, and nothing is changed: the file is missing, damaged
// or cut short, or is no fastgo learner file (a fastai export, a PyTorch
// file: the error says which, and what reads it); another file version;
// another model (its name, or a variable of another shape); other classes;
// a file holding no model weights, or lacking a variable of the model.
// A learner whose model is not built yet (fresh, never run) checks the
// last when its first graph is built: that fit or prediction returns the
// error.
func (l *Learner) Load(path string) error {
	_, err := l.readCheckpoint(path, loadAll)
	return err
}

// loadScope says how much of a checkpoint readCheckpoint puts back.
type loadScope int

const (
	// loadAll: weights, optimizer state, frozen state, counters, recorder.
	loadAll loadScope = iota
	// loadWeights: the variables only (weights, and the optimizer state
	// when the file has it), as fastai's learn.load; the recorder, the
	// frozen state and the counters stay as they are (SaveModelCallback
	// loading the best epoch at the end of a fit).
	loadWeights
)

func (l *Learner) readCheckpoint(path string, scope loadScope) (*checkpointHeader, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if err := checkGobFraming(f, st.Size()); err != nil {
		if what := identifyFile(path); what != "" {
			return nil, fmt.Errorf("load %s: %s", path, what)
		}
		return nil, fmt.Errorf("load %s: incomplete (cut short in a copy?) or not a fastgo learner checkpoint (%v): copy it again, or delete it and save again", path, err)
	}
	dec := gob.NewDecoder(bufio.NewReader(f))
	var h checkpointHeader
	if err := dec.Decode(&h); err != nil {
		if what := identifyFile(path); what != "" {
			return nil, fmt.Errorf("load %s: %s", path, what)
		}
		return nil, fmt.Errorf("load %s: not a fastgo learner checkpoint (%v): delete it or save again", path, err)
	}
	if err := checkVersion("load", path, h.Version); err != nil {
		return nil, err
	}
	if l.Model.Name != "" && h.Model != "" && h.Model != l.Model.Name {
		return nil, fmt.Errorf("load %s: saved from model %q, this learner's model is %q", path, h.Model, l.Model.Name)
	}
	if len(l.Data.Vocab) > 0 && len(h.Vocab) > 0 && strings.Join(h.Vocab, "\x00") != strings.Join(l.Data.Vocab, "\x00") {
		return nil, fmt.Errorf("load %s: saved with %d classes (%s…), this learner has %d: use the same DataLoaders", path, len(h.Vocab), h.Vocab[0], len(l.Data.Vocab))
	}
	fileVars, err := l.checkModelVars(path, h.Vars)
	if err != nil {
		return nil, err
	}
	values := make([]*tensors.Tensor, len(h.Vars))
	for i, m := range h.Vars {
		shape, err := m.shape(st.Size())
		if err != nil {
			return nil, fmt.Errorf("load %s: variable %s: %w (the file is damaged)", path, m.Path, err)
		}
		if v := l.store.GetVariable(m.Path); v != nil && !v.Shape().Equal(shape) {
			return nil, fmt.Errorf("load %s: variable %s has shape %s in the file but %s in the model", path, m.Path, shape, v.Shape())
		}
		var data []byte
		if err := dec.Decode(&data); err != nil || int64(len(data)) != shape.ByteSize() {
			return nil, fmt.Errorf("load %s: variable %s: cannot read its %d bytes (the file is truncated or damaged)", path, m.Path, shape.ByteSize())
		}
		t := tensors.FromShape(shape)
		if err := t.MutableBytes(func(b []byte) { copy(b, data) }); err != nil {
			return nil, fmt.Errorf("load %s: variable %s: %w", path, m.Path, err)
		}
		values[i] = t
	}
	if h.WithOpt {
		// The file's optimizer state replaces the current one entirely.
		l.clearOptState()
	}
	for i, m := range h.Vars {
		p := m.Path
		if v := l.store.GetVariable(p); v != nil {
			if err := v.SetValue(values[i]); err != nil {
				return nil, fmt.Errorf("load %s: variable %s: %w", path, p, err)
			}
			continue
		}
		v, err := l.store.CreateVariable(p, values[i])
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", path, err)
		}
		if !isModelVar(p) {
			v.SetTrainable(false)
		}
	}
	// A model not built yet learns its variables when its first graph is
	// built: checkFileVars then checks that the file gave each.
	l.fileVars, l.fileName = nil, ""
	if len(l.params) == 0 {
		l.fileVars, l.fileName = fileVars, path
	}
	if h.WithOpt && scope == loadAll {
		l.frozenIdx = min(max(h.FrozenIdx, 0), l.Model.numGroups())
		l.iter, l.trainedEpochs = h.Iter, h.Epochs
		r := h.Recorder.R
		r.smoothVal, r.smoothCount = h.Recorder.SmoothVal, h.Recorder.SmoothCount
		*l.Recorder = r
		l.lastLRFind = h.LRFind
	}
	return &h, nil
}

// checkModelVars checks, before anything changes, that a file's
// variables are the model's: at least one model variable (a file with
// none would change nothing, or leave a fresh model's random weights),
// every model variable the learner's store holds, and, once the model is
// built (its variables all known), none the model lacks. It returns the
// file's model variables. The caller holds l.mu.
func (l *Learner) checkModelVars(path string, vars []varMeta) (map[string]bool, error) {
	inFile := map[string]bool{}
	for _, m := range vars {
		if isModelVar(m.Path) {
			inFile[m.Path] = true
		}
	}
	if len(inFile) == 0 {
		return nil, fmt.Errorf("load %s: the file holds no model weights, only %d other values (written by a fastgo that saved a learner before its first training step): save or export the learner again once it is trained", path, len(vars))
	}
	if err := l.missingFileVar(path, inFile); err != nil {
		return nil, err
	}
	if len(l.params) > 0 {
		for _, m := range vars {
			if inFile[m.Path] && l.store.GetVariable(m.Path) == nil {
				return nil, fmt.Errorf("load %s: the file's variable %s is not in this learner's model %q: it was saved from another model", path, m.Path, l.Model.Name)
			}
		}
	}
	return inFile, nil
}

// checkFileVars runs while a graph is built: every model variable must
// have come from the file the learner loaded before its model was built
// (else the variable would start from random values, silently). The
// caller holds l.mu.
func (l *Learner) checkFileVars() {
	if l.fileVars == nil {
		return
	}
	if err := l.missingFileVar(l.fileName, l.fileVars); err != nil {
		l.buildErr = err
		panic(err)
	}
	l.fileVars, l.fileName = nil, "" // checked: the model's variables are all known now
}

// missingFileVar is the error for the first model variable of the store
// that the file path did not hold (inFile: the file's model variables),
// or nil. The caller holds l.mu.
func (l *Learner) missingFileVar(path string, inFile map[string]bool) error {
	for v := range l.store.IterVariables() {
		if p := v.Path(); isModelVar(p) && !inFile[p] {
			return fmt.Errorf("load %s: the file lacks the model's variable %s: it was saved from another model (this learner's is %q), or before its model was complete; save or export it again from the learner that trained it", path, p, l.Model.Name)
		}
	}
	return nil
}

// checkVersion says what to do with a file of another layout version: a
// newer fastgo wrote it (update fastgo), or an older one (export again).
func checkVersion(op, path string, version int) error {
	switch {
	case version == checkpointVersion:
		return nil
	case version > checkpointVersion:
		return fmt.Errorf("%s %s: written by a newer fastgo (file version %d; this fastgo reads version %d): update fastgo (go get -u github.com/fastgo-ml/fastgo, or install a newer fastgo command)", op, path, version, checkpointVersion)
	case version < 1:
		return fmt.Errorf("%s %s: not a fastgo learner file (no file version): export the learner with learner.Export", op, path)
	}
	return fmt.Errorf("%s %s: written by an older fastgo (file version %d; this fastgo reads version %d): export the learner again with this fastgo", op, path, version, checkpointVersion)
}

// shape validates the saved dtype and dimensions: the data must fit in a
// file of fileSize bytes (so a damaged header cannot ask for a huge
// allocation).
func (m varMeta) shape(fileSize int64) (shapes.Shape, error) {
	dt := dtypes.DType(m.DType)
	if !slices.Contains(dtypes.DTypeValues(), dt) || dt == dtypes.InvalidDType || dt.Size() == 0 {
		return shapes.Shape{}, fmt.Errorf("unknown dtype %d", m.DType)
	}
	size := int64(dt.Size())
	for _, d := range m.Dims {
		if d < 0 || (d > 0 && size > fileSize/int64(d)) {
			return shapes.Shape{}, fmt.Errorf("dimensions %v do not fit in the file", m.Dims)
		}
		size *= int64(d)
	}
	if size > fileSize {
		return shapes.Shape{}, fmt.Errorf("dimensions %v do not fit in the file", m.Dims)
	}
	return shapes.Make(dt, m.Dims...), nil
}

// checkGobFraming walks the gob messages of f (each a length then that
// many bytes) and checks that every length fits in the file, so that a
// damaged length cannot make the decoder allocate up to a gigabyte. It
// leaves f at its start.
func checkGobFraming(f *os.File, size int64) error {
	r := bufio.NewReader(f)
	var pos int64
	for pos < size {
		b, err := r.ReadByte()
		if err != nil {
			return err
		}
		pos++
		n := uint64(b)
		if b >= 0x80 { // -(byte count), then big-endian bytes
			k := int(-int8(b))
			if k < 1 || k > 8 {
				return fmt.Errorf("bad message length at byte %d", pos-1)
			}
			n = 0
			for range k {
				c, err := r.ReadByte()
				if err != nil {
					return err
				}
				n = n<<8 | uint64(c)
			}
			pos += int64(k)
		}
		if n > uint64(size-pos) {
			return fmt.Errorf("message of %d bytes at byte %d in a file of %d", n, pos, size)
		}
		if _, err := r.Discard(int(n)); err != nil {
			return err
		}
		pos += int64(n)
	}
	_, err := f.Seek(0, io.SeekStart)
	return err
}

// InputSpec is how an exported model's inputs were prepared: the item
// transforms each image went through on the CPU, then the batch
// transforms run in the graph (in validation mode when predicting).
type InputSpec struct {
	ItemTfms, BatchTfms []fastgo.TransformSpec
}

// ExportInfo is what an exported file says about its model, read without
// loading the weights.
type ExportInfo struct {
	// Model is the model's name (for cnn.Learner, the architecture: "resnet34").
	Model string
	// Vocab is the class names, in the model's output order.
	Vocab []string
	// Inputs is how images were prepared; nil when the learner had a
	// transform that cannot describe itself.
	Inputs *InputSpec
	// Saved is when the file was written.
	Saved time.Time
	// Note says what the state followed, when a Keeper saved it
	// (SaveState): "fit", "lrfind", "freeze"; "export" for Export.
	Note string
	// SavedBy is the notebook or program that wrote the file (see
	// SavedByHere); "" when it could not tell, or for older files.
	SavedBy string
}

// SavedByHere is what a learner file written by this process records as
// its SavedBy: "notebook PATH" in a Jupyter notebook (the server's
// JPY_SESSION_NAME, the notebook's path), "program NAME" outside one, ""
// in a notebook whose Jupyter does not say which it is. Persistence uses
// it to tell a notebook's saved learner from a copy's of the same name.
func SavedByHere() string {
	if nb := os.Getenv("JPY_SESSION_NAME"); nb != "" {
		return "notebook " + nb
	}
	if display.InNotebook() {
		return ""
	}
	return "program " + filepath.Base(os.Args[0])
}

// ReadExport reads the description at the start of a file written by
// Export (or Save). Errors name the file: missing, not a fastgo learner
// file, or another file version.
func ReadExport(path string) (ExportInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return ExportInfo{}, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ExportInfo{}, fmt.Errorf("read %s: %w", path, err)
	}
	if err := checkGobFraming(f, st.Size()); err != nil {
		if what := identifyFile(path); what != "" {
			return ExportInfo{}, fmt.Errorf("read %s: %s", path, what)
		}
		return ExportInfo{}, fmt.Errorf("read %s: incomplete (cut short in a copy?) or not a fastgo learner file (%v): copy it again, or export it with learner.Export", path, err)
	}
	var h checkpointHeader
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&h); err != nil {
		if what := identifyFile(path); what != "" {
			return ExportInfo{}, fmt.Errorf("read %s: %s", path, what)
		}
		return ExportInfo{}, fmt.Errorf("read %s: not a fastgo learner file (%v): export it with learner.Export", path, err)
	}
	if err := checkVersion("read", path, h.Version); err != nil {
		return ExportInfo{}, err
	}
	return ExportInfo{Model: h.Model, Vocab: h.Vocab, Inputs: h.Inputs, Saved: h.Saved, Note: h.Note, SavedBy: h.SavedBy}, nil
}

// LoadExported creates an inference learner from a file written by Export
// (fastai's load_learner): the same model description m and the
// validation batch transforms are needed (the graph code is not stored in
// the file; cnn.LoadPredictor rebuilds both for a cnn.Learner's file). The
// learner has the file's weights and vocabulary and no training data:
// Predict, PredictFloat and GetPreds work, fits do not. opts are New's.
//
// Errors: New's (an option's, a nil Model.Build); Load's, naming path (a
// missing, damaged or foreign file, another version or model, no model
// weights); a variable of m missing from the file is reported by the
// first prediction, when m's variables become known.
func LoadExported(path string, m Model, batchTfms []fastgo.BatchTransform, opts ...Option) (*Learner, error) {
	l, err := New(Data{BatchTfms: batchTfms}, m, opts...)
	if err != nil {
		return nil, err
	}
	h, err := l.readCheckpoint(path, loadAll)
	if err != nil {
		return nil, err
	}
	l.Data.Vocab = h.Vocab
	return l, nil
}
