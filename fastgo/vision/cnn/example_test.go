package cnn_test

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/learner/persist"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/fastgo/vision/augment"
	"github.com/fastgo-ml/fastgo/fastgo/vision/cnn"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
)

// petLoaders are nine pet photos (../../../testdata/images) at 32 px,
// labelled by the breed in their file name, in batches of 4.
func petLoaders() (*fastgo.DataLoaders, error) {
	pets := fastgo.DataBlock{
		Blocks:    fastgo.Blocks{X: vision.ImageBlock(), Y: fastgo.CategoryBlock()},
		GetItems:  fastgo.GetImageFiles,
		Splitter:  fastgo.RandomSplitter(0.2, 42),
		GetY:      fastgo.UsingName(fastgo.RegexLabeller(`(.+)_\d+.jpg$`)),
		ItemTfms:  []fastgo.ItemTransform{vision.Resize(40)},
		BatchTfms: []fastgo.BatchTransform{augment.MustAugTransforms(32, augment.MinScale(0.75))},
	}
	return pets.DataLoaders("../../../testdata/images", fastgo.WithBatchSize(4))
}

// The chapter's cnn_learner(dls, resnet34, metrics=error_rate), at a size
// that trains in seconds on a CPU: ResNet18 on 32 px images, from random
// weights (Pretrained(true), the default, loads torchvision's ImageNet
// weights, downloaded once into models.ModelsDir(), and freezes the body).
func ExampleLearner() {
	dls, err := petLoaders()
	if err != nil {
		fmt.Println(err)
		return
	}
	learn, err := cnn.Learner(dls, models.ResNet18, cnn.Pretrained(false),
		learner.Metrics(learner.ErrorRate), learner.Output(io.Discard))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(learn.Model.Name, "for", learn.NumClasses(), "breeds,", learn.Model.NumGroups, "parameter groups")
	fmt.Println("frozen groups:", learn.FrozenTo()) // pretrained learners start with the body frozen
	// Output:
	// resnet18 for 8 breeds, 3 parameter groups
	// frozen groups: 0
}

// learn.export() in one program, load_learner + predict in another: the
// exported file holds the weights, the classes and how images were
// prepared.
func ExampleLoadPredictor() {
	dls, err := petLoaders()
	if err != nil {
		fmt.Println(err)
		return
	}
	learn, err := cnn.Learner(dls, models.ResNet18, cnn.Pretrained(false),
		persist.Off(), learner.Output(io.Discard))
	if err != nil {
		fmt.Println(err)
		return
	}
	learn.Quiet = true
	dir := tempDir()
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "pets.learner")
	if err := learn.Fit(1, 1e-3); err != nil {
		fmt.Println(err)
		return
	}
	if err := learn.Export(file); err != nil {
		fmt.Println(err)
		return
	}

	p, err := cnn.LoadPredictor(file, learner.Output(io.Discard))
	if err != nil {
		fmt.Println(err)
		return
	}
	preds, err := p.PredictFiles("../../../testdata/images/pug_166.jpg")
	if err != nil {
		fmt.Println(err)
		return
	}
	var sum float64
	for _, v := range preds[0].Probs {
		sum += float64(v)
	}
	fmt.Println(p.Arch.Name, len(p.Vocab), "classes; probabilities sum to", math.Round(sum*1000)/1000)
	fmt.Println("top 3:", len(p.TopK(preds[0], 3)), "classes, most probable first")
	fmt.Println("item transforms:", p.ItemTfms[0].Name())
	// Output:
	// resnet18 8 classes; probabilities sum to 1
	// top 3: 3 classes, most probable first
	// item transforms: Resize -- {'size': (40, 40), 'method': 'crop', 'pad_mode': 'reflection', 'resamples': (<Resampling.BILINEAR: 2>, <Resampling.NEAREST: 0>), 'p': 1.0}
}

// tempDir is a fresh folder for the example's file.
func tempDir() string {
	d, err := os.MkdirTemp("", "cnn-example-")
	if err != nil {
		panic(err)
	}
	return d
}

// A model trained in Python with fastai and saved with learn.export()
// (here a tiny ResNet34 trained with aug_transforms, from
// testdata/fastai), served from Go: no Python, PyTorch or fastai needed.
// LoadPredictor recognises the file by its content and calls LoadFastai.
func ExampleLoadFastai() {
	p, err := cnn.LoadPredictor("../../../testdata/fastai/resnet34_aug.pkl", learner.Output(io.Discard))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.Arch.Name, p.Head, p.Vocab, "EXIF orientation applied:", p.ApplyEXIF)
	var names []string
	for _, s := range append(p.Inputs.ItemTfms, p.Inputs.BatchTfms...) {
		names = append(names, s.Name)
	}
	fmt.Println(strings.Join(names, ", "))
	preds, err := p.PredictFiles("../../../testdata/images/pug_166.jpg")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range p.TopK(preds[0], 3) {
		fmt.Printf("%s %.3f\n", c.Class, c.Prob)
	}
	// Output:
	// resnet34-w1 head(hidden 512) [Abyssinian Bengal pug] EXIF orientation applied: false
	// Resize, AugTransforms, Normalize
	// Bengal 0.655
	// pug 0.288
	// Abyssinian 0.057
}

// fastai's learn.load: the weights of a learn.save() file (models/*.pth)
// into a learner of the same architecture and classes. A fastai 1 file's
// head has biases, so the learner is made with them; its optimizer state
// is skipped.
func ExampleLoadFastaiWeights() {
	cats := fastgo.DataBlock{
		Blocks:   fastgo.Blocks{X: vision.ImageBlock(), Y: fastgo.CategoryBlock()},
		GetItems: fastgo.GetImageFiles,
		Splitter: fastgo.RandomSplitter(0.2, 42),
		GetY: func(p fastgo.Path) (string, error) { // Oxford-IIIT Pet: cat breeds are capitalised
			if p.Name()[0] >= 'A' && p.Name()[0] <= 'Z' {
				return "cat", nil
			}
			return "dog", nil
		},
		ItemTfms: []fastgo.ItemTransform{vision.Resize(48)},
	}
	dls, err := cats.DataLoaders("../../../testdata/images", fastgo.WithBatchSize(4))
	if err != nil {
		fmt.Println(err)
		return
	}
	learn, err := cnn.Learner(dls, models.ResNet34.Scaled(1), cnn.Pretrained(false), cnn.WithHead(models.HeadSpec{Bias: true}),
		persist.Off(), learner.Output(io.Discard))
	if err != nil {
		fmt.Println(err)
		return
	}
	report, err := cnn.LoadFastaiWeights(learn, "../../../testdata/fastai/resnet34_save_v1.pth")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(report.Tensors, "tensors;", report.Note)
	// Output:
	// 192 tensors; fastai 1 learn.save with optimizer state, optimizer state skipped (fastgo does not use fastai's)
}
