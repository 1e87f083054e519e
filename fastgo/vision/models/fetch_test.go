package models

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gomlx/gomlx/ml/model"
)

// weightServer serves the tiny checkpoint under its torch.hub-style name
// (with its real hash prefix), honouring Range requests, and counts them.
func weightServer(t *testing.T) (arch Arch, content []byte, ranges *atomic.Int32) {
	content, err := os.ReadFile(tinyCheckpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	name := "tiny_resnet-" + hex.EncodeToString(sum[:])[:8] + ".pth"
	ranges = new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/models/"+name {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Range") != "" {
			ranges.Add(1)
		}
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(content))
	}))
	t.Cleanup(srv.Close)
	arch = tinyArch
	arch.URL = srv.URL + "/models/" + name
	return arch, content, ranges
}

func TestLoadPretrainedDownloadsOnceThenUsesCache(t *testing.T) {
	arch, content, _ := weightServer(t)
	dir := t.TempDir()
	var progress strings.Builder
	store := model.NewStore()
	report, err := LoadPretrained(store.RootScope().In(BodyScope), arch, PretrainedOptions{Dir: dir, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if report.Tensors != len(arch.StateDict()) || report.File != filepath.Join(dir, arch.File()) {
		t.Errorf("report %+v", report)
	}
	if got, _ := os.ReadFile(report.File); !bytes.Equal(got, content) {
		t.Errorf("cached file differs from the served one")
	}
	if !strings.Contains(progress.String(), "Downloaded "+report.File) {
		t.Errorf("progress %q does not say what was downloaded", progress.String())
	}
	// Offline now works from the cache.
	if _, err := LoadPretrained(model.NewStore().RootScope().In(BodyScope), arch, PretrainedOptions{Dir: dir, Offline: true}); err != nil {
		t.Errorf("offline load from the cache: %v", err)
	}
}

func TestFetchWeightsResumesPartialDownload(t *testing.T) {
	arch, content, ranges := weightServer(t)
	dir := t.TempDir()
	part := filepath.Join(dir, arch.File()+".part")
	if err := os.WriteFile(part, content[:len(content)/3], 0o644); err != nil {
		t.Fatal(err)
	}
	path, err := FetchWeights(arch, PretrainedOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, content) || ranges.Load() != 1 {
		t.Errorf("resumed download: equal=%v, range requests %d (want 1)", bytes.Equal(got, content), ranges.Load())
	}
	if _, err := os.Stat(part); !os.IsNotExist(err) {
		t.Errorf(".part file left behind: %v", err)
	}
}

func TestFetchWeightsRejectsCorruptDownload(t *testing.T) {
	arch, content, _ := weightServer(t)
	dir := t.TempDir()
	// A wrong .part prefix makes the resumed file's hash mismatch.
	if err := os.WriteFile(filepath.Join(dir, arch.File()+".part"), bytes.Repeat([]byte{'x'}, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := FetchWeights(arch, PretrainedOptions{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Fatalf("error %v, want a SHA-256 mismatch", err)
	}
	if _, err := os.Stat(filepath.Join(dir, arch.File())); !os.IsNotExist(err) {
		t.Errorf("corrupt file was installed")
	}
	// The next attempt starts over and succeeds.
	if path, err := FetchWeights(arch, PretrainedOptions{Dir: dir}); err != nil {
		t.Errorf("retry: %v", err)
	} else if got, _ := os.ReadFile(path); !bytes.Equal(got, content) {
		t.Errorf("retry gave different content")
	}
}

func TestFetchWeightsOfflineSaysWhereToPutTheFile(t *testing.T) {
	arch, _, _ := weightServer(t)
	dir := t.TempDir()
	want := filepath.Join(dir, arch.File())
	_, err := FetchWeights(arch, PretrainedOptions{Dir: dir, Offline: true})
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), arch.URL) {
		t.Errorf("offline error %v: want it to name %s and %s", err, want, arch.URL)
	}
	// An unreachable server: the same advice, plus the cause.
	arch.URL = "http://127.0.0.1:1/models/" + arch.File()
	_, err = FetchWeights(arch, PretrainedOptions{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "by hand") || !strings.Contains(err.Error(), want) {
		t.Errorf("unreachable server error %v", err)
	}
	if _, err := os.Stat(want); !os.IsNotExist(err) {
		t.Errorf("a file was created despite the failure")
	}
}

func TestModelsDirFollowsFastgoHome(t *testing.T) {
	t.Setenv("FASTGO_HOME", "/tmp/fghome")
	if got := ModelsDir(); got != filepath.Join("/tmp/fghome", "models") {
		t.Errorf("ModelsDir() = %q", got)
	}
}

func TestFetchWeightsInstallsCompletePart(t *testing.T) {
	arch, content, _ := weightServer(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, arch.File()+".part"), content, 0o644); err != nil {
		t.Fatal(err)
	}
	if path, err := FetchWeights(arch, PretrainedOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	} else if got, _ := os.ReadFile(path); !bytes.Equal(got, content) {
		t.Errorf("installed file differs")
	}
}
