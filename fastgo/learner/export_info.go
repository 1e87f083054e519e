package learner

import (
	"bufio"
	"encoding/gob"
	"fmt"
	"os"
	"time"
)

// TransformSpec describes a transform by name and numeric parameters, so
// that a program loading an exported model can build the same transform
// without the training code (vision.ItemTransformFromSpec,
// vision.BatchTransformFromSpec). fastai pickles the transforms
// themselves in learn.export; a name and numbers is the part of that a Go
// program can rebuild.
type TransformSpec struct {
	// Name is the constructor's name, e.g. "Resize", "AugTransforms", "Normalize".
	Name string
	// Params holds its settings, e.g. "size": [460], "mean": [0.485 0.456 0.406].
	Params map[string][]float64
}

// Specifier is implemented by transforms that can describe themselves for
// Export.
type Specifier interface {
	Spec() TransformSpec
}

// InputSpec is how an exported model's inputs were prepared: the item
// transforms each image went through on the CPU, then the batch
// transforms run in the graph (in validation mode when predicting).
type InputSpec struct {
	ItemTfms, BatchTfms []TransformSpec
}

// ExportInfo is what an exported file says about its model, read without
// loading the weights.
type ExportInfo struct {
	// Model is the model's name (for vision.CNNLearner, the architecture: "resnet34").
	Model string
	// Vocab is the class names, in the model's output order.
	Vocab []string
	// Inputs is how images were prepared; nil when the learner had a
	// transform that cannot describe itself.
	Inputs *InputSpec
	// Saved is when the file was written.
	Saved time.Time
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
		return ExportInfo{}, fmt.Errorf("read %s: incomplete (cut short in a copy?) or not a fastgo learner file (%v): copy it again, or export it with learner.Export", path, err)
	}
	var h checkpointHeader
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&h); err != nil {
		return ExportInfo{}, fmt.Errorf("read %s: not a fastgo learner file (%v): export it with learner.Export", path, err)
	}
	if h.Version != checkpointVersion {
		return ExportInfo{}, fmt.Errorf("read %s: file version %d, this fastgo reads version %d: export it again", path, h.Version, checkpointVersion)
	}
	return ExportInfo{Model: h.Model, Vocab: h.Vocab, Inputs: h.Inputs, Saved: h.Saved}, nil
}
