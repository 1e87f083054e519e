package cnn

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/learner/persist"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/fastgo/vision/augment"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
	"github.com/gomlx/gomlx/core/tensors"
)

// exportTinyPets trains nothing: it builds a random-weight ResNet18 learner
// on the bundled images (Abyssinian_1.jpg, of the one breed with two
// images, for validation), takes its validation predictions and exports it.
// It returns the loaders, those predictions and the exported file.
func exportTinyPets(t *testing.T) (*fastgo.DataLoaders, *learner.Preds, string) {
	t.Helper()
	valid := map[string]bool{"Abyssinian_1.jpg": true}
	pets := fastgo.DataBlock{
		Blocks:    fastgo.Blocks{X: vision.ImageBlock(), Y: fastgo.CategoryBlock()},
		GetItems:  fastgo.GetImageFiles,
		Splitter:  fastgo.FuncSplitter(func(p fastgo.Path) bool { return valid[p.Name()] }),
		GetY:      fastgo.UsingName(fastgo.RegexLabeller(`^(.+?)_\d+\.jpg$`)),
		ItemTfms:  []fastgo.ItemTransform{vision.Resize(40, vision.WithMethod(vision.Squish))},
		BatchTfms: []fastgo.BatchTransform{augment.MustAugTransforms(32, augment.MinScale(0.75)), augment.MustNormalize(augment.ImagenetStats())},
	}
	dls, err := pets.DataLoaders("../../../testdata/images", fastgo.WithBatchSize(4))
	if err != nil {
		t.Fatal(err)
	}
	l, err := Learner(dls, models.ResNet18, Pretrained(false), persist.Off(), learner.Output(nil))
	if err != nil {
		t.Fatal(err)
	}
	preds, err := l.GetPreds(nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pets.learner")
	if err := l.Export(path); err != nil {
		t.Fatal(err)
	}
	return dls, preds, path
}

// An exported CNN learner, loaded by LoadPredictor from the file alone,
// gives the validation set the probabilities GetPreds gave it: the file
// carries the architecture, the classes and how images were prepared.
func TestPredictorMatchesTheValidationPipeline(t *testing.T) {
	dls, want, path := exportTinyPets(t)
	p, err := LoadPredictor(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.Arch.Name != "resnet18" || strings.Join(p.Vocab, ",") != strings.Join(dls.Vocab.Items(), ",") {
		t.Errorf("arch %s, vocab %v: want resnet18 and %v", p.Arch.Name, p.Vocab, dls.Vocab.Items())
	}
	var files []string
	for _, item := range dls.Valid.Dataset.Items {
		files = append(files, string(item))
	}
	got, err := p.PredictFiles(files...)
	if err != nil {
		t.Fatal(err)
	}
	c := want.NumClasses
	for i, pred := range got {
		for j, v := range pred.Probs {
			if w := want.Probs[i*c+j]; math.Abs(float64(v-w)) > 1e-5 {
				t.Fatalf("image %d class %d: %g, GetPreds gave %g", i, j, v, w)
			}
		}
		// In a batch with other images, the same probabilities.
		batch, err := p.PredictFiles(append(files, "../../../testdata/images/pug_166.jpg", "../../../testdata/images/Sphynx_247.jpg")...)
		if err != nil {
			t.Fatal(err)
		}
		for j, v := range batch[i].Probs {
			if math.Abs(float64(v-pred.Probs[j])) > 1e-5 {
				t.Fatalf("image %d in a batch of %d: class %d %g, alone %g", i, len(batch), j, v, pred.Probs[j])
			}
		}
		top := p.TopK(pred, 2)
		if len(top) != 2 || top[0].Class != pred.Class || top[0].Prob < top[1].Prob {
			t.Errorf("TopK(2) = %v for a prediction of %q", top, pred.Class)
		}
	}
}

func TestLoadPredictorErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	notModel := filepath.Join(dir, "cat.jpg")
	if err := os.WriteFile(notModel, []byte("\xff\xd8\xff\xe0 not a learner"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct{ path, want string }{
		"missing":     {filepath.Join(dir, "nope.learner"), "nope.learner"},
		"not a model": {notModel, "not a fastgo learner file"},
	} {
		if _, err := LoadPredictor(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, tc.want)
		}
	}
}

// A model file whose weights were corrupted gave "Abyssinian NaN" and exit
// status 0 (a user trial): a non-finite output is an error.
func TestPredictorRefusesNonFiniteOutputs(t *testing.T) {
	_, _, path := exportTinyPets(t)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("exported file mode %v, want 0644 (readable by a server running as another user)", fi.Mode().Perm())
	}
	p, err := LoadPredictor(path)
	if err != nil {
		t.Fatal(err)
	}
	// Corrupt the head's last bias as 0xff bytes in a file would: NaN.
	for v := range p.Learner.Store().IterVariables() {
		if strings.HasSuffix(v.Path(), "bias") && strings.Contains(v.Path(), "head") {
			val, err := v.Value()
			if err != nil {
				t.Fatal(err)
			}
			nan := make([]float32, val.Shape().Size())
			for i := range nan {
				nan[i] = float32(math.NaN())
			}
			if err := v.SetValue(tensors.FromFlatDataAndDimensions(nan, val.Shape().Dimensions...)); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, err = p.PredictFiles("../../../testdata/images/pug_166.jpg")
	if err == nil || !strings.Contains(err.Error(), "NaN") || !strings.Contains(err.Error(), "export the learner again") {
		t.Errorf("NaN weights: %v, want an error naming the broken output", err)
	}
}

// A Predictor shared by many goroutines (a server's handlers) gives each
// the answer one goroutine gets (run with -race).
func TestPredictorConcurrentUse(t *testing.T) {
	_, _, path := exportTinyPets(t)
	p, err := LoadPredictor(path)
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"../../../testdata/images/pug_166.jpg", "../../../testdata/images/Sphynx_247.jpg"}
	want, err := p.PredictFiles(files...)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			got, err := p.PredictFiles(files...)
			if err != nil {
				errs <- err
				return
			}
			for i := range got {
				if !slices.Equal(got[i].Probs, want[i].Probs) {
					errs <- fmt.Errorf("image %d: %v concurrently, %v alone", i, got[i].Probs, want[i].Probs)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
