package cnn

import (
	"errors"
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
	"github.com/fastgo-ml/fastgo/internal/testutil/testpets"
	"github.com/gomlx/gomlx/core/tensors"
)

// exportTinyPets trains nothing: it builds a random-weight ResNet18 learner
// on the bundled images (Abyssinian_1.jpg, of the one breed with two
// images, for validation), takes its validation predictions and exports it.
// It returns the loaders, those predictions and the exported file.
func exportTinyPets(t *testing.T) (*fastgo.DataLoaders, *learner.Preds, string) {
	t.Helper()
	dls := testpets.PetLoaders(t, vision.ImageBlock(),
		[]fastgo.ItemTransform{vision.Resize(40, vision.WithMethod(vision.Squish))},
		[]fastgo.BatchTransform{augment.MustAugTransforms(32, augment.MinScale(0.75)), augment.MustNormalize(augment.ImagenetStats())})
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
		"missing":  {filepath.Join(dir, "nope.learner"), "nope.learner"},
		"an image": {notModel, "is an image (JPEG), not a model"},
		"a folder": {dir, "is a folder, not a model file"},
		"unrecognised bytes": {func() string {
			p := filepath.Join(dir, "some.zip")
			if err := os.WriteFile(p, []byte("PK\x05\x06"+strings.Repeat("\x00", 18)), 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}(), "not a fastgo learner file"},
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

// TestPredictRefusesUnpreparedImages: Predict accepted a decoded image
// that skipped Prepare (a different probability, and a new graph per new
// shape: a server leaking compiled graphs), answered an empty image with
// GoMLX's compile error, and answered images of two sizes with DataBlock
// advice. Each is refused, naming the image, its size and what to do.
func TestPredictRefusesUnpreparedImages(t *testing.T) {
	p, err := LoadPredictor(fastaiFile("resnet34_aug.pkl"), quietBackend()...)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.InputSize(); got != 48 {
		t.Fatalf("InputSize() = %d, want the file's Resize(48)", got)
	}
	const file = "../../../testdata/images/pug_166.jpg"
	prepared, err := p.Prepare(readFile(t, file), file)
	if err != nil {
		t.Fatal(err)
	}
	raw := vision.MustLoadImage(file)
	small := vision.ResizeImage(prepared, 40, 40)
	for name, tc := range map[string]struct {
		images []vision.Image
		want   string
	}{
		"decoded, not prepared": {[]vision.Image{raw}, fmt.Sprintf("image 0 is %d×%d, not the 48×48 this model's images are prepared to", raw.W, raw.H)},
		"empty":                 {[]vision.Image{prepared, {}}, "image 1 is empty (0×0)"},
		"two sizes":             {[]vision.Image{prepared, small}, "image 1 is 40×40, not the 48×48"},
		"short pixels":          {[]vision.Image{{W: 48, H: 48, Pix: make([]byte, 10)}}, "holds 10 bytes, want 6912"},
	} {
		_, err := p.Predict(tc.images)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "Predictor.Prepare") ||
			!strings.Contains(err.Error(), "PredictFiles") || strings.Contains(err.Error(), "ItemTfms") || strings.Contains(err.Error(), "compil") {
			t.Errorf("%s: %v, want %q and how to prepare images", name, err, tc.want)
		}
	}
}

// TestPredictBatchSizesCompileFewGraphs: Predict with every batch size
// from 1 to 33 works (GoMLX compiles a graph per input shape and refuses
// the 33rd: a server calling Predict with whatever number of images came
// in would stop), and a padded batch answers as the images alone do.
func TestPredictBatchSizesCompileFewGraphs(t *testing.T) {
	_, _, path := exportTinyPets(t)
	p, err := LoadPredictor(path, quietBackend()...)
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"../../../testdata/images/pug_166.jpg", "../../../testdata/images/Sphynx_247.jpg", "../../../testdata/images/Abyssinian_1.jpg"}
	var images []vision.Image
	for _, f := range files {
		m, err := p.Prepare(readFile(t, f), f)
		if err != nil {
			t.Fatal(err)
		}
		images = append(images, m)
	}
	three, err := p.Predict(images)
	if err != nil || len(three) != 3 {
		t.Fatalf("Predict of 3 images: %d predictions, %v", len(three), err)
	}
	for i, m := range images {
		one, err := p.Predict([]vision.Image{m})
		if err != nil {
			t.Fatal(err)
		}
		for j := range one[0].Probs {
			if d := math.Abs(float64(one[0].Probs[j] - three[i].Probs[j])); d > 1e-5 {
				t.Errorf("image %d class %d: %v alone, %v in a batch of 3 (padded to 4)", i, j, one[0].Probs[j], three[i].Probs[j])
			}
		}
	}
	for n := 1; n <= 33; n++ {
		batch := make([]vision.Image, n)
		for i := range batch {
			batch[i] = images[i%len(images)]
		}
		preds, err := p.Predict(batch)
		if err != nil {
			t.Fatalf("Predict of %d images: %v", n, err)
		}
		if len(preds) != n {
			t.Fatalf("Predict of %d images: %d predictions", n, len(preds))
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestPredictFilesExplainsDanglingLinks: a symbolic link to nothing
// (git-annex content not fetched) gave PredictFiles a bare "no such file
// or directory", while vision.LoadImage explains it: both read files
// through vision.ReadImageFile.
func TestPredictFilesExplainsDanglingLinks(t *testing.T) {
	p, err := LoadPredictor(fastaiFile("resnet34_aug.pkl"), quietBackend()...)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "dangling.jpg")
	if err := os.Symlink(filepath.Join(dir, ".git", "annex", "objects", "pug.jpg"), link); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	_, want := vision.LoadImage(link)
	_, err = p.PredictFiles("../../../testdata/images/pug_166.jpg", link)
	var de *vision.DecodeError
	if err == nil || want == nil || err.Error() != want.Error() || !errors.As(err, &de) || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("PredictFiles with a dangling link: %v\nwant LoadImage's %v", err, want)
	}
	if _, err := p.PrepareFile(dir); err == nil || !strings.Contains(err.Error(), "is a folder") {
		t.Errorf("PrepareFile of a folder: %v", err)
	}
}
