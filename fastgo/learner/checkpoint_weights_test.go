package learner

import (
	"bufio"
	"encoding/gob"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// noisyTiny is tinyModel with dropout-like noise in training: its
// training graph draws from the store's random-number generator, as
// fastai's head (Dropout) does, which gives the store a variable of its
// own (model.RNGStateVariableName).
func noisyTiny() Model {
	m := tinyModel(4)
	build := m.Build
	m.Build = func(scope *model.Scope, x *graph.Node, train bool) *graph.Node {
		if train {
			noise := scope.RandomUniform(x.Graph(), x.Shape())
			x = graph.Add(x, graph.MulScalar(noise, 1e-3))
		}
		return build(scope, x, train)
	}
	return m
}

// refuseStep refuses every training step once its graph is built, as
// the cache or memory check does when the disk or the machine is too
// small.
type refuseStep struct{}

func (refuseStep) CheckStep(*Learner, TrainStep) error {
	return errors.New("refused: the cache has 20.0M free")
}

// rewriteCheckpoint copies the learner file src to dst with only the
// variables keep accepts.
func rewriteCheckpoint(t *testing.T, src, dst string, keep func(path string) bool) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	dec := gob.NewDecoder(bufio.NewReader(in))
	var h checkpointHeader
	if err := dec.Decode(&h); err != nil {
		t.Fatal(err)
	}
	var vars []varMeta
	var values [][]byte
	for _, m := range h.Vars {
		var data []byte
		if err := dec.Decode(&data); err != nil {
			t.Fatal(err)
		}
		if keep(m.Path) {
			vars, values = append(vars, m), append(values, data)
		}
	}
	h.Vars = vars
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	enc := gob.NewEncoder(out)
	if err := enc.Encode(h); err != nil {
		t.Fatal(err)
	}
	for _, v := range values {
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
}

// W1 (trial 1): a fit refused before any step (the cache check) left the
// random-number state as the only variable with a value, and Save wrote
// it as a learner file with no weights, without an error. Now Save
// writes the model as it is, every variable initialised (P5), and the
// file replaces a trained learner's weights when loaded.
func TestSaveAfterARefusedFitHoldsTheWholeModel(t *testing.T) {
	l, err := New(tinyData(4), noisyTiny(), WithBackend(testBackend()), Callbacks(refuseStep{}))
	if err != nil {
		t.Fatal(err)
	}
	l.Quiet = true
	if err := l.Fit(1, 1e-3); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Fit: err = %v, want the step checker's refusal", err)
	}
	if v := l.store.GetVariable("/" + model.RNGStateVariableName); v == nil || !v.HasValue() {
		t.Fatal("the refused fit left no random-number state: the test no longer reproduces the trial's file")
	}
	path := filepath.Join(t.TempDir(), "x.learner")
	if err := l.Save(path); err != nil {
		t.Fatalf("Save of an untrained learner: %v", err)
	}
	want := modelValues(t, l)
	if len(want) != 8 {
		t.Errorf("the saved learner has %d model variables with values, want the tiny model's 8", len(want))
	}
	trained := newTiny(t, Seed(7))
	if err := trained.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	if err := trained.Load(path); err != nil {
		t.Fatal(err)
	}
	if got := modelValues(t, trained); !sameValues(got, want) {
		t.Error("Load of the untrained learner's file left other weights than the file's")
	}
}

// A learner with no weights and no data to build its model from has
// nothing to save: refused, saying so.
func TestSaveRefusesAModelWithoutWeightsOrData(t *testing.T) {
	l, err := New(Data{Vocab: []string{"a", "b", "c", "d"}}, tinyModel(4), WithBackend(testBackend()))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "x.learner")
	if err := l.Export(path); err == nil || !strings.Contains(err.Error(), "no weights") {
		t.Errorf("Export: err = %v, want one saying the model has no weights yet", err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Errorf("Export refused but wrote %s", path)
	}
}

// A file holding no model variable (what Save wrote before the fix: the
// random-number state only) is refused by Load and LoadExported, instead
// of changing nothing or serving the random weights of a fresh model.
func TestLoadRefusesAFileWithoutModelWeights(t *testing.T) {
	l := newTiny(t)
	if err := l.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(t.TempDir(), "full.learner")
	if err := l.Save(full); err != nil {
		t.Fatal(err)
	}
	rngOnly := filepath.Join(t.TempDir(), "rng.learner")
	rewriteCheckpoint(t, full, rngOnly, func(p string) bool { return p == "/"+model.RNGStateVariableName })
	before := modelValues(t, l)
	if err := l.Load(rngOnly); err == nil || !strings.Contains(err.Error(), "rng.learner") || !strings.Contains(err.Error(), "no model weights") {
		t.Errorf("Load: err = %v, want one naming the file and saying it holds no model weights", err)
	}
	if after := modelValues(t, l); !sameValues(before, after) {
		t.Error("the refused Load changed the weights")
	}
	if _, err := LoadExported(rngOnly, tinyModel(4), nil, WithBackend(testBackend())); err == nil || !strings.Contains(err.Error(), "no model weights") {
		t.Errorf("LoadExported: err = %v, want one saying the file holds no model weights", err)
	}
}

// Every model variable must come from the file: one missing is refused,
// whether the learner's model is built (Load) or not yet (LoadExported:
// at the first prediction, when the model's variables become known).
func TestLoadRefusesAFileMissingAModelVariable(t *testing.T) {
	// A model with inference weights of its own (folded batch norm) reads
	// the file's variables through Model.Inference's derivation: checked there.
	for name, m := range map[string]func() Model{"plain": func() Model { return tinyModel(4) }, "folded": func() Model { return tinyFoldedModel(4) }} {
		t.Run(name, func(t *testing.T) { loadRefusesMissingVariable(t, m) })
	}
}

func loadRefusesMissingVariable(t *testing.T, newModel func() Model) {
	l := newTinyOf(t, newModel())
	if err := l.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(t.TempDir(), "full.learner")
	if err := l.Export(full); err != nil {
		t.Fatal(err)
	}
	noHead := filepath.Join(t.TempDir(), "nohead.learner")
	rewriteCheckpoint(t, full, noHead, func(p string) bool { return !strings.HasPrefix(p, "/head/") })

	trained := newTinyOf(t, newModel())
	if err := trained.Fit(1, 1e-3); err != nil {
		t.Fatal(err)
	}
	if err := trained.Load(noHead); err == nil || !strings.Contains(err.Error(), "/head/") {
		t.Errorf("Load into a built model: err = %v, want one naming the missing /head/ variable", err)
	}

	inf, err := LoadExported(noHead, newModel(), nil, WithBackend(testBackend()))
	if err != nil {
		t.Fatalf("LoadExported: %v (the model's variables are not known before it is built)", err)
	}
	b := firstBatch(t, l.Data.Valid)
	for range 2 { // refused every time, not only at the first build
		if _, err := inf.Predict(b.X); err == nil || !strings.Contains(err.Error(), "/head/") || !strings.Contains(err.Error(), "nohead.learner") {
			t.Errorf("Predict with a file missing the head: err = %v, want one naming the file and the missing variable", err)
		}
	}

	// The complete file still loads and predicts.
	ok, err := LoadExported(full, newModel(), nil, WithBackend(testBackend()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ok.Predict(b.X); err != nil {
		t.Errorf("Predict with the complete file: %v", err)
	}
}

// sameValues says whether two modelValues maps hold the same values.
func sameValues(a, b map[string][]float32) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		w, ok := b[k]
		if !ok || len(v) != len(w) {
			return false
		}
		for i := range v {
			if v[i] != w[i] {
				return false
			}
		}
	}
	return true
}

// P5 (trial 1): a fresh learner could not be exported ("train or predict
// once first"); Export initialises its weights, and the file predicts as
// the learner does.
func TestExportOfAFreshLearner(t *testing.T) {
	l := newTiny(t)
	path := filepath.Join(t.TempDir(), "fresh.learner")
	if err := l.Export(path); err != nil {
		t.Fatalf("Export of a fresh learner: %v", err)
	}
	inf, err := LoadExported(path, tinyModel(4), nil, WithBackend(testBackend()))
	if err != nil {
		t.Fatal(err)
	}
	samePredictions(t, "the export", inf, "the learner", l, firstBatch(t, l.Data.Valid).X)
}

// bodyBiasInit sets one body variable before the model is built, as
// cnn.Learner's pretrained weights do for the body only.
func bodyBiasInit(s *model.Store) error {
	_, err := s.CreateVariable("/body/fc/bias", tensors.FromFlatDataAndDimensions(make([]float32, 16), 16))
	return err
}

// A model whose body came from InitStore (pretrained weights) and whose
// head was not built yet: its file must hold the head too (it held the
// body only, and served a random head).
func TestExportCompletesAPartlyInitialisedModel(t *testing.T) {
	l := newTiny(t, InitStore(bodyBiasInit))
	path := filepath.Join(t.TempDir(), "partial.learner")
	if err := l.Export(path); err != nil {
		t.Fatal(err)
	}
	inf, err := LoadExported(path, tinyModel(4), nil, WithBackend(testBackend()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inf.Predict(firstBatch(t, l.Data.Valid).X); err != nil {
		t.Errorf("Predict with the export of a partly initialised model: %v", err)
	}
}

// LRFind on such a model restored the body but left the head as the
// sweep's last, diverging rates had trained it: the head must start from
// its initial values, as after any other first graph.
func TestLRFindRestoresAHeadItBuilt(t *testing.T) {
	l := newTiny(t, InitStore(bodyBiasInit))
	if _, err := l.LRFind(NumIt(20)); err != nil {
		t.Fatal(err)
	}
	ref := newTiny(t, InitStore(bodyBiasInit))
	if _, err := ref.GetPreds(nil); err != nil { // builds and initialises the model
		t.Fatal(err)
	}
	got, want := modelValues(t, l), modelValues(t, ref)
	for p, w := range want {
		if !slices.Equal(got[p], w) {
			t.Errorf("%s after LRFind differs from its initial values", p)
		}
	}
}
