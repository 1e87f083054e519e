package torchfile

import (
	"archive/zip"
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func fastaiFile(name string) string { return filepath.Join("..", "..", "testdata", "fastai", name) }

// The three layouts of one learner give the same tensors.
func TestLoadLayouts(t *testing.T) {
	var sums []float64
	for _, name := range []string{"resnet18_archive.pkl", "resnet18_named.pkl", "resnet18_legacy.pkl"} {
		f, err := Load(fastaiFile(name))
		if err != nil {
			t.Fatal(err)
		}
		if c := ClassName(f.Root); c != "fastai.learner.Learner" {
			t.Fatalf("%s: root %s", name, c)
		}
		model, _ := f.Root.(*Object).Attr("model")
		mods, _ := model.(*Object).Attr("_modules")
		body, _ := Get(mods, "0")
		bmods, _ := body.(*Object).Attr("_modules")
		conv, _ := Get(bmods, "0")
		params, _ := conv.(*Object).Attr("_parameters")
		w, _ := Get(params, "weight")
		tensor, ok := w.(*Tensor)
		if !ok || !tensor.Parameter || !tensor.RequiresGrad || len(tensor.Shape) != 4 {
			t.Fatalf("%s: conv1 weight %#v", name, w)
		}
		data, err := tensor.Float32()
		if err != nil {
			t.Fatal(err)
		}
		s := 0.0
		for _, v := range data {
			s += float64(v)
		}
		sums = append(sums, s)
	}
	if sums[0] != sums[1] || sums[0] != sums[2] || sums[0] == 0 {
		t.Errorf("conv1 weight sums %v differ", sums)
	}
}

func TestLoadRejects(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(fastaiFile("resnet18_legacy.pkl"))
	if err != nil {
		t.Fatal(err)
	}
	zipped, err := os.ReadFile(fastaiFile("resnet18_archive.pkl"))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		data []byte
		want string
	}{
		"empty":           {nil, "not a PyTorch file"},
		"text":            {[]byte("hello"), "not a PyTorch file"},
		"pickle":          {[]byte("\x80\x02K\x01."), "without torch.save's magic number"},
		"legacy-cut":      {good[:len(good)-1000], "the file has"},
		"legacy-no-data":  {good[:len(good)/2], ""},
		"zip-cut":         {zipped[:len(zipped)/2], "zip"},
		"legacy-one-byte": {good[:1], ""},
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v, want one naming the file and saying %q", name, err, c.want)
		}
	}
}

func TestNumpyScalar(t *testing.T) {
	dtype := func(code string) *Object {
		return &Object{Class: &Global{"numpy", "dtype"}, Args: []any{code, false, true}}
	}
	scalar := func(code string, b []byte) *Object {
		return &Object{Class: &Global{"numpy.core.multiarray", "scalar"}, Args: []any{dtype(code), b}, Reduced: true}
	}
	f64 := make([]byte, 8)
	bits := math.Float64bits(0.125)
	for i := range 8 {
		f64[i] = byte(bits >> (8 * i))
	}
	for _, c := range []struct {
		v    *Object
		want any
	}{
		{scalar("f8", f64), 0.125},
		{scalar("i8", []byte{0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), -2},
		{scalar("u1", []byte{200}), 200},
		{scalar("b1", []byte{1}), true},
		{scalar("U3", []byte{'p', 0, 0, 0, 'u', 0, 0, 0, 0, 0, 0, 0}), "pu"},
	} {
		got, ok := NumpyScalar(c.v)
		if !ok || got != c.want {
			t.Errorf("%v: %v, %v; want %v", c.v.Args, got, ok, c.want)
		}
	}
	if _, ok := NumpyScalar(scalar("f8", []byte{1, 2})); ok {
		t.Error("a short float64 decoded")
	}
}

func TestHalfToFloat(t *testing.T) {
	for h, want := range map[uint16]float32{0x3c00: 1, 0xc000: -2, 0x0001: 5.9604645e-08, 0x7bff: 65504, 0x0000: 0} {
		if got := halfToFloat(h); got != want {
			t.Errorf("halfToFloat(%#04x) = %v, want %v", h, got, want)
		}
	}
	if !math.IsInf(float64(halfToFloat(0x7c00)), 1) || !math.IsNaN(float64(halfToFloat(0x7e00))) {
		t.Error("infinity or NaN")
	}
}

func TestTensorOutsideStorage(t *testing.T) {
	s := &Storage{DType: "Float", Data: make([]byte, 16)}
	for _, tt := range []*Tensor{
		{Storage: s, Shape: []int{5}, Stride: []int{1}},
		{Storage: s, Offset: 3, Shape: []int{2}, Stride: []int{1}},
		{Storage: s, Shape: []int{2, 2}, Stride: []int{3, 1}},
		{Storage: s, Shape: []int{2}, Stride: []int{1, 1}},
	} {
		if _, err := tt.Float32(); err == nil {
			t.Errorf("%+v: no error", tt)
		}
	}
	good := &Tensor{Storage: s, Shape: []int{2, 2}, Stride: []int{1, 2}}
	if _, err := good.Float32(); err != nil {
		t.Error(err)
	}
}

// FuzzLoad: any bytes give a File or an error, never a panic or a hang.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"small_legacy.pth", "small_zip.pth", "refuse_exec.pkl"} {
		data, err := os.ReadFile(fastaiFile(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19."))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "f.pth")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		file, err := Load(p)
		if err == nil && file == nil {
			t.Fatal("no file and no error")
		}
	})
}

// A transposed (strided) tensor, an integer one and a numpy scalar, in both
// formats.
func TestLoadSmall(t *testing.T) {
	for _, name := range []string{"small_legacy.pth", "small_zip.pth"} {
		f, err := Load(fastaiFile(name))
		if err != nil {
			t.Fatal(err)
		}
		w, _ := Get(f.Root, "w")
		got, err := w.(*Tensor).Float32()
		if want := []float32{0, 3, 1, 4, 2, 5}; err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: w = %v, %v; want %v", name, got, err, want)
		}
		n, _ := Get(f.Root, "n")
		ints, err := n.(*Tensor).Int64()
		if err != nil || !slices.Equal(ints, []int64{1, 2}) {
			t.Errorf("%s: n = %v, %v", name, ints, err)
		}
		lr, _ := Get(f.Root, "lr")
		if v, ok := Float(lr); !ok || v != 0.01 {
			t.Errorf("%s: lr = %v", name, v)
		}
	}
}

// TestLoadChecksZipCRC: single-bit flips in the weights of a fastai export
// once loaded silently and predicted differently (the trial's flips at
// bytes 129875, 154967 and 200199 of resnet18_archive.pkl). Every entry's
// CRC-32 is checked, as Python's zipfile.testzip does, and the error names
// the damaged entry; a flip in every entry is caught.
func TestLoadChecksZipCRC(t *testing.T) {
	good, err := os.ReadFile(fastaiFile("resnet18_archive.pkl"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	loadFlipped := func(off int64, bit byte) error {
		bad := slices.Clone(good)
		bad[off] ^= bit
		p := filepath.Join(dir, "flipped.pkl")
		if err := os.WriteFile(p, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p)
		return err
	}
	for _, flip := range []struct {
		off   int64
		bit   byte
		entry string
	}{{129875, 0x80, "archive/data/"}, {154967, 0x02, "archive/data/"}, {200199, 0x80, "archive/data/"}} {
		err := loadFlipped(flip.off, flip.bit)
		if err == nil || !strings.Contains(err.Error(), flip.entry) || !strings.Contains(err.Error(), "CRC-32") {
			t.Errorf("bit flip at byte %d: %v, want the damaged entry named", flip.off, err)
		}
	}
	z, err := zip.NewReader(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range z.File {
		if e.UncompressedSize64 == 0 {
			continue
		}
		off, err := e.DataOffset()
		if err != nil {
			t.Fatal(err)
		}
		// The last byte: a reader that stops short of it (a storage
		// smaller than its entry) would not see the damage.
		err = loadFlipped(off+int64(e.CompressedSize64)-1, 0x01)
		if err == nil || !strings.Contains(err.Error(), e.Name+" is damaged") {
			t.Errorf("flip in the last byte of %s: %v, want %q named as damaged", e.Name, err, e.Name)
		}
	}
}

// TestLoadRefusesCodeCalls: refuse_exec.pkl (a dict whose "model" is a
// call of posix.system) was described by the fastai reader as a learn.save
// file to load with cnn.LoadFastaiWeights. A pickle that calls a function
// running code is refused as what it is, naming the call, wherever the
// call hides; getattr (pickled enums) is not such a call.
func TestLoadRefusesCodeCalls(t *testing.T) {
	_, err := Load(fastaiFile("refuse_exec.pkl"))
	if err == nil || !strings.Contains(err.Error(), `posix.system("touch /tmp/fastgo-pickle-executed")`) ||
		!strings.Contains(err.Error(), "ran nothing") || strings.Contains(err.Error(), "learn.save") {
		t.Errorf("refuse_exec.pkl: %v, want the call named and refused", err)
	}
	dir := t.TempDir()
	for name, c := range map[string]struct{ pickle, want string }{
		// {"model": {"w": [builtins.eval("1+1")]}}
		// (Python's pickle.dumps(…, protocol=2) names builtins __builtin__.)
		"nested eval": {"\x80\x02}q\x00X\x05\x00\x00\x00modelq\x01}q\x02X\x01\x00\x00\x00wq\x03]q\x04c__builtin__\neval\nq\x05X\x03\x00\x00\x001+1q\x06\x85q\x07Rq\x08ass.", `__builtin__.eval("1+1")`},
		// subprocess.check_output(["id"]) as the root.
		"subprocess": {"\x80\x02csubprocess\ncheck_output\nq\x00]q\x01X\x02\x00\x00\x00idq\x02a\x85q\x03Rq\x04.", "subprocess.check_output(list)"},
		// {"mode": builtins.getattr(PIL.Image.Resampling, "BILINEAR")}: data.
		"getattr": {"\x80\x02}q\x00X\x04\x00\x00\x00modeq\x01cbuiltins\ngetattr\nq\x02cPIL.Image\nResampling\nq\x03X\x08\x00\x00\x00BILINEARq\x04\x86q\x05Rq\x06s.", ""},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".pth")
		var buf bytes.Buffer
		z := zip.NewWriter(&buf)
		w, _ := z.Create("archive/data.pkl")
		w.Write([]byte(c.pickle))
		z.Close()
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v, want it read", name, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), "refused: its pickle calls "+c.want) {
			t.Errorf("%s: %v, want the call %s refused", name, err, c.want)
		}
	}
}
