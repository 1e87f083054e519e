package learner

import (
	"archive/zip"
	"bytes"
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

// Files from elsewhere are named for what they are, with what to do —
// before, a newer fastgo's file was "to export again" and a fastai
// export.pkl or a PyTorch file "cut short in a copy?".
func TestForeignFilesSayWhatTheyAre(t *testing.T) {
	dir := t.TempDir()
	l := newTiny(t)
	if err := l.ensureBuilt(); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.learner")
	if err := l.Export(good); err != nil {
		t.Fatal(err)
	}
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
	cases := map[string][]string{
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
