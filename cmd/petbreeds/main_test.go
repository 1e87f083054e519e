package main

import (
	"archive/tar"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/fastgo/external"
	"github.com/fastgo-ml/fastgo/internal/testutil"
)

// petsArchive is a .tgz holding oxford-iiit-pet/images/Abyssinian_1.jpg.
func petsArchive(t *testing.T) []byte {
	return testutil.Tgz(t, gzip.DefaultCompression,
		testutil.TarEntry{Name: "oxford-iiit-pet/", Typ: tar.TypeDir},
		testutil.TarEntry{Name: "oxford-iiit-pet/images/", Typ: tar.TypeDir},
		testutil.TarEntry{Name: "oxford-iiit-pet/images/Abyssinian_1.jpg", Body: "jpeg"})
}

// TestChooseData: -data first, then the shared sample, then the real
// dataset, and offline the bundled images.
func TestChooseData(t *testing.T) {
	t.Setenv("FASTGO_HOME", t.TempDir())
	t.Setenv("FASTGO_DATA", t.TempDir())
	dir := t.TempDir()
	sample := filepath.Join(dir, "sample")
	bundled := filepath.Join(dir, "testdata")
	for _, d := range []string{sample, bundled} {
		if err := os.MkdirAll(filepath.Join(d, "images"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	archive := petsArchive(t)
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		_, _ = w.Write(archive)
	}))
	defer srv.Close()
	url := srv.URL + "/oxford-iiit-pet.tgz"
	quiet := external.WithProgress(nil)

	own := t.TempDir()
	if _, err := chooseData(own, sample, url, bundled, quiet); err == nil || !strings.Contains(err.Error(), "no images/ folder") {
		t.Errorf("-data without images/: err = %v, want one saying the folder needs images/", err)
	}
	os.Mkdir(filepath.Join(own, "images"), 0o755)
	if got, err := chooseData(own, sample, url, bundled, quiet); err != nil || string(got) != own {
		t.Errorf("-data %s: got %s, %v", own, got, err)
	}
	if got, err := chooseData("", sample, url, bundled, quiet); err != nil || string(got) != sample {
		t.Errorf("sample present: got %s, %v; want %s", got, err, sample)
	}
	if requests != 0 {
		t.Errorf("%d downloads although -data or the sample was there", requests)
	}
	missing := filepath.Join(dir, "no-sample")
	want := filepath.Join(os.Getenv("FASTGO_DATA"), "oxford-iiit-pet")
	if got, err := chooseData("", missing, url, bundled, quiet); err != nil || string(got) != want {
		t.Errorf("no sample, online: got %s, %v; want the download in %s", got, err, want)
	}
	if _, err := os.Stat(filepath.Join(want, "images", "Abyssinian_1.jpg")); err != nil {
		t.Errorf("downloaded dataset: %v", err)
	}

	t.Setenv("FASTGO_HOME", t.TempDir()) // no archive cached
	t.Setenv("FASTGO_DATA", t.TempDir()) // nothing extracted
	srv.Close()                          // offline from now on
	if got, err := chooseData("", missing, url, bundled, quiet); err != nil || string(got) != bundled {
		t.Errorf("no sample, offline: got %s, %v; want the bundled %s", got, err, bundled)
	}
}
