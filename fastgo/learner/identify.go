package learner

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"strings"
)

// What a file that fails to read as a learner file is, so that the error
// says that rather than guessing at a damaged copy: a fastai export, a
// PyTorch file, another Python pickle, or the start of a fastgo file cut
// short. One function, so that a reader of those files (fastai import)
// changes the advice in one place.

// fastgoFileMark is in the first bytes of every learner file: gob writes
// the header's type, by name, before its value.
const fastgoFileMark = "checkpointHeader"

// identifyFile names what the file at path is when it is not a learner
// file fastgo can read, with what to do, as a clause that follows the
// file's name ("is a fastai export …"); "" when it looks like nothing
// known (the caller then says it is damaged or not a learner file).
func identifyFile(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case n == 0:
		return "is empty (0 bytes): export the learner again (learner.Export)"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return identifyZip(f)
	case bytes.HasPrefix(head, []byte(legacyTorchMagic)):
		return "is a PyTorch file (torch.save, before PyTorch 1.6), " + torchAdvice
	case len(head) >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5:
		return "is a Python pickle, not a fastgo learner file: " + trainInFastgo
	case bytes.Contains(head, []byte(fastgoFileMark)):
		return "is the start of a fastgo learner file, cut short (a copy or download that stopped?): copy it again, or export it again (learner.Export)"
	}
	return ""
}

// legacyTorchMagic is how torch.save's files began before the zip format:
// pickle protocol 2, then the pickled magic number 0x1950a86a20f9469cfc6c.
const legacyTorchMagic = "\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"

const (
	trainInFastgo = "fastgo runs the files learner.Export writes: train the model with fastgo (cnn.Learner, FineTune, then learner.Export)"
	// fastaiExportAdvice: the vision package reads fastai's exports; the
	// learner package cannot import it, so it names the calls.
	fastaiExportAdvice = "read it with cnn.LoadFastai or cnn.LoadPredictor (fastgo predict and fastgo serve take it as it is), or " + trainInFastgo
	torchAdvice        = "not a fastgo learner file: " + trainInFastgo + "; ImageNet weights of a torchvision ResNet go in with models.LoadWeightsFile or cnn.WeightsFrom"
)

// identifyZip reads the pickle of a zip written by torch.save (an entry
// named …/data.pkl) to tell a fastai Learner from other PyTorch files.
func identifyZip(f *os.File) string {
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	z, err := zip.NewReader(f, st.Size())
	if err != nil {
		return "is a zip archive, not a fastgo learner file: " + trainInFastgo
	}
	for _, e := range z.File {
		if !strings.HasSuffix(e.Name, "/data.pkl") && e.Name != "data.pkl" {
			continue
		}
		r, err := e.Open()
		if err != nil {
			break
		}
		pickle, _ := io.ReadAll(io.LimitReader(r, 1<<20))
		r.Close()
		// Pickles name classes as "module\nName" (protocol 2's GLOBAL).
		switch {
		case bytes.Contains(pickle, []byte("fastai.learner\nLearner")) || bytes.Contains(pickle, []byte("fastai.basic_train\nLearner")):
			return "is a fastai export (learn.export() in Python: a whole pickled PyTorch Learner), not a fastgo learner file: " + fastaiExportAdvice
		case bytes.Contains(pickle, []byte("fastai.")):
			return "is a file saved by fastai (torch.save of fastai objects), not a fastgo learner file: learn.save() weights go into a cnn.Learner of the same architecture with cnn.LoadFastaiWeights; " + torchAdvice
		}
		return "is a PyTorch file (torch.save: a model or its state_dict), " + torchAdvice
	}
	return "is a zip archive, not a fastgo learner file: " + trainInFastgo
}
