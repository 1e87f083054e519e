package external

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/internal/testutil"
)

// entry is one member of a test archive.
type entry = testutil.TarEntry

// makeTgz builds a gzipped tar archive in memory.
func makeTgz(t testing.TB, entries ...entry) []byte {
	t.Helper()
	return testutil.Tgz(t, gzip.DefaultCompression, entries...)
}

// petsTgz is a small archive shaped like oxford-iiit-pet.tgz, with enough
// content that the download takes several writes.
func petsTgz(t testing.TB) []byte {
	big := strings.Repeat("pixels ", 50000)
	return makeTgz(t,
		entry{Name: "pets/", Typ: tar.TypeDir},
		entry{Name: "pets/images/Abyssinian_1.jpg", Body: big},
		entry{Name: "pets/images/beagle_2.jpg", Body: "woof"},
		entry{Name: "pets/annotations/list.txt", Body: "list"},
	)
}

// archiveServer serves data at /pets.tgz with Range support and records
// the requests' Range headers.
type archiveServer struct {
	*httptest.Server
	mu     sync.Mutex
	ranges []string
	// cutAfter, when > 0, makes the next request stop after that many bytes.
	cutAfter int
	noRange  bool
}

func newArchiveServer(t *testing.T, data []byte) *archiveServer {
	s := &archiveServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.ranges = append(s.ranges, r.Header.Get("Range"))
		cut := s.cutAfter
		s.cutAfter = 0
		noRange := s.noRange
		s.mu.Unlock()
		if cut > 0 {
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.WriteHeader(http.StatusOK)
			w.Write(data[:cut])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // drop the connection mid-download
		}
		if noRange {
			r.Header.Del("Range")
		}
		http.ServeContent(w, r, "pets.tgz", time.Unix(0, 0), bytes.NewReader(data))
	}))
	t.Cleanup(s.Close)
	return s
}

func TestUntarDataDownloadAndCache(t *testing.T) {
	home := t.TempDir()
	t.Setenv("FASTGO_HOME", home)
	data := petsTgz(t)
	srv := newArchiveServer(t, data)
	var progress bytes.Buffer
	got, err := UntarData(srv.URL+"/pets.tgz", WithProgress(&progress))
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(home, "data", "pets")
	if string(got) != want {
		t.Errorf("UntarData = %s, want %s", got, want)
	}
	if b, err := os.ReadFile(filepath.Join(want, "images", "beagle_2.jpg")); err != nil || string(b) != "woof" {
		t.Errorf("extracted file: %q, %v", b, err)
	}
	if !strings.Contains(progress.String(), "\rpets.tgz |") || !strings.Contains(progress.String(), "100.00%") {
		t.Errorf("progress output = %q", progress.String())
	}
	announce := "Downloading " + srv.URL + "/pets.tgz (size unknown) to " + filepath.Join(home, "archive", "pets.tgz") + "\n"
	if !strings.HasPrefix(progress.String(), announce) {
		t.Errorf("progress output starts %q, want the announcement %q first", progress.String(), announce)
	}
	// Everything is in place: no network at all, even with the server gone.
	srv.Close()
	if got2, err := UntarData(srv.URL + "/pets.tgz"); err != nil || got2 != got {
		t.Errorf("second call = %s, %v; want %s from the cache", got2, err, got)
	}
	entries, _ := os.ReadDir(filepath.Join(home, "data"))
	if len(entries) != 1 {
		t.Errorf("data folder holds %d entries (temporary folders left?)", len(entries))
	}
}

// TestAnnounceDownloadSize: a known archive's size is said before the
// download starts (fastai's checks.txt size of URLs.Pets: 811,706,944 bytes).
func TestAnnounceDownloadSize(t *testing.T) {
	var b bytes.Buffer
	announceDownload(&b, URLs.Pets, "/a/oxford-iiit-pet.tgz", knownChecks[URLs.Pets].size)
	want := "Downloading " + URLs.Pets + " (774.1M) to /a/oxford-iiit-pet.tgz\n"
	if b.String() != want {
		t.Errorf("announcement = %q, want %q", b.String(), want)
	}
	announceDownload(nil, URLs.Pets, "x", 1) // no writer: nothing, no panic
}

// noNetwork is an HTTP transport that fails the test when used.
type noNetwork struct{ t *testing.T }

func (n noNetwork) RoundTrip(r *http.Request) (*http.Response, error) {
	n.t.Errorf("UntarData went to the network (%s) although the dataset is in the data folder", r.URL)
	return nil, errors.New("no network in this test")
}

// TestUntarDataFromDataDir: a dataset put in $FASTGO_DATA under the
// archive's name is what UntarData(URLs.Pets) returns, with no download —
// how offline machines, Docker volumes and the notebook harness provide it.
func TestUntarDataFromDataDir(t *testing.T) {
	t.Setenv("FASTGO_HOME", t.TempDir())
	data := t.TempDir()
	t.Setenv("FASTGO_DATA", data)
	if DataDir() != fastgo.Path(data) {
		t.Fatalf("DataDir() = %s, want $FASTGO_DATA %s", DataDir(), data)
	}
	pets := filepath.Join(data, "oxford-iiit-pet")
	if err := os.MkdirAll(filepath.Join(pets, "images"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := UntarData(URLs.Pets, WithHTTPClient(&http.Client{Transport: noNetwork{t}}))
	if err != nil || string(got) != pets {
		t.Fatalf("UntarData(URLs.Pets) = %s, %v; want %s", got, err, pets)
	}
	t.Setenv("FASTGO_DATA", "")
	if want := filepath.Join(string(Home()), "data"); string(DataDir()) != want {
		t.Errorf("DataDir() without FASTGO_DATA = %s, want %s", DataDir(), want)
	}
}

func TestUntarDataResume(t *testing.T) {
	t.Setenv("FASTGO_HOME", t.TempDir())
	data := petsTgz(t)
	srv := newArchiveServer(t, data)
	srv.cutAfter = len(data) / 2
	_, err := UntarData(srv.URL+"/pets.tgz", WithProgress(nil))
	if err == nil || !strings.Contains(err.Error(), "run again to resume") {
		t.Fatalf("interrupted download: err = %v", err)
	}
	part := filepath.Join(string(Home()), "archive", "pets.tgz.part")
	st, err := os.Stat(part)
	if err != nil || st.Size() == 0 || st.Size() >= int64(len(data)) {
		t.Fatalf(".part file after the interruption: %v, %v", st, err)
	}
	got, err := UntarData(srv.URL+"/pets.tgz", WithProgress(nil))
	if err != nil {
		t.Fatal(err)
	}
	if srv.ranges[1] != "bytes="+strconv.FormatInt(st.Size(), 10)+"-" {
		t.Errorf("second request Range = %q, want bytes=%d-", srv.ranges[1], st.Size())
	}
	b, err := os.ReadFile(filepath.Join(string(got), "images", "Abyssinian_1.jpg"))
	if err != nil || len(b) != 350000 {
		t.Errorf("resumed archive extracted wrongly: %d bytes, %v", len(b), err)
	}
}

func TestUntarDataServerWithoutRange(t *testing.T) {
	t.Setenv("FASTGO_HOME", t.TempDir())
	data := petsTgz(t)
	srv := newArchiveServer(t, data)
	srv.noRange = true
	archiveDir := filepath.Join(string(Home()), "archive")
	os.MkdirAll(archiveDir, 0o755)
	os.WriteFile(filepath.Join(archiveDir, "pets.tgz.part"), []byte("garbage from an old attempt"), 0o644)
	got, err := UntarData(srv.URL+"/pets.tgz", WithProgress(nil))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(string(got), "images", "beagle_2.jpg")); err != nil || string(b) != "woof" {
		t.Errorf("restarted download: %q, %v", b, err)
	}
}

func TestUntarDataChecksum(t *testing.T) {
	t.Setenv("FASTGO_HOME", t.TempDir())
	data := petsTgz(t)
	srv := newArchiveServer(t, data)
	url := srv.URL + "/pets.tgz"
	sum := md5.Sum(data[:min(len(data), checkedPrefix)])
	knownChecks[url] = archiveCheck{int64(len(data)), hex.EncodeToString(sum[:])}
	defer delete(knownChecks, url)
	if _, err := UntarData(url, WithProgress(nil)); err != nil {
		t.Fatalf("matching check: %v", err)
	}
	knownChecks[url] = archiveCheck{int64(len(data)), "00000000000000000000000000000000"}
	_, err := UntarData(url, WithProgress(nil), WithForce())
	if err == nil || !strings.Contains(err.Error(), "broken") || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("bad checksum: err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(string(Home()), "archive", "pets.tgz")); !os.IsNotExist(err) {
		t.Error("the broken archive was kept")
	}
}

func TestUntarDataOffline(t *testing.T) {
	t.Setenv("FASTGO_HOME", t.TempDir())
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/oxford-iiit-pet.tgz"
	srv.Close() // connection refused from now on
	_, err := UntarData(url, WithProgress(nil))
	if err == nil {
		t.Fatal("no error offline")
	}
	msg := err.Error()
	archive := filepath.Join(string(Home()), "archive", "oxford-iiit-pet.tgz")
	if _, err := os.Stat(archive + ".part"); !os.IsNotExist(err) {
		t.Errorf("an offline attempt left %s.part behind (stat: %v)", archive, err)
	}
	for _, want := range []string{url, "offline", archive, filepath.Join(string(Home()), "data", "oxford-iiit-pet"), "FASTGO_DATA"} {
		if !strings.Contains(msg, want) {
			t.Errorf("offline error lacks %q:\n%s", want, msg)
		}
	}
	srv404 := httptest.NewServer(http.NotFoundHandler())
	defer srv404.Close()
	if _, err := UntarData(srv404.URL+"/x.tgz", WithProgress(nil)); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("HTTP 404: %v", err)
	}
}

func TestUntarDataLocal(t *testing.T) {
	t.Setenv("FASTGO_HOME", t.TempDir())
	dir := t.TempDir()
	if got, err := UntarData(dir); err != nil || string(got) != dir {
		t.Errorf("local folder: %s, %v", got, err)
	}
	archive := filepath.Join(dir, "my-pets.tar.gz")
	os.WriteFile(archive, petsTgz(t), 0o644)
	dest := filepath.Join(dir, "out")
	got, err := UntarData(archive, WithDest(fastgo.Path(dest)))
	if err != nil || string(got) != filepath.Join(dest, "my-pets") {
		t.Fatalf("local archive: %s, %v", got, err)
	}
	if _, err := os.Stat(filepath.Join(string(got), "annotations", "list.txt")); err != nil {
		t.Error(err)
	}
	if _, err := UntarData(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "neither") {
		t.Errorf("missing path: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "data.zip"), []byte("PK"), 0o644)
	if _, err := UntarData(filepath.Join(dir, "data.zip")); err == nil || !strings.Contains(err.Error(), "by hand") {
		t.Errorf("zip: %v", err)
	}
}

// Hostile archives: nothing may land outside the target folder, and
// nothing is left behind in the data folder.
func TestUntarHostileArchives(t *testing.T) {
	cases := map[string][]entry{
		"parent":            {{Name: "../evil", Body: "x"}},
		"nested parent":     {{Name: "a/../../evil", Body: "x"}},
		"absolute":          {{Name: "/tmp/evil", Body: "x"}},
		"symlink absolute":  {{Name: "link", Typ: tar.TypeSymlink, Link: "/etc"}},
		"symlink parent":    {{Name: "a/link", Typ: tar.TypeSymlink, Link: "../../.."}},
		"write via symlink": {{Name: "link", Typ: tar.TypeSymlink, Link: "."}, {Name: "up", Typ: tar.TypeSymlink, Link: "link/.."}, {Name: "up/evil", Body: "x"}},
		"symlink chain":     {{Name: "link", Typ: tar.TypeSymlink, Link: "."}, {Name: "up", Typ: tar.TypeSymlink, Link: "link/.."}},
		"hardlink parent":   {{Name: "hl", Typ: tar.TypeLink, Link: "../outside.txt"}},
		"hardlink absolute": {{Name: "hl", Typ: tar.TypeLink, Link: "/etc/passwd"}},
		"hardlink via link": {{Name: "link", Typ: tar.TypeSymlink, Link: "."}, {Name: "up", Typ: tar.TypeSymlink, Link: "link/.."}, {Name: "hl", Typ: tar.TypeLink, Link: "up/outside.txt"}},
	}
	for name, entries := range cases {
		t.Run(name, func(t *testing.T) {
			sandbox := t.TempDir()
			outside := filepath.Join(sandbox, "outside.txt")
			os.WriteFile(outside, []byte("keep"), 0o644)
			archive := filepath.Join(sandbox, "hostile.tgz")
			os.WriteFile(archive, makeTgz(t, entries...), 0o644)
			dataDir := filepath.Join(sandbox, "data")
			_, err := extractArchive(archive, dataDir, "hostile")
			if err == nil || !strings.Contains(err.Error(), "archive entry") {
				t.Fatalf("err = %v, want an unsafe-entry error", err)
			}
			assertConfined(t, sandbox, []string{"outside.txt", "hostile.tgz", "data"})
			if left, _ := os.ReadDir(dataDir); len(left) != 0 {
				t.Errorf("data folder not clean after a failed extraction: %v", left)
			}
			if b, _ := os.ReadFile(outside); string(b) != "keep" {
				t.Errorf("outside file changed: %q", b)
			}
		})
	}
}

// Links that stay inside are fine.
func TestUntarSafeLinks(t *testing.T) {
	root := t.TempDir()
	data := makeTgz(t,
		entry{Name: "d/a.txt", Body: "hello"},
		entry{Name: "d/alias.txt", Typ: tar.TypeSymlink, Link: "a.txt"},
		entry{Name: "e/hard.txt", Typ: tar.TypeLink, Link: "d/a.txt"},
		entry{Name: "e/dir", Typ: tar.TypeSymlink, Link: "../d"},
		entry{Name: "fifo", Typ: tar.TypeFifo},
	)
	if err := untar(bytes.NewReader(data), root); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"d/alias.txt", "e/hard.txt", "e/dir/a.txt"} {
		if b, err := os.ReadFile(filepath.Join(root, p)); err != nil || string(b) != "hello" {
			t.Errorf("%s: %q, %v", p, b, err)
		}
	}
	if _, err := os.Lstat(filepath.Join(root, "fifo")); !os.IsNotExist(err) {
		t.Error("a FIFO entry was created")
	}
}

// assertConfined fails if sandbox holds anything at its top level but
// allowed.
func assertConfined(t *testing.T, sandbox string, allowed []string) {
	t.Helper()
	entries, err := os.ReadDir(sandbox)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		ok := false
		for _, a := range allowed {
			ok = ok || e.Name() == a
		}
		if !ok {
			t.Errorf("extraction escaped: %s created in %s", e.Name(), sandbox)
		}
	}
}

func FuzzUntar(f *testing.F) {
	f.Add(petsTgz(f))
	f.Add(makeTgz(f, entry{Name: "../evil", Body: "x"}))
	f.Add(makeTgz(f, entry{Name: "link", Typ: tar.TypeSymlink, Link: "."}, entry{Name: "up", Typ: tar.TypeSymlink, Link: "link/.."}, entry{Name: "up/evil", Body: "x"}))
	f.Add(makeTgz(f, entry{Name: "a", Body: "x"}, entry{Name: "h", Typ: tar.TypeLink, Link: "a"}))
	// Plain tar too, so the fuzzer can mutate headers without breaking gzip's CRC.
	var plain bytes.Buffer
	tw := tar.NewWriter(&plain)
	tw.WriteHeader(&tar.Header{Name: "x/y", Typeflag: tar.TypeSymlink, Linkname: "../z"})
	tw.WriteHeader(&tar.Header{Name: "x/f", Typeflag: tar.TypeReg, Size: 1, Mode: 0o644})
	tw.Write([]byte("1"))
	tw.Close()
	f.Add(plain.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		sandbox := t.TempDir()
		root := filepath.Join(sandbox, "root")
		os.Mkdir(root, 0o755)
		err := untar(bytes.NewReader(data), root)
		assertConfined(t, sandbox, []string{"root"})
		if err != nil {
			return
		}
		realRoot, _ := filepath.EvalSymlinks(root)
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Type()&os.ModeSymlink != 0 {
				if target, err := filepath.EvalSymlinks(p); err != nil || !within(realRoot, target) {
					t.Errorf("link %s leads to %s (%v)", p, target, err)
				}
			}
			return nil
		})
	})
}

func TestParseContentRange(t *testing.T) {
	for h, want := range map[string][3]int64{
		"bytes 100-199/500": {100, 500, 1},
		"bytes */500":       {-1, 500, 1},
		"bytes 1-2":         {0, 0, 0},
		"items 1-2/3":       {0, 0, 0},
	} {
		s, n, ok := parseContentRange(h)
		if ok != (want[2] == 1) || (ok && (s != want[0] || n != want[1])) {
			t.Errorf("parseContentRange(%q) = %d, %d, %v", h, s, n, ok)
		}
	}
}

// storedTgz is a .tgz whose deflate blocks are stored (no compression), so
// that a byte of a member's content can be flipped without breaking the
// deflate stream: only gzip's CRC-32 can tell.
func storedTgz(t *testing.T, body string) []byte {
	t.Helper()
	return testutil.Tgz(t, gzip.NoCompression,
		entry{Name: "pets/", Typ: tar.TypeDir}, entry{Name: "pets/images/cat_1.jpg", Body: body})
}

// TestUntarCorruptArchive: a flipped byte inside a member (caught only by
// gzip's CRC-32 in the trailer, which tar's end blocks come before) and a
// truncated archive must fail, leave nothing extracted, and say to download
// again; a downloaded archive that fails is removed so the next run
// downloads it anew.
func TestUntarCorruptArchive(t *testing.T) {
	body := strings.Repeat("meow", 1000)
	good := storedTgz(t, body)
	flipped := bytes.Clone(good)
	i := bytes.Index(flipped, []byte(body))
	if i < 0 {
		t.Fatal("member content not found in the stored archive")
	}
	flipped[i+2000] ^= 0x20
	truncated := good[:len(good)*2/3]
	for name, data := range map[string][]byte{"flipped byte": flipped, "truncated": truncated} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("FASTGO_HOME", t.TempDir())
			dir := t.TempDir()
			archive := filepath.Join(dir, "pets.tgz")
			os.WriteFile(archive, data, 0o644)
			dest := filepath.Join(dir, "out")
			_, err := UntarData(archive, WithDest(fastgo.Path(dest)))
			if err == nil || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), "download it again") {
				t.Errorf("local archive: err = %v, want a damaged-archive error saying to download it again", err)
			}
			if entries, _ := os.ReadDir(dest); len(entries) != 0 {
				t.Errorf("a damaged archive left %d entries in %s", len(entries), dest)
			}
			// Downloaded: the bad file is removed, the error says to run again.
			srv := newArchiveServer(t, data)
			_, err = UntarData(srv.URL+"/pets.tgz", WithProgress(nil))
			if err == nil || !strings.Contains(err.Error(), "run again to download it anew") {
				t.Errorf("downloaded archive: err = %v, want one saying to run again", err)
			}
			if _, err := os.Stat(filepath.Join(string(Home()), "archive", "pets.tgz")); !os.IsNotExist(err) {
				t.Errorf("the damaged download was kept (stat: %v)", err)
			}
			if _, err := os.Stat(filepath.Join(string(Home()), "data", "pets")); !os.IsNotExist(err) {
				t.Errorf("a damaged download was extracted (stat: %v)", err)
			}
		})
	}
	// The intact archive extracts, with the content byte for byte.
	t.Setenv("FASTGO_HOME", t.TempDir())
	dir := t.TempDir()
	archive := filepath.Join(dir, "pets.tgz")
	os.WriteFile(archive, good, 0o644)
	got, err := UntarData(archive)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(string(got), "images", "cat_1.jpg")); err != nil || string(b) != body {
		t.Errorf("intact archive: %d bytes, %v", len(b), err)
	}
}
