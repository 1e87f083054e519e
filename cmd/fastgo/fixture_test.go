package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/learner/persist"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/fastgo/vision/augment"
	"github.com/fastgo-ml/fastgo/fastgo/vision/cnn"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
)

// images is the repository's bundled sample: 9 pets, 8 breeds.
const images = "../../testdata/images"

// shared holds what the tests build once: a tiny trained model and the
// fastgo binary, in a folder TestMain removes.
var shared struct {
	dir string

	modelOnce sync.Once
	model     string
	modelErr  error

	binOnce sync.Once
	bin     string
	binErr  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

func sharedDir(t testing.TB) string {
	if shared.dir == "" {
		d, err := os.MkdirTemp("", "fastgo-cmd-test-")
		if err != nil {
			t.Fatal(err)
		}
		shared.dir = d
	}
	return shared.dir
}

// testModel is the path of a ResNet18 on 32 px images (Resize(40) then
// AugTransforms(32)), trained one epoch on the sample and exported.
func testModel(t testing.TB) string {
	t.Helper()
	dir := sharedDir(t)
	shared.modelOnce.Do(func() {
		valid := map[string]bool{"Abyssinian_1.jpg": true}
		pets := fastgo.DataBlock{
			Blocks:    fastgo.Blocks{X: vision.ImageBlock(), Y: fastgo.CategoryBlock()},
			GetItems:  fastgo.GetImageFiles,
			Splitter:  fastgo.FuncSplitter(func(p fastgo.Path) bool { return valid[p.Name()] }),
			GetY:      fastgo.UsingName(fastgo.RegexLabeller(`^(.+?)_\d+\.jpg$`)),
			ItemTfms:  []fastgo.ItemTransform{vision.Resize(40, vision.WithMethod(vision.Squish))},
			BatchTfms: []fastgo.BatchTransform{augment.MustAugTransforms(32, augment.MinScale(0.75)), augment.MustNormalize(augment.ImagenetStats())},
		}
		dls, err := pets.DataLoaders(images, fastgo.WithBatchSize(4))
		if err != nil {
			shared.modelErr = err
			return
		}
		l, err := cnn.Learner(dls, models.ResNet18, cnn.Pretrained(false),
			persist.Off(), learner.Output(io.Discard))
		if err != nil {
			shared.modelErr = err
			return
		}
		if shared.modelErr = l.Fit(1, 1e-3); shared.modelErr != nil {
			return
		}
		shared.model = filepath.Join(dir, "pets.learner")
		shared.modelErr = l.Export(shared.model)
	})
	if shared.modelErr != nil {
		t.Fatalf("building the test model: %v", shared.modelErr)
	}
	return shared.model
}

// testBinary is the fastgo command built as users get it: pure Go, one
// static binary (CGO_ENABLED=0). $FASTGO_TEST_BINARY names another build
// to test instead (-race, -tags xla).
func testBinary(t testing.TB) string {
	t.Helper()
	if b := os.Getenv("FASTGO_TEST_BINARY"); b != "" {
		return b
	}
	dir := sharedDir(t)
	shared.binOnce.Do(func() {
		shared.bin = filepath.Join(dir, "fastgo")
		cmd := exec.Command("go", "build", "-o", shared.bin, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			shared.binErr = &buildError{err, string(out)}
		}
	})
	if shared.binErr != nil {
		t.Fatal(shared.binErr)
	}
	return shared.bin
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + e.out }

var servingLine = regexp.MustCompile(`^fastgo: serving .* on (http://\S+)$`)

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
