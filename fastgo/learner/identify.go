package learner

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fastgo-ml/fastgo/internal/torchfile"
)

// What a file given as a model is, by its content: the one place fastgo
// tells a learner file from a fastai export, a PyTorch file, an ONNX
// model, an image, an archive or a folder. Readers of learner files use
// it to say what a file they cannot read is, with what to do, rather than
// guessing at a damaged copy; cnn.LoadPredictor uses it (IsTorchFile) to
// send torch.save files to the fastai reader.

// fastgoFileMark is in the first bytes of every learner file: gob writes
// the header's type, by name, before its value.
const fastgoFileMark = "checkpointHeader"

// fileKind is what identify found a file to be.
type fileKind int

const (
	unknownFile    fileKind = iota
	unreadable              // cannot be opened or read
	folderFile              // a directory
	emptyFile               // 0 bytes
	fastgoFile              // starts as a learner file does
	fastaiExport            // torch.save zip of a fastai Learner (learn.export)
	fastaiSaved             // torch.save zip of other fastai objects (learn.save)
	torchZip                // another torch.save zip (a model, a state dict)
	torchLegacy             // torch.save before PyTorch 1.6
	pickleFile              // a Python pickle that is not a torch.save file
	zipArchive              // a zip without torch.save's layout
	onnxModel               // an ONNX ModelProto (fastgo export-onnx)
	imageFile               // an image; detail is its format
	compressedFile          // gzip, xz, bzip2, zstd or 7z; detail is the format
	tarArchive              // an uncompressed tar
)

// identity is what a file is: its kind and, for images and compressed
// files, the format's name.
type identity struct {
	kind   fileKind
	detail string
}

// IsTorchFile says whether the file at path is a torch.save file, by its
// content: the zip format (a FOLDER/data.pkl inside) or the legacy one
// (PyTorch before 1.6). fastai's exports and learn.save files, and
// PyTorch's state dicts, are; fastgo's learner files, ONNX models and
// other zips or pickles are not. cnn.LoadPredictor reads such files with
// cnn.LoadFastai. A file that cannot be read is not.
func IsTorchFile(path string) bool {
	switch identify(path).kind {
	case fastaiExport, fastaiSaved, torchZip, torchLegacy:
		return true
	}
	return false
}

// identify reads the start of the file at path (and, for a zip, its
// pickle's first MiB) to say what it is.
func identify(path string) identity {
	f, err := os.Open(path)
	if err != nil {
		return identity{kind: unreadable}
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return identity{kind: folderFile}
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case n == 0 && err != io.EOF:
		return identity{kind: unreadable}
	case n == 0:
		return identity{kind: emptyFile}
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return identifyZip(f)
	case bytes.HasPrefix(head, []byte(legacyTorchMagic)):
		return identity{kind: torchLegacy}
	case len(head) >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5:
		return identity{kind: pickleFile}
	case bytes.Contains(head, []byte(fastgoFileMark)):
		return identity{kind: fastgoFile}
	case isONNX(head):
		return identity{kind: onnxModel}
	}
	for _, s := range signatures {
		if len(head) >= s.at+len(s.magic) && string(head[s.at:s.at+len(s.magic)]) == s.magic {
			return identity{kind: s.kind, detail: s.name}
		}
	}
	return identity{kind: unknownFile}
}

// signatures are the leading bytes of the images and archives a user may
// give where a model belongs (the README's example has model, then images;
// a model may travel as a .tgz).
var signatures = []struct {
	kind  fileKind
	name  string
	at    int
	magic string
}{
	{imageFile, "JPEG", 0, "\xff\xd8\xff"},
	{imageFile, "PNG", 0, "\x89PNG\r\n\x1a\n"},
	{imageFile, "GIF", 0, "GIF8"},
	{imageFile, "WebP", 8, "WEBP"},
	{imageFile, "HEIC/AVIF", 4, "ftyp"},
	{imageFile, "TIFF", 0, "II*\x00"},
	{imageFile, "TIFF", 0, "MM\x00*"},
	{imageFile, "BMP", 0, "BM"},
	{compressedFile, "gzip", 0, "\x1f\x8b"},
	{compressedFile, "xz", 0, "\xfd7zXZ\x00"},
	{compressedFile, "bzip2", 0, "BZh"},
	{compressedFile, "zstd", 0, "\x28\xb5\x2f\xfd"},
	{compressedFile, "7z", 0, "7z\xbc\xaf\x27\x1c"},
	{tarArchive, "tar", 257, "ustar"},
}

// isONNX says whether head starts as an ONNX ModelProto does: field 1
// (ir_version, a small varint) and then another of the model's fields
// (producer_name, …, graph, opset_import, metadata_props).
func isONNX(head []byte) bool {
	return len(head) >= 3 && head[0] == 0x08 && head[1] >= 1 && head[1] <= 32 &&
		bytes.IndexByte([]byte{0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72}, head[2]) >= 0
}

// identifyZip reads the pickle of a zip written by torch.save (an entry
// named …/data.pkl) to tell a fastai Learner from other PyTorch files.
func identifyZip(f *os.File) identity {
	st, err := f.Stat()
	if err != nil {
		return identity{kind: zipArchive}
	}
	z, err := zip.NewReader(f, st.Size())
	if err != nil {
		return identity{kind: zipArchive}
	}
	for _, e := range z.File {
		if !strings.HasSuffix(e.Name, "/data.pkl") && e.Name != "data.pkl" {
			continue
		}
		r, err := e.Open()
		if err != nil {
			return identity{kind: torchZip}
		}
		pickle, _ := io.ReadAll(io.LimitReader(r, 1<<20))
		r.Close()
		// Pickles name classes as "module\nName" (protocol 2's GLOBAL).
		switch {
		case bytes.Contains(pickle, []byte("fastai.learner\nLearner")) || bytes.Contains(pickle, []byte("fastai.basic_train\nLearner")):
			return identity{kind: fastaiExport}
		case bytes.Contains(pickle, []byte("fastai.")):
			return identity{kind: fastaiSaved}
		}
		return identity{kind: torchZip}
	}
	return identity{kind: zipArchive}
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

// identifyFile says what the file at path is when it is not a learner
// file fastgo can read, with what to do, as a clause that follows the
// file's name ("read PATH: " + clause); "" when it looks like nothing
// known (the caller then says it is damaged or not a learner file).
func identifyFile(path string) string {
	id := identify(path)
	switch id.kind {
	case fastaiExport, fastaiSaved, torchZip, torchLegacy:
		// A pickle that would run code is no model of any kind: say so
		// (reading it runs nothing; it is the error path, so the cost of
		// reading the whole file does not matter).
		var code *torchfile.CodeCallError
		if _, err := torchfile.Load(path); errors.As(err, &code) {
			return code.Error()
		}
	}
	switch id.kind {
	case folderFile:
		return "it is a folder, not a model file: give the path of the model file (written by learner.Export, or fastai's export.pkl)"
	case emptyFile:
		return "the file is empty (0 bytes): export the learner again (learner.Export)"
	case fastgoFile:
		return "the file is the start of a fastgo learner file, cut short (a copy or download that stopped?): copy it again, or export it again (learner.Export)"
	case fastaiExport:
		return "the file is a fastai export (learn.export() in Python: a whole pickled PyTorch Learner), not a fastgo learner file: " + fastaiExportAdvice
	case fastaiSaved:
		return "the file is a file saved by fastai (torch.save of fastai objects), not a fastgo learner file: learn.save() weights go into a cnn.Learner of the same architecture with cnn.LoadFastaiWeights; " + torchAdvice
	case torchZip:
		return "the file is a PyTorch file (torch.save: a model or its state_dict), " + torchAdvice
	case torchLegacy:
		return "the file is a PyTorch file (torch.save, before PyTorch 1.6), " + torchAdvice
	case pickleFile:
		return "the file is a Python pickle, not a fastgo learner file: " + trainInFastgo
	case zipArchive:
		return "the file is a zip archive, not a fastgo learner file: if a model is inside, extract it (unzip) and give that file; " + trainInFastgo
	case onnxModel:
		return "the file is an ONNX model (what fastgo export-onnx writes), not a fastgo learner file: give the learner file it was exported from, or run it with an ONNX runtime (onnxruntime)"
	case imageFile:
		return fmt.Sprintf("the file is an image (%s), not a model: the model file (written by learner.Export, or fastai's export.pkl) comes first, then the images (fastgo predict MODEL IMAGE...)", id.detail)
	case compressedFile:
		return fmt.Sprintf("the file is %s-compressed (an archive?), not a model file: extract it (%s) and give the model file inside", id.detail, extractCommands[id.detail])
	case tarArchive:
		return "the file is a tar archive, not a model file: extract it (tar -xf FILE) and give the model file inside"
	}
	return ""
}

// extractCommands say how to unpack each compressed format identify knows.
var extractCommands = map[string]string{"gzip": "tar -xzf FILE, or gunzip FILE", "xz": "tar -xJf FILE, or unxz FILE",
	"bzip2": "tar -xjf FILE, or bunzip2 FILE", "zstd": "tar --zstd -xf FILE, or unzstd FILE", "7z": "7z x FILE"}
