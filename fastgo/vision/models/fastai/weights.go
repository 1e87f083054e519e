package fastai

import (
	"fmt"
	"strings"

	tf "github.com/fastgo-ml/fastgo/internal/torchfile"
)

// Weights is what a fastai learn.save() file holds: a vision learner's
// model weights, and the optimizer state, which fastgo does not use.
type Weights struct {
	// File is the file read; Layout its torch.save format.
	File   string
	Layout tf.Layout
	// Model is the network recognised from the state dict's keys and
	// shapes, with its weights. Dropout is zero: a state dict does
	// not record it.
	Model Model
	// Format says what the file is: "fastai 2 learn.save with optimizer
	// state", "fastai 1 learn.save with optimizer state", or "state dict"
	// (learn.save(with_opt=False), torch.save(model.state_dict())).
	Format string
	// Optimizer says what happened to the optimizer state: "" when there
	// is none, else a note that it was read and skipped.
	Optimizer string
}

// ReadWeights reads a fastai learn.save() file (models/NAME.pth): fastai
// 2's {'model': state_dict, 'opt': optimizer state}, fastai 1's (the
// optimizer's hyper-parameters as numpy scalars, usually in the legacy
// torch.save format), or a bare state dict of the learner's model
// nn.Sequential(body, head). The model must be a torchvision ResNet18/34/50
// with fastai's head (fastai 2's, or fastai 1's whose Linear layers have
// biases); every tensor is checked against it. The optimizer state is
// skipped, whatever it holds. Errors are as [ReadExport]'s.
func ReadWeights(file string) (*Weights, error) {
	f, err := tf.Load(file)
	if err != nil {
		return nil, err
	}
	w := &Weights{File: file, Layout: f.Layout, Format: "state dict"}
	sdValue := f.Root
	if o, ok := f.Root.(*tf.Object); ok && strings.HasSuffix(o.Class.Name, "Learner") {
		return nil, fmt.Errorf("%s: a learn.export() file (the whole learner): read it with ReadExport, or load it with cnn.LoadFastai (fastgo predict and serve take it)", file)
	}
	if model, ok := tf.Get(f.Root, "model"); ok {
		sdValue = model
		if opt, ok := tf.Get(f.Root, "opt"); ok && opt != nil {
			w.Format = "fastai 2 learn.save with optimizer state"
			if _, v1 := tf.Get(opt, "param_groups"); v1 {
				w.Format = "fastai 1 learn.save with optimizer state"
			}
			w.Optimizer = "optimizer state skipped (fastgo does not use fastai's)"
		}
	}
	sd, keys, err := stateDict(file, sdValue)
	if err != nil {
		return nil, err
	}
	if w.Model, err = buildModel(file, sd, keys); err != nil {
		return nil, err
	}
	if w.Model.Head.Bias && w.Format == "fastai 2 learn.save with optimizer state" {
		w.Format = "fastai 1 learn.save with optimizer state"
	}
	return w, nil
}
