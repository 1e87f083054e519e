package learner

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/gob"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// zipFile writes a zip with the given entries, laid out as torch.save does
// (a folder named after the file, its pickle in data.pkl).
func zipFile(t *testing.T, path string, entries map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for name, body := range entries {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// exportTiny exports a tiny learner to dir/good.learner.
func exportTiny(t *testing.T, dir string) string {
	t.Helper()
	l := newTiny(t)
	if err := l.ensureBuilt(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "good.learner")
	if err := l.Export(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// Files from elsewhere are named for what they are, with what to do —
// before, a newer fastgo's file was "to export again" and a fastai
// export.pkl or a PyTorch file "cut short in a copy?".
func TestForeignFilesSayWhatTheyAre(t *testing.T) {
	dir := t.TempDir()
	good := exportTiny(t, dir)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.learner")
	if err := os.WriteFile(cut, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	// A file of the next layout version, as a newer fastgo would write it.
	newer := filepath.Join(dir, "newer.learner")
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(checkpointHeader{Version: checkpointVersion + 1, Model: "tiny"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(newer, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// fastai's learn.export(): torch.save of the Learner, whose pickle
	// names the class as protocol 2's GLOBAL opcode does.
	export := filepath.Join(dir, "export.pkl")
	zipFile(t, export, map[string]string{"export/data.pkl": "\x80\x02cfastai.learner\nLearner\nq\x00)\x81q\x01}q\x02b.", "export/version": "3\n"})
	legacy := filepath.Join(dir, "old.pth")
	if err := os.WriteFile(legacy, []byte(legacyTorchMagic+".\x80\x02}q\x00."), 0o644); err != nil {
		t.Fatal(err)
	}
	pickle := filepath.Join(dir, "model.pkl")
	if err := os.WriteFile(pickle, []byte("\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94."), 0o644); err != nil {
		t.Fatal(err)
	}
	// What the trial's user gave `fastgo predict` as MODEL, once all
	// "empty" or "cut short in a copy?": a folder, fastgo's own ONNX
	// export, a .tgz, an image, and a zip that torch.save did not write.
	folder := filepath.Join(dir, "models")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	onnxFile := filepath.Join(dir, "pets.onnx")
	if err := os.WriteFile(onnxFile, []byte("\x08\x08\x12\x06fastgo\x1a\x0212\xe5\x01resnet34"), 0o644); err != nil {
		t.Fatal(err)
	}
	tgz := filepath.Join(dir, "model.tgz")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	if err := os.WriteFile(tgz, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	otherZip := filepath.Join(dir, "some.zip")
	zipFile(t, otherZip, map[string]string{"README.txt": "hello"})
	cases := map[string][]string{
		folder:                              {"is a folder", "the path of the model file"},
		onnxFile:                            {"ONNX model", "export-onnx", "learner file it was exported from"},
		tgz:                                 {"gzip-compressed", "tar -xzf"},
		"../../testdata/images/pug_166.jpg": {"image (JPEG)", "MODEL IMAGE"},
		otherZip:                            {"zip archive", "extract it"},
		// A dict whose "model" calls posix.system: once "a PyTorch file
		// (a model or its state_dict)".
		"../../testdata/fastai/refuse_exec.pkl":  {`refused: its pickle calls posix.system("touch /tmp/fastgo-pickle-executed")`, "ran nothing", "not a model"},
		newer:                                    {"newer fastgo", "update fastgo"},
		export:                                   {"fastai export", "learn.export()", "cnn.LoadFastai", "fastgo serve"},
		"../../testdata/weights/tiny_resnet.pth": {"PyTorch file", "state_dict", "models.LoadWeightsFile"},
		legacy:                                   {"PyTorch file", "before PyTorch 1.6"},
		pickle:                                   {"Python pickle"},
		cut:                                      {"cut short", "copy it again"},
	}
	for path, want := range cases {
		_, rerr := ReadExport(path)
		lerr := newTiny(t).Load(path)
		for _, err := range []error{rerr, lerr} {
			if err == nil {
				t.Errorf("%s: no error", path)
				continue
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s: %v\nwant it to say %q", filepath.Base(path), err, w)
				}
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("%s: %v does not name the file", path, err)
			}
		}
	}
}

// IsTorchFile, the check that sends a model file to the fastai reader,
// says yes to torch.save's files only.
func TestIsTorchFile(t *testing.T) {
	dir := t.TempDir()
	learnerFile := exportTiny(t, dir)
	otherZip := filepath.Join(dir, "some.zip")
	zipFile(t, otherZip, map[string]string{"README.txt": "hello"})
	pickle := filepath.Join(dir, "model.pkl")
	if err := os.WriteFile(pickle, []byte("\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94."), 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{
		"../../testdata/fastai/resnet18_archive.pkl": true,
		"../../testdata/fastai/resnet18_legacy.pkl":  true,
		"../../testdata/fastai/resnet18_save_v2.pth": true,
		"../../testdata/fastai/refuse_exec.pkl":      true,
		"../../testdata/weights/tiny_resnet.pth":     true,
		learnerFile:                                  false,
		otherZip:                                     false,
		pickle:                                       false,
		dir:                                          false,
		filepath.Join(dir, "missing"):                false,
		"../../testdata/images/pug_166.jpg":          false,
	} {
		if got := IsTorchFile(path); got != want {
			t.Errorf("IsTorchFile(%s) = %v, want %v", path, got, want)
		}
	}
}

// FuzzIdentifyFile: any content is identified without a panic, and what
// IsTorchFile sends to the fastai reader starts as torch.save's files do.
func FuzzIdentifyFile(f *testing.F) {
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte(legacyTorchMagic))
	f.Add([]byte("\x08\x08\x12\x06fastgo"))
	f.Add([]byte("\x1f\x8b\x08\x00"))
	f.Add([]byte("\xff\xd8\xff\xe0"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "model")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_ = identifyFile(p)
		if IsTorchFile(p) && !bytes.HasPrefix(data, []byte("PK\x03\x04")) && !bytes.HasPrefix(data, []byte(legacyTorchMagic)) {
			t.Errorf("IsTorchFile(%q) is true", data)
		}
	})
}
