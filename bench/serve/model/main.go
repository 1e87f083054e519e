// Command model makes the model that make bench-serve serves: a
// cnn.Learner (ResNet18 by default, random initial weights) fitted
// for a few batches at a low learning rate on the pets sample — enough for
// the batch-norm statistics to become the data's, so that the predictions
// spread over the classes (at fastai's 1e-3 a few batches from random
// weights give one class a probability near 1 for every image, which would
// make the servers' comparison weak) — and exported with learner.Export
// for `fastgo serve`. It then loads the exported file with
// cnn.LoadPredictor and writes the same weights for the PyTorch peer
// (bench/serve/torch_serve.py) as fastai's learn.model.state_dict() of a
// torchvision ResNet with fastai's head would name them ("0.4.0.conv1.weight"
// for the body's layer1.0.conv1, "1.2.weight" for the head's first
// BatchNorm1d): raw little-endian float32 in torch.bin, and torch.json
// holding each tensor's key, shape and offset, the classes and the
// transforms the file records. Convolution kernels go from fastgo's OHWI to
// PyTorch's OIHW; linear weights are [out,in] on both sides.
//
//	go run ./bench/serve/model -images DIR -arch resnet18 -size 128 -presize 160 -steps 20 -lr 1e-4 -out build/bench-serve
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/fastbook"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/learner/persist"
	"github.com/fastgo-ml/fastgo/fastgo/vision/cnn"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
	"github.com/fastgo-ml/fastgo/internal/ops"
	"github.com/gomlx/gomlx/core/tensors"
)

func main() {
	images := flag.String("images", "../shared/data/oxford-iiit-pet-sample/images", "folder of pet images")
	archName := flag.String("arch", "resnet18", "resnet18, resnet34 or resnet50")
	size := flag.Int("size", 128, "input side (AugTransforms size)")
	presize := flag.Int("presize", 160, "Resize item transform")
	steps := flag.Int("steps", 20, "training batches (of 16; 4 for a folder under 100 images) before export")
	lr := flag.Float64("lr", 1e-4, "learning rate of the one-cycle fit")
	out := flag.String("out", "build/bench-serve", "output folder")
	flag.Parse()
	if err := run(fastgo.Path(*images), *archName, *size, *presize, *steps, *lr, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bench/serve/model:", err)
		os.Exit(1)
	}
}

func run(images fastgo.Path, archName string, size, presize, steps int, lr float64, out string) error {
	start := time.Now()
	arch, err := models.ArchByName(archName)
	if err != nil {
		return err
	}
	pets, err := fastbook.PetsDataBlock(presize, size)
	if err != nil {
		return err
	}
	files, err := fastgo.GetImageFiles(images)
	if err != nil {
		return err
	}
	bs := 16
	if len(files) < 100 { // the bundled testdata/images
		bs = 4
	}
	dls, err := pets.DataLoaders(images, fastgo.WithBatchSize(bs))
	if err != nil {
		return err
	}
	learn, err := cnn.Learner(dls, arch, cnn.Pretrained(false),
		persist.Off(), learner.Output(nil))
	if err != nil {
		return err
	}
	learn.Quiet = true
	var batches learner.SliceSource
	for epoch := 0; len(batches) < steps; epoch++ {
		n := len(batches)
		for b, err := range learn.Data.Train.Epoch(epoch) {
			if err != nil {
				return err
			}
			if batches = append(batches, b); len(batches) == steps {
				break
			}
		}
		if len(batches) == n {
			return fmt.Errorf("the training set of %s has no batch of %d images", images, bs)
		}
	}
	learn.Data.Train, learn.Data.Valid = batches, learner.SliceSource{}
	if err := learn.Fit(1, lr); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	modelFile := filepath.Join(out, "model.learner")
	if err := learn.Export(modelFile); err != nil {
		return err
	}
	// The weights for PyTorch come from the exported file as the server
	// loads it, not from the learner that wrote it.
	p, err := cnn.LoadPredictor(modelFile)
	if err != nil {
		return err
	}
	n, err := writeTorch(p, out)
	if err != nil {
		return err
	}
	fmt.Printf("model: %s, %d classes, %d px from a %d px presize, fitted on %d batches of %d at lr %g; %s, and %d tensors for PyTorch in %s (%.0fs)\n",
		p.Arch.Name, len(p.Vocab), size, presize, len(batches), bs, lr, modelFile, n, out, time.Since(start).Seconds())
	return nil
}

// tensorEntry is one tensor of torch.bin: float32 values from Offset
// (in values, not bytes), in row-major order of Shape.
type tensorEntry struct {
	Key    string `json:"key"`
	Shape  []int  `json:"shape"`
	Offset int    `json:"offset"`
}

type torchIndex struct {
	Arch    string            `json:"arch"`
	Vocab   []string          `json:"vocab"`
	Inputs  learner.InputSpec `json:"inputs"`
	Tensors []tensorEntry     `json:"tensors"`
	Count   int               `json:"count"`
}

// writeTorch writes the predictor's model variables as torch.bin and
// torch.json in out and returns how many tensors it wrote.
func writeTorch(p *cnn.Predictor, out string) (int, error) {
	idx := torchIndex{Arch: p.Arch.Name, Vocab: p.Vocab, Inputs: p.Inputs}
	var data []float32
	for v := range p.Learner.Store().IterVariables() {
		key, ok := models.LearnerKey(v.Path())
		if !ok || !v.HasValue() {
			continue
		}
		t, err := v.Value()
		if err != nil {
			return 0, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		vals, err := tensors.CopyFlatData[float32](t)
		if err != nil {
			return 0, fmt.Errorf("variable %s: %w", v.Path(), err)
		}
		dims := t.Shape().Dimensions
		if len(dims) == 4 { // OHWI → OIHW
			vals = ops.OHWIToOIHW(vals, dims[0], dims[1], dims[2], dims[3])
			dims = []int{dims[0], dims[3], dims[1], dims[2]}
		}
		idx.Tensors = append(idx.Tensors, tensorEntry{Key: key, Shape: dims, Offset: len(data)})
		data = append(data, vals...)
	}
	idx.Count = len(data)
	buf := make([]byte, 4*len(data))
	for i, x := range data {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
	}
	if err := os.WriteFile(filepath.Join(out, "torch.bin"), buf, 0o644); err != nil {
		return 0, err
	}
	j, err := json.MarshalIndent(idx, "", " ")
	if err != nil {
		return 0, err
	}
	return len(idx.Tensors), os.WriteFile(filepath.Join(out, "torch.json"), j, 0o644)
}
