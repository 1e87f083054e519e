package learner

import (
	"fmt"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/tensor"
	"github.com/gomlx/gomlx/core/tensors"
)

// Preds are a model's predictions over a set of batches, in their order
// (the validation set's is the dataset order).
type Preds struct {
	// Probs holds the activations (softmax probabilities), row-major
	// [N, NumClasses].
	Probs      []float32
	NumClasses int
	// Targets holds the labels.
	Targets []int
	// Losses holds each item's loss (fastai's with_loss=True).
	Losses []float32
}

// Row returns item i's probabilities (a slice of Probs, not a copy); an
// i outside [0, N) panics, as an index out of range does.
func (p *Preds) Row(i int) []float32 { return p.Probs[i*p.NumClasses : (i+1)*p.NumClasses] }

// Tensor is the probabilities as a float tensor [N, NumClasses], which
// prints as PyTorch prints fastai's preds: Tensor().Row(0) is `preds[0]`,
// and `len(preds[0]), preds[0].sum()` is
// fmt.Printf("(%d, %v)\n", row.Len(), row.Sum()), printing (37, tensor(1.0000)).
func (p *Preds) Tensor() *tensor.Tensor {
	data := make([]float64, len(p.Probs))
	for i, v := range p.Probs {
		data[i] = float64(v)
	}
	return tensor.FromData(data, len(p.Probs)/max(p.NumClasses, 1), p.NumClasses)
}

// Decoded returns the predicted class index of every item (argmax).
func (p *Preds) Decoded() []int {
	out := make([]int, len(p.Targets))
	for i := range out {
		out[i] = Argmax(p.Row(i))
	}
	return out
}

// GetPreds runs the model without augmentation or gradients over dl (nil:
// the validation set) and returns the activations, targets and per-item
// losses, fastai's get_preds(with_loss=True). dl may be a SliceSource of
// the caller's own batches (fastai's dl=[(x,y)]): uint8 images
// [B,H,W,3] with labels in [0, NumClasses). The model runs in evaluation
// mode (batch norm's running statistics) through the validation device
// transforms; Probs are float32 [N, NumClasses], Losses float32 [N]
// (nats). Safe while another goroutine fits (see Learner).
//
// Batches may hold images of another size than the training ones (as
// fastai's get_preds on a CNN, whose pooling takes any size): each new
// size compiles a graph of its own (seconds, once per size), and a model
// that is not size-independent fails to build, naming the batch.
//
// Errors: no validation set and dl nil; no batch at all (an empty
// validation set, or dl yielding none: there is nothing to predict, and
// an empty result would read as a model of 0 classes); a batch that fails
// to load (a decoding error, naming the batch); a batch with no images,
// without labels (GetPreds needs each image's label for its loss: predict
// unlabelled images with Predict, or cnn.Predictor from files), of the
// wrong shape, or with a label outside the vocabulary; the model failing
// to build or run (a file loaded without one of its variables, say),
// naming the batch.
func (l *Learner) GetPreds(dl BatchSource) (*Preds, error) {
	valid := dl == nil
	if valid {
		dl = l.Data.Valid
	}
	if dl == nil {
		return nil, fmt.Errorf("GetPreds: the learner has no validation set: pass the batches to predict on")
	}
	p := &Preds{}
	i := 0
	for b, err := range dl.Epoch(0) {
		if err != nil {
			return nil, fmt.Errorf("GetPreds: batch %d: %w", i, err)
		}
		if len(b.X.Shape) == 4 && b.X.Shape[0] > 0 && len(b.Y) == 0 {
			return nil, fmt.Errorf("GetPreds: batch %d has %d images and no labels: GetPreds needs each image's label to compute the losses it returns; predict unlabelled images with Predict (or cnn.Predictor, from files)", i, b.X.Shape[0])
		}
		probs, losses, err := l.evalBatch(b)
		if err != nil {
			return nil, fmt.Errorf("GetPreds: batch %d: %w", i, err)
		}
		if len(b.Y) > 0 {
			p.NumClasses = len(probs) / len(b.Y)
		}
		p.Probs = append(p.Probs, probs...)
		p.Targets = append(p.Targets, b.Y...)
		p.Losses = append(p.Losses, losses...)
		i++
	}
	if i == 0 {
		if valid {
			return nil, fmt.Errorf("GetPreds: the validation set is empty (no batch): split some items off for validation (RandomSplitter), or pass the batches to predict on")
		}
		return nil, fmt.Errorf("GetPreds: the batches are empty (no batch): nothing to predict")
	}
	return p, nil
}

// Prediction is what Predict returns for one image (fastai's predict:
// decoded class, its index and the probabilities).
type Prediction struct {
	Class string
	Index int
	Probs []float32
}

// Predict classifies a batch of uint8 images [B,H,W,3] (NHWC, RGB)
// prepared as the validation set's are — the same item transforms, hence
// the same size — through the validation device transforms: fastai's
// learn.predict on a batch. Each Prediction holds the most probable class,
// its index and the softmax probabilities (float32, one per class).
// cnn.Predictor prepares image files and bytes for it.
//
// Images of another size than the validation set's are accepted, as
// fastai's predict on a CNN (global pooling takes any size), but each new
// size compiles a graph of its own (seconds, once per size) and a CNN
// trained at one size predicts less well at another: prepare images as
// the validation set's (cnn.Predictor does).
//
// Errors: x is not 4-dimensional, holds no image, or its data does not
// fill its shape; the model failing to build or run (a model that needs
// its training size, a file loaded without one of its variables).
func (l *Learner) Predict(x fastgo.ByteTensor) ([]Prediction, error) {
	if len(x.Shape) != 4 {
		return nil, fmt.Errorf("Predict: images have shape %v: want [B,H,W,3] uint8", x.Shape)
	}
	if x.Shape[0] == 0 {
		return nil, fmt.Errorf("Predict: no images (shape %v): give at least one", x.Shape)
	}
	probs, _, err := l.evalBatch(Batch{X: x, Y: make([]int, x.Shape[0])})
	if err != nil {
		return nil, fmt.Errorf("Predict: %w", err)
	}
	return l.predictions(probs, x.Shape[0]), nil
}

// PredictFloat is Predict for float32 images [B,H,W,3] already scaled to
// [0,1] (fastai's IntToFloatTensor done by the caller). Errors are
// Predict's; also data whose length is not the product of shape.
func (l *Learner) PredictFloat(data []float32, shape []int) ([]Prediction, error) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	if len(shape) != 4 || n != len(data) {
		return nil, fmt.Errorf("PredictFloat: %d values for shape %v: want [B,H,W,3] float32", len(data), shape)
	}
	if shape[0] == 0 {
		return nil, fmt.Errorf("PredictFloat: no images (shape %v): give at least one", shape)
	}
	x := tensors.FromFlatDataAndDimensions(data, shape...)
	y := tensors.FromFlatDataAndDimensions(make([]int32, shape[0]), shape[0])
	probs, _, err := l.evalTensors(x, y)
	if err != nil {
		return nil, fmt.Errorf("PredictFloat: %w", err)
	}
	return l.predictions(probs, shape[0]), nil
}

// predictions decodes n rows of activations.
func (l *Learner) predictions(probs []float32, n int) []Prediction {
	c := len(probs) / max(n, 1)
	out := make([]Prediction, n)
	for i := range out {
		row := probs[i*c : (i+1)*c]
		k := Argmax(row)
		out[i] = Prediction{Index: k, Probs: row}
		if k < len(l.Data.Vocab) {
			out[i].Class = l.Data.Vocab[k]
		}
	}
	return out
}
