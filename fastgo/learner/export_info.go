package learner

import (
	"bufio"
	"encoding/gob"
	"fmt"
	"os"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo"
)

// InputSpec is how an exported model's inputs were prepared: the item
// transforms each image went through on the CPU, then the batch
// transforms run in the graph (in validation mode when predicting).
type InputSpec struct {
	ItemTfms, BatchTfms []fastgo.TransformSpec
}

// ExportInfo is what an exported file says about its model, read without
// loading the weights.
type ExportInfo struct {
	// Model is the model's name (for cnn.Learner, the architecture: "resnet34").
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
