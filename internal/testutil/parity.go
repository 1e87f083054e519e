package testutil

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Parity reads the reference tensors that scripts/parity_torch.py writes
// (PyTorch/torchvision/Pillow, float32 and float64) for the TestParity*
// tests, and records their outcome in the suite's report.
//
// The rule every comparison follows: fastgo's float32 result may be at most
// ParityFactor times as far from PyTorch's float64 result as PyTorch's own
// float32 result is (taken as at least ParityFloor, one float32 step).
type Parity struct {
	Dir     string
	tensors map[string]refTensor
	fields  map[string]map[string]any // every manifest entry's fields, for Int
	// report is the folder of report.tsv (Dir unless OpenParity says).
	report string
}

type refTensor struct {
	Shape     []int  `json:"shape"`
	DType     string `json:"dtype"`
	Size      int    `json:"size"`
	ImagesDir string `json:"images_dir"`
}

const (
	// ParityFactor is how much further from float64 than PyTorch float32
	// fastgo's float32 may be.
	ParityFactor = 2
	// ParityFloor is float32's machine epsilon (2⁻²³, the spacing of
	// float32 numbers just above 1): a scalar result cannot be asked to be
	// closer to float64 than one such step.
	ParityFloor = 1.0 / (1 << 23)
)

// ParityDirEnv names the folder of reference tensors; make parity sets it.
const ParityDirEnv = "FASTGO_PARITY_DIR"

// LoadParity opens the references in $FASTGO_PARITY_DIR, skipping the test
// when the variable is unset (make parity runs these tests; plain go test
// has no PyTorch) and failing it when the folder is unreadable.
func LoadParity(t testing.TB) *Parity {
	t.Helper()
	dir := os.Getenv(ParityDirEnv)
	if dir == "" {
		t.Skipf("%s is not set: `make parity` writes PyTorch's references and runs this test", ParityDirEnv)
	}
	return OpenParity(t, dir, dir)
}

// OpenParity opens the references in dir (such as the ones committed in
// testdata) and records comparisons in reportDir/report.tsv.
func OpenParity(t testing.TB, dir, reportDir string) *Parity {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatalf("parity references: %v (run scripts/parity_torch.py %s)", err, dir)
	}
	var m struct {
		Tensors map[string]refTensor `json:"tensors"`
	}
	var raw struct {
		Tensors map[string]map[string]any `json:"tensors"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s/manifest.json: %v", dir, err)
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("%s/manifest.json: %v", dir, err)
	}
	return &Parity{Dir: dir, tensors: m.Tensors, fields: raw.Tensors, report: reportDir}
}

// Int returns the integer field key that scripts/parity_torch.py wrote
// beside tensor name in the manifest (e.g. how many channels it kept).
func (p *Parity) Int(t testing.TB, name, key string) int {
	t.Helper()
	v, ok := p.fields[name][key].(float64)
	if !ok || v != math.Trunc(v) {
		t.Fatalf("parity reference %q has no integer field %q in %s/manifest.json", name, key, p.Dir)
	}
	return int(v)
}

// Has says whether the references include name.
func (p *Parity) Has(name string) bool { _, ok := p.tensors[name]; return ok }

// Meta returns the shape of tensor name and, for image references, their
// size and source folder.
func (p *Parity) Meta(t testing.TB, name string) (shape []int, size int, imagesDir string) {
	t.Helper()
	r, ok := p.tensors[name]
	if !ok {
		t.Fatalf("parity reference %q is missing from %s/manifest.json", name, p.Dir)
	}
	return r.Shape, r.Size, r.ImagesDir
}

func (p *Parity) raw(t testing.TB, name, dtype string, width int) ([]byte, []int) {
	t.Helper()
	shape, _, _ := p.Meta(t, name)
	if r := p.tensors[name]; r.DType != dtype {
		t.Fatalf("parity reference %q is %s, want %s", name, r.DType, dtype)
	}
	n := 1
	for _, d := range shape {
		n *= d
	}
	data, err := os.ReadFile(filepath.Join(p.Dir, name+".bin"))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != n*width {
		t.Fatalf("parity reference %q: %d bytes for shape %v, want %d", name, len(data), shape, n*width)
	}
	return data, shape
}

// F64 returns a float64 reference tensor, row-major, and its shape.
func (p *Parity) F64(t testing.TB, name string) ([]float64, []int) {
	t.Helper()
	data, shape := p.raw(t, name, "float64", 8)
	out := make([]float64, len(data)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
	}
	return out, shape
}

// F32 is F64 rounded to float32 (inputs, weights: values PyTorch itself
// held in float32).
func (p *Parity) F32(t testing.TB, name string) ([]float32, []int) {
	t.Helper()
	v, shape := p.F64(t, name)
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out, shape
}

// U8 returns a uint8 reference tensor (images) and its shape.
func (p *Parity) U8(t testing.TB, name string) ([]uint8, []int) {
	t.Helper()
	return p.raw(t, name, "uint8", 1)
}

// RelErr is the normwise relative error ‖got − ref‖₂ / ‖ref‖₂ (the absolute
// error ‖got − ref‖₂ when ref is all zeros).
func RelErr[T float32 | float64](got []T, ref []float64) float64 {
	if len(got) != len(ref) {
		return math.Inf(1)
	}
	var num, den float64
	for i, r := range ref {
		d := float64(got[i]) - r
		num += d * d
		den += r * r
	}
	if den == 0 {
		return math.Sqrt(num)
	}
	return math.Sqrt(num / den)
}

var reportMu sync.Mutex

// Compare records one quantity of the parity table — fastgo's and PyTorch
// float32's relative errors against PyTorch float64 — and fails the test
// when fastgo's exceeds ParityFactor × max(PyTorch's, ParityFloor).
func (p *Parity) Compare(t testing.TB, quantity string, fastgo, torch32 float64) {
	t.Helper()
	limit := ParityFactor * math.Max(torch32, ParityFloor)
	ok := fastgo <= limit
	p.record(t, quantity, fmt.Sprintf("%.3g", fastgo), fmt.Sprintf("%.3g", torch32), fmt.Sprintf("%.3g", limit), ok)
	if !ok {
		t.Errorf("%s: fastgo is %.3g from float64, PyTorch float32 %.3g: more than %d× (limit %.3g)",
			quantity, fastgo, torch32, ParityFactor, limit)
	}
}

// Within records a quantity with a limit of its own (e.g. image levels,
// where there is no float32 to compare with) and fails the test above it.
func (p *Parity) Within(t testing.TB, quantity string, fastgo, limit float64, reference string) {
	t.Helper()
	ok := fastgo <= limit
	p.record(t, quantity, fmt.Sprintf("%.3g", fastgo), reference, fmt.Sprintf("%.3g", limit), ok)
	if !ok {
		t.Errorf("%s: %.3g, limit %.3g", quantity, fastgo, limit)
	}
}

// record appends a row to report.tsv (quantity, fastgo, PyTorch
// float32 or reference, limit, ok), which make parity prints as a table.
func (p *Parity) record(t testing.TB, quantity, fastgo, reference, limit string, ok bool) {
	t.Helper()
	status := "ok"
	if !ok {
		status = "FAIL"
	}
	row := strings.Join([]string{quantity, fastgo, reference, limit, status}, "\t") + "\n"
	t.Log(strings.TrimSpace(row))
	reportMu.Lock()
	defer reportMu.Unlock()
	f, err := os.OpenFile(filepath.Join(p.report, "report.tsv"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(row); err != nil {
		t.Fatal(err)
	}
}
