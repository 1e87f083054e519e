package models

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/fastgo-ml/fastgo/fastgo/external"
	"github.com/fastgo-ml/fastgo/internal/diskerr"
	"github.com/fastgo-ml/fastgo/internal/ops"
	"github.com/fastgo-ml/fastgo/internal/torchfile"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// PretrainedOptions says where pretrained weights are cached and how they
// are downloaded. The zero value caches in [ModelsDir] and downloads with
// http.DefaultClient.
type PretrainedOptions struct {
	// Dir is the cache folder; "" means ModelsDir().
	Dir string
	// Offline forbids downloading: a weight file not in Dir is an error.
	Offline bool
	// Client downloads; nil means http.DefaultClient.
	Client *http.Client
	// Progress, if not nil, receives the download's progress bar and a line
	// naming the file when it is in place.
	Progress io.Writer
}

// LoadReport says what a weight import did.
type LoadReport struct {
	// File is the checkpoint read.
	File string
	// Tensors is the number of tensors copied into variables.
	Tensors int
	// Skipped lists the checkpoint's keys deliberately not imported: the
	// classifier (fc.*, replaced by fastai's head) and the batch-norm
	// num_batches_tracked counters.
	Skipped []string
	// Note says what else the file held and what became of it (a fastai
	// learn.save file's optimizer state: skipped), "" when nothing.
	Note string
}

// String is a one-line summary, e.g. "loaded 122 tensors from
// /root/.fastgo/models/resnet34-b627a593.pth (skipped 2 fc.* and 36
// num_batches_tracked)".
func (r LoadReport) String() string {
	var fc, nbt int
	for _, k := range r.Skipped {
		if strings.HasSuffix(k, "num_batches_tracked") {
			nbt++
		} else {
			fc++
		}
	}
	s := fmt.Sprintf("loaded %d tensors from %s", r.Tensors, r.File)
	switch {
	case fc > 0:
		s += fmt.Sprintf(" (skipped %d fc.* and %d num_batches_tracked)", fc, nbt)
	case nbt > 0:
		s += fmt.Sprintf(" (skipped %d num_batches_tracked)", nbt)
	}
	if r.Note != "" {
		s += "; " + r.Note
	}
	return s
}

// ModelsDir is where pretrained weights are cached:
// $FASTGO_HOME/models, by default ~/.fastgo/models.
func ModelsDir() string { return string(external.Home().Join("models")) }

// LoadPretrained imports arch's ImageNet weights into the body's variables
// in scope (the scope given to [Arch.Body]), creating the variables or
// overwriting their values. The weight file is taken from the cache folder
// (see [PretrainedOptions]) or downloaded there first from arch.URL.
// Any missing, unexpected or mis-shaped tensor is an error: weights are
// never partially loaded without saying so.
func LoadPretrained(scope *model.Scope, arch Arch, opts PretrainedOptions) (LoadReport, error) {
	file, err := FetchWeights(arch, opts)
	if err != nil {
		return LoadReport{}, err
	}
	return LoadWeightsFile(scope, arch, file)
}

// FetchWeights returns the path of arch's weight file in the cache folder,
// downloading it first if it is not there. Downloads go to a ".part" file
// that a later call resumes, and are renamed into place only once complete
// and, when the file name carries a hash prefix as torchvision's do
// ("resnet34-b627a593.pth"), once the SHA-256 matches it.
func FetchWeights(arch Arch, opts PretrainedOptions) (string, error) {
	dir := opts.Dir
	if dir == "" {
		dir = ModelsDir()
	}
	dst := filepath.Join(dir, arch.File())
	if _, err := os.Stat(dst); err == nil {
		return dst, nil
	}
	byHand := fmt.Sprintf("download %s by hand and save it as %s (or set FASTGO_HOME to a folder whose models/ has it), or train from random weights with cnn.Pretrained(false)", arch.URL, dst)
	if opts.Offline {
		return "", fmt.Errorf("pretrained %s weights: %s not found and downloads are off: %s", arch.Name, dst, byHand)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("pretrained %s weights: cannot create the cache folder: %w", arch.Name, diskerr.Wrap(err, dir, external.EnvHome))
	}
	err := external.Download(arch.URL, dst, external.DownloadOptions{Client: opts.Client, Progress: opts.Progress, Verify: verifyHashInName(arch.URL, dst)})
	if diskerr.Is(err) { // a full or read-only disk, not a failed download
		return "", fmt.Errorf("pretrained %s weights: %w", arch.Name, err)
	}
	if err != nil {
		return "", fmt.Errorf("pretrained %s weights: %s not found and the download failed: %w; %s", arch.Name, dst, err, byHand)
	}
	if opts.Progress != nil {
		fmt.Fprintf(opts.Progress, "Downloaded %s\n", dst)
	}
	return dst, nil
}

// hashInName is torch.hub's convention: the name's "-<hex>." part is a
// prefix of the file's SHA-256.
var hashInName = regexp.MustCompile(`-([a-f0-9]{6,})\.`)

// verifyHashInName checks a file against the SHA-256 prefix in dst's name
// (torch.hub's convention); names without one are not checked.
func verifyHashInName(url, dst string) func(file string) error {
	return func(file string) error {
		m := hashInName.FindStringSubmatch(filepath.Base(dst))
		if m == nil {
			return nil
		}
		sum, err := fileSHA256(file)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(sum, m[1]) {
			return fmt.Errorf("GET %s: the file's SHA-256 %s does not start with %s as its name says", url, sum, m[1])
		}
		return nil
	}
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// StateTensor is one tensor of a checkpoint, made contiguous (row-major).
type StateTensor struct {
	Shape []int
	// Data holds floating-point tensors (float16/bfloat16/float64 converted
	// to float32); nil for integer tensors.
	Data []float32
}

// ReadStateDict reads a PyTorch checkpoint written by torch.save — the zip
// format of torch ≥ 1.6, or the legacy one — holding a state dict (or a
// dict with the state dict under "state_dict" or "model", as fastai's
// learn.save writes it; the rest, an optimizer's state, is not read). It
// returns the tensors by key and the keys in the file's order. The file is
// read as data by internal/torchfile: nothing it names is run, and every
// length is checked against the file before anything is allocated.
func ReadStateDict(file string) (tensors map[string]StateTensor, keys []string, err error) {
	f, err := torchfile.Load(file)
	if err != nil {
		return nil, nil, fmt.Errorf("%w; re-download it or save it with torch.save(model.state_dict(), path)", err)
	}
	root := f.Root
	for _, k := range []string{"state_dict", "model"} {
		if inner, ok := torchfile.Get(root, k); ok {
			if _, isDict := torchfile.Entries(inner); isDict {
				root = inner
				break
			}
		}
	}
	entries, ok := torchfile.Entries(root)
	if _, isObject := root.(*torchfile.Object); !ok || isObject {
		return nil, nil, fmt.Errorf("read %s: the checkpoint holds a %s, not a state dict", file, torchfile.ClassName(root))
	}
	tensors = make(map[string]StateTensor, len(entries))
	for _, e := range entries {
		k, ok := e.Key.(string)
		if !ok {
			return nil, nil, fmt.Errorf("read %s: state dict key %v is not a string", file, e.Key)
		}
		t, ok := e.Value.(*torchfile.Tensor)
		if !ok {
			return nil, nil, fmt.Errorf("read %s: %q is a %s, not a tensor", file, k, torchfile.ClassName(e.Value))
		}
		st := StateTensor{Shape: slices.Clone(t.Shape)}
		if t.Storage.DType.Floating() {
			if st.Data, err = t.Float32(); err != nil {
				return nil, nil, fmt.Errorf("read %s: tensor %q: %w", file, k, err)
			}
		}
		tensors[k] = st
		keys = append(keys, k)
	}
	return tensors, keys, nil
}

// skippedKey reports the checkpoint keys that are deliberately not imported.
func skippedKey(k string) bool {
	return strings.HasPrefix(k, "fc.") || strings.HasSuffix(k, ".num_batches_tracked")
}

// LoadWeightsFile imports the checkpoint file into the body's variables in
// scope, as [LoadPretrained] does after finding the file.
func LoadWeightsFile(scope *model.Scope, arch Arch, file string) (LoadReport, error) {
	sd, keys, err := ReadStateDict(file)
	if err != nil {
		return LoadReport{}, err
	}
	report, err := AssignStateDict(scope, arch, sd, keys)
	report.File = file
	if err != nil {
		return report, fmt.Errorf("load %s weights from %s: %w", arch.Name, file, err)
	}
	return report, nil
}

// AssignStateDict copies a state dict (as read by [ReadStateDict]; keys in
// file order) into the variables of arch's body in scope. It checks the
// whole dict first and changes nothing if any tensor is missing,
// unexpected or of the wrong shape; the classifier (fc.*) and the
// num_batches_tracked counters are skipped.
func AssignStateDict(scope *model.Scope, arch Arch, sd map[string]StateTensor, keys []string) (LoadReport, error) {
	report, err := assignChecked(scope, arch.StateDict(), sd, keys, VariablePath, skippedKey)
	if err != nil {
		return report, fmt.Errorf("the checkpoint does not match %s (is it another architecture?): %w", arch.Name, err)
	}
	return report, nil
}

// assignChecked checks sd against want — every tensor present with its
// shape, nothing else but what skip accepts — and only then copies each
// into the variable at scope/pathOf(key).
func assignChecked(scope *model.Scope, want []TensorSpec, sd map[string]StateTensor, keys []string,
	pathOf func(string) string, skip func(string) bool) (LoadReport, error) {
	var report LoadReport
	var problems []string
	expected := make(map[string]bool, len(want))
	for _, spec := range want {
		expected[spec.Key] = true
		t, ok := sd[spec.Key]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("missing %s %v", spec.Key, spec.Shape))
		case !slices.Equal(t.Shape, spec.Shape) || t.Data == nil:
			problems = append(problems, fmt.Sprintf("%s has shape %v, want %v (float)", spec.Key, t.Shape, spec.Shape))
		}
	}
	for _, k := range keys {
		switch {
		case expected[k]:
		case skip(k):
			report.Skipped = append(report.Skipped, k)
		default:
			problems = append(problems, fmt.Sprintf("unexpected %s %v", k, sd[k].Shape))
		}
	}
	if len(problems) > 0 {
		const show = 8
		msg := strings.Join(problems[:min(show, len(problems))], "; ")
		if len(problems) > show {
			msg += fmt.Sprintf("; and %d more", len(problems)-show)
		}
		return report, errors.New(msg)
	}
	for _, spec := range want {
		if err := assign(scope, pathOf(spec.Key), spec.Key, sd[spec.Key]); err != nil {
			return report, err
		}
		report.Tensors++
	}
	return report, nil
}

// assign sets (or creates) the variable at rel (below scope) holding the
// state-dict tensor key; convolution kernels go from OIHW to OHWI.
func assign(scope *model.Scope, rel, key string, t StateTensor) error {
	data, dims := t.Data, t.Shape
	if len(dims) == 4 { // OIHW → OHWI
		data = ops.OIHWToOHWI(data, dims[0], dims[1], dims[2], dims[3])
		dims = []int{dims[0], dims[2], dims[3], dims[1]}
	}
	value := tensors.FromFlatDataAndDimensions(data, dims...)
	path := "/" + strings.Trim(scope.Scope(), "/") + "/" + rel
	path = strings.ReplaceAll(path, "//", "/")
	store := scope.Store()
	if v := store.GetVariable(path); v != nil {
		if !v.Shape().Equal(value.Shape()) {
			return fmt.Errorf("variable %s has shape %s, the checkpoint's %s gives %s", path, v.Shape(), key, value.Shape())
		}
		return v.SetValue(value)
	}
	v, err := store.CreateVariable(path, value)
	if err != nil {
		return err
	}
	if strings.HasSuffix(key, ops.BNRunningMean) || strings.HasSuffix(key, ops.BNRunningVar) {
		v.SetTrainable(false)
	}
	return nil
}

// WeightsCached reports whether arch's pretrained weight file is already in
// ModelsDir(), so that a notebook can use Pretrained(WeightsCached(arch))
// on a machine without internet access.
func WeightsCached(arch Arch) bool {
	_, err := os.Stat(filepath.Join(ModelsDir(), arch.File()))
	return err == nil
}
