package learner

import (
	"bufio"
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/gomlx/core/tensors"
)

// checkpointVersion is bumped when the file layout changes.
const checkpointVersion = 1

// checkpointHeader is the first gob value of a checkpoint; the variables'
// tensors follow, in Vars order.
type checkpointHeader struct {
	Version   int
	Model     string
	Saved     time.Time
	Vocab     []string
	Vars      []string
	WithOpt   bool
	FrozenIdx int
	Iter      uint64
	Epochs    int
	Recorder  recorderState
	LRFind    *LRFindResult
	Note      string
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
func (l *Learner) Save(path string) error {
	return l.writeCheckpoint(path, true, "")
}

// Export writes what inference needs to path: the model weights and the
// vocabulary, no optimizer state (fastai's learn.export). Read it back
// with LoadExported.
func (l *Learner) Export(path string) error {
	return l.writeCheckpoint(path, false, "export")
}

func (l *Learner) writeCheckpoint(path string, withOpt bool, note string) (err error) {
	h := checkpointHeader{
		Version: checkpointVersion, Model: l.Model.Name, Saved: time.Now(), Vocab: l.Data.Vocab,
		WithOpt: withOpt, FrozenIdx: l.frozenIdx, Iter: l.iter, Epochs: l.trainedEpochs, Note: note,
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
			return fmt.Errorf("save %s: variable %s: %w", path, v.Path(), err)
		}
		h.Vars = append(h.Vars, v.Path())
		values = append(values, t)
	}
	if len(h.Vars) == 0 {
		return fmt.Errorf("save %s: the model has no weights yet (train or predict once first)", path)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
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
		return fmt.Errorf("save %s: %w", path, err)
	}
	for i, t := range values {
		if err = t.GobSerialize(enc); err != nil {
			return fmt.Errorf("save %s: variable %s: %w", path, h.Vars[i], err)
		}
	}
	if err = w.Flush(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}

// Load reads a checkpoint written by Save (or Export: weights only) into
// the learner: weights, optimizer state, frozen state and recorder.
func (l *Learner) Load(path string) error {
	_, err := l.readCheckpoint(path)
	return err
}

func (l *Learner) readCheckpoint(path string) (*checkpointHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	defer f.Close()
	dec := gob.NewDecoder(bufio.NewReader(f))
	var h checkpointHeader
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("load %s: not a fastgo learner checkpoint (%v): delete it or save again", path, err)
	}
	if h.Version != checkpointVersion {
		return nil, fmt.Errorf("load %s: checkpoint version %d, this fastgo reads version %d: save it again", path, h.Version, checkpointVersion)
	}
	if l.Model.Name != "" && h.Model != "" && h.Model != l.Model.Name {
		return nil, fmt.Errorf("load %s: saved from model %q, this learner's model is %q", path, h.Model, l.Model.Name)
	}
	if len(l.Data.Vocab) > 0 && len(h.Vocab) > 0 && strings.Join(h.Vocab, "\x00") != strings.Join(l.Data.Vocab, "\x00") {
		return nil, fmt.Errorf("load %s: saved with %d classes (%s…), this learner has %d: use the same DataLoaders", path, len(h.Vocab), h.Vocab[0], len(l.Data.Vocab))
	}
	values := make([]*tensors.Tensor, len(h.Vars))
	for i, p := range h.Vars {
		t, err := tensors.GobDeserialize(dec)
		if err != nil {
			return nil, fmt.Errorf("load %s: variable %s: %w (the file is truncated or damaged)", path, p, err)
		}
		if v := l.store.GetVariable(p); v != nil && !v.Shape().Equal(t.Shape()) {
			return nil, fmt.Errorf("load %s: variable %s has shape %s in the file but %s in the model", path, p, t.Shape(), v.Shape())
		}
		values[i] = t
	}
	if h.WithOpt {
		// The file's optimizer state replaces the current one entirely.
		l.clearOptState()
	}
	for i, p := range h.Vars {
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
	if h.WithOpt {
		l.frozenIdx = min(max(h.FrozenIdx, 0), l.Model.numGroups()-1)
		l.iter, l.trainedEpochs = h.Iter, h.Epochs
		r := h.Recorder.R
		r.smoothVal, r.smoothCount = h.Recorder.SmoothVal, h.Recorder.SmoothCount
		*l.Recorder = r
		l.lastLRFind = h.LRFind
	}
	return &h, nil
}
