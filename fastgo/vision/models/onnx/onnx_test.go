package onnx_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo/vision/models/fastai"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models/onnx"
	"github.com/fastgo-ml/fastgo/internal/testutil"
	"google.golang.org/protobuf/encoding/protowire"
)

// classifier describes an imported fastai model for Write.
func classifier(m fastai.Model, inputSize, size int, norm fastai.Normalize, vocab []string) onnx.Classifier {
	return onnx.Classifier{Arch: m.Arch, Head: m.Head, Classes: m.Classes, Weights: m.Weights,
		InputSize: inputSize, Size: size, Mean: norm.Mean, Std: norm.Std, Vocab: vocab}
}

// exportClassifier reads a fastai export of testdata/fastai into a Classifier.
func exportClassifier(t *testing.T, file string) onnx.Classifier {
	t.Helper()
	return readClassifier(t, testutil.Testdata("fastai", file))
}

// readClassifier reads the fastai export at path into a Classifier: its
// Resize, aug_transforms' size and Normalize.
func readClassifier(t *testing.T, path string) onnx.Classifier {
	t.Helper()
	e, err := fastai.ReadExport(path)
	if err != nil {
		t.Fatal(err)
	}
	inputSize := e.ItemTfms[0].(fastai.Resize).Size
	size := inputSize
	var norm fastai.Normalize
	for _, tfm := range e.BatchTfms {
		switch x := tfm.(type) {
		case fastai.AugTransforms:
			size = x.Size
		case fastai.Normalize:
			norm = x
		}
	}
	return classifier(e.Model, inputSize, size, norm, e.Vocab)
}

// ONNX Runtime runs the written models, and its outputs equal PyTorch's
// rebuild of the same fastai models within the parity rule: its distance
// from PyTorch float64 is at most 2× PyTorch float32's.
func TestONNXRuntimeMatchesPyTorch(t *testing.T) {
	report := os.Getenv(testutil.ParityDirEnv) // make parity prints the rows
	if report == "" {
		report = t.TempDir()
	}
	refs := testutil.OpenParity(t, testutil.Testdata("fastai", "refs"), report)
	v1, err := fastai.ReadWeights(testutil.Testdata("fastai", "resnet34_save_v1.pth"))
	if err != nil {
		t.Fatal(err)
	}
	imagenet := fastai.Normalize{Mean: [3]float32{0.485, 0.456, 0.406}, Std: [3]float32{0.229, 0.224, 0.225}}
	for name, c := range map[string]onnx.Classifier{
		"resnet18":     exportClassifier(t, "resnet18_archive.pkl"),
		"resnet34_aug": exportClassifier(t, "resnet34_aug.pkl"),
		"resnet50_pad": exportClassifier(t, "resnet50_pad.pkl"),
		"resnet34_v1":  classifier(v1.Model, 48, 48, imagenet, []string{"cat", "dog"}),
	} {
		t.Run(name, func(t *testing.T) {
			model := filepath.Join(t.TempDir(), name+".onnx")
			if err := onnx.WriteFile(model, c); err != nil {
				t.Fatal(err)
			}
			compareWithPyTorch(t, refs, model, name, "fastai "+name)
		})
	}
}

// compareWithPyTorch runs model on the images PyTorch predicted for
// (prep_NAME) and compares its logits and probabilities with PyTorch's.
func compareWithPyTorch(t *testing.T, refs *testutil.Parity, model, name, label string) {
	t.Helper()
	pixels, shape := refs.U8(t, "prep_"+name)
	got := testutil.RunONNX(t, model, pixels, shape)
	for _, out := range []string{"logits", "probs"} {
		ref64, _ := refs.F64(t, out+"64_"+name)
		ref32, _ := refs.F64(t, out+"32_"+name)
		refs.Compare(t, "ONNX Runtime "+out+" of "+label, testutil.RelErr(got[out], ref64), testutil.RelErr(ref32, ref64))
	}
}

// The file is a ModelProto with IR version 8, opset 17, the graph's
// input, outputs and the vocab in its metadata.
func TestWriteModelProto(t *testing.T) {
	c := exportClassifier(t, "resnet18_archive.pkl")
	var buf bytes.Buffer
	if err := onnx.Write(&buf, c); err != nil {
		t.Fatal(err)
	}
	fields := map[protowire.Number][][]byte{}
	var ir int64
	b := buf.Bytes()
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatal(protowire.ParseError(n))
		}
		b = b[n:]
		switch typ {
		case protowire.VarintType:
			v, m := protowire.ConsumeVarint(b)
			if num == 1 {
				ir = int64(v)
			}
			b = b[m:]
		case protowire.BytesType:
			v, m := protowire.ConsumeBytes(b)
			fields[num] = append(fields[num], v)
			b = b[m:]
		default:
			t.Fatalf("field %d of wire type %d", num, typ)
		}
	}
	if ir != onnx.IRVersion || len(fields[7]) != 1 || len(fields[8]) != 1 {
		t.Fatalf("ir_version %d, %d graphs, %d opsets", ir, len(fields[7]), len(fields[8]))
	}
	if !bytes.Contains(fields[8][0], []byte{0x10, onnx.Opset}) {
		t.Errorf("opset_import %x, want version %d", fields[8][0], onnx.Opset)
	}
	meta := bytes.Join(fields[14], nil)
	if !bytes.Contains(meta, []byte(`["Abyssinian","Bengal","pug"]`)) {
		t.Errorf("metadata %q has no vocab", meta)
	}
	for _, name := range []string{onnx.InputName, onnx.LogitsName, onnx.ProbsName, "0.4.0.conv1.weight_folded", "0.4.0.conv1.bias_folded", "1.8.weight_folded"} {
		if !bytes.Contains(fields[7][0], []byte(name)) {
			t.Errorf("the graph does not name %q", name)
		}
	}
}

func TestWriteRefusesMissingWeights(t *testing.T) {
	c := exportClassifier(t, "resnet18_archive.pkl")
	delete(c.Weights, "0.5.1.bn2.running_var")
	err := onnx.Write(&bytes.Buffer{}, c)
	if err == nil || !strings.Contains(err.Error(), "0.5.1.bn2.running_var") {
		t.Errorf("error %v, want one naming the missing weight", err)
	}
	c = exportClassifier(t, "resnet18_archive.pkl")
	c.Vocab = c.Vocab[:2]
	if err := onnx.Write(&bytes.Buffer{}, c); err == nil {
		t.Error("a vocab of 2 for 3 classes was written")
	}
}

// make parity: torchvision's full-size ResNet18/34/50 with fastai's head,
// exported by fastai (scripts/fastai_files.py full), written as ONNX and
// run by ONNX Runtime on the pets images at 224 px; and the chapter's
// Resize(460) + aug_transforms(224, min_scale 0.75) ResNet34, whose graph
// area-averages 460 → 448 before its bilinear resize to 224, against
// PyTorch with fastai's preprocessing.
func TestParityONNXFullSize(t *testing.T) {
	dir := testutil.LoadParity(t).Dir
	refs := testutil.OpenParity(t, filepath.Join(dir, "fastai"), dir)
	for _, c := range []struct{ name, arch, label string }{
		{"resnet18", "resnet18", "fastai resnet18 (224 px)"},
		{"resnet34", "resnet34", "fastai resnet34 (224 px)"},
		{"resnet50", "resnet50", "fastai resnet50 (224 px)"},
		{"chapter", "resnet34", "fastai Resize(460)+aug_transforms(224), fastai's preprocessing (area step 460→448)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, "fastai", c.name+"_export.pkl")
			cl := readClassifier(t, path)
			if cl.Arch.Name != c.arch {
				t.Fatalf("recognised %s", cl.Arch.Name)
			}
			if c.name == "chapter" && (cl.InputSize != 460 || cl.Size != 224) {
				t.Fatalf("chapter export: input %d, size %d; want 460, 224", cl.InputSize, cl.Size)
			}
			model := filepath.Join(t.TempDir(), c.name+".onnx")
			if err := onnx.WriteFile(model, cl); err != nil {
				t.Fatal(err)
			}
			compareWithPyTorch(t, refs, model, c.name, c.label)
		})
	}
}

// TestWriteFileLikeExport: ONNX files were written 0600 (CreateTemp, no
// chmod) while learner exports are 0644 "so that a server under another
// user can read them", a missing folder was an error (Export creates it),
// and a full or read-only disk gave the raw OS error. WriteFile now does
// what learner.Export does, and says what the other writers say.
func TestWriteFileLikeExport(t *testing.T) {
	c := exportClassifier(t, "resnet18_archive.pkl")
	path := filepath.Join(t.TempDir(), "new", "folder", "pets.onnx")
	if err := onnx.WriteFile(path, c); err != nil {
		t.Fatalf("WriteFile into a missing folder: %v", err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("written with mode %v (%v), want 0644 as learner.Export", st.Mode().Perm(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*tmp*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	for name, tc := range map[string]struct {
		dir  string
		want string
	}{
		"full":      {testutil.Tmpfs(t, 32<<10, false), "is full"},
		"read-only": {testutil.Tmpfs(t, 1<<20, true), "read-only file system"},
	} {
		out := filepath.Join(tc.dir, "pets.onnx")
		err := onnx.WriteFile(out, c)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.dir) || !strings.Contains(err.Error(), "write to another folder") {
			t.Errorf("%s disk: %v, want it to say %q, name %s and what to do", name, err, tc.want, tc.dir)
		}
		if left, _ := filepath.Glob(filepath.Join(tc.dir, "*")); len(left) != 0 {
			t.Errorf("%s disk: files left: %v", name, left)
		}
	}
}
