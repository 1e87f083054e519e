package external

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
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

// dataEntries lists a data folder without UntarData's lock files (kept
// there on purpose: removing a lock file races with the next locker).
func dataEntries(dir string) []os.DirEntry {
	all, _ := os.ReadDir(dir)
	var out []os.DirEntry
	for _, e := range all {
		if !strings.HasSuffix(e.Name(), ".lock") {
			out = append(out, e)
		}
	}
	return out
}

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
	entries := dataEntries(filepath.Join(home, "data"))
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
			_, err := extractArchive(archive, dataDir, "hostile", false)
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
			if entries := dataEntries(dest); len(entries) != 0 {
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

// A plain .tar cut exactly between two entries (no end-of-archive blocks:
// a download or copy that stopped there) is reported as ending early and
// nothing is extracted; before, the entries before the cut were extracted
// without a word. The whole archive, and one with a single end block, as
// some writers leave, extract.
func TestUntarArchiveEndingEarly(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	var cuts []int
	for i, body := range []string{"first", strings.Repeat("second", 200), "third"} {
		if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("pets/images/cat_%d.jpg", i), Typeflag: tar.TypeReg, Size: int64(len(body)), Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
		tw.Flush()
		cuts = append(cuts, buf.Len())
	}
	tw.Close()
	whole := buf.Bytes()
	dir := t.TempDir()
	for i, cut := range cuts[:2] {
		archive := filepath.Join(dir, fmt.Sprintf("cut%d.tar", i))
		os.WriteFile(archive, whole[:cut], 0o644)
		dest := filepath.Join(dir, fmt.Sprintf("out%d", i))
		_, err := UntarData(archive, WithDest(fastgo.Path(dest)))
		if err == nil || !strings.Contains(err.Error(), "ends early") || !strings.Contains(err.Error(), "cut short") {
			t.Errorf("archive cut after entry %d: err = %v, want one saying it ends early", i, err)
		}
		if entries := dataEntries(dest); len(entries) != 0 {
			t.Errorf("archive cut after entry %d: %d entries extracted", i, len(entries))
		}
	}
	for name, data := range map[string][]byte{"whole": whole, "one end block": whole[:cuts[2]+tarBlock]} {
		archive := filepath.Join(dir, name+".tar")
		os.WriteFile(archive, data, 0o644)
		got, err := UntarData(archive, WithDest(fastgo.Path(filepath.Join(dir, "ok-"+name))))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if b, err := os.ReadFile(filepath.Join(string(got), "images", "cat_2.jpg")); err != nil || string(b) != "third" {
			t.Errorf("%s: the last entry reads %q, %v", name, b, err)
		}
	}
}

// Two notebooks calling UntarData on the same dataset at once: every call
// returns the same folder, extracted once and never replaced while the
// others read it (before: a later extraction removed and replaced the
// folder under the readers, ~3,000 failed reads). The lock is flock(2)'s,
// which holds between file descriptors as between processes.
func TestUntarDataConcurrentCallsShareOneExtraction(t *testing.T) {
	var files []entry
	files = append(files, entry{Name: "pets/", Typ: tar.TypeDir})
	for i := range 300 {
		files = append(files, entry{Name: fmt.Sprintf("pets/images/cat_%03d.jpg", i), Body: strings.Repeat("meow", 500)})
	}
	dir := t.TempDir()
	archive := filepath.Join(dir, "pets.tgz")
	if err := os.WriteFile(archive, makeTgz(t, files...), 0o644); err != nil {
		t.Fatal(err)
	}
	dest := fastgo.Path(filepath.Join(dir, "data"))
	const callers = 6
	var wg sync.WaitGroup
	var readErrs, calls sync.Map
	done := make(chan struct{})
	var returned sync.WaitGroup
	returned.Add(callers)
	for c := range callers {
		wg.Go(func() {
			got, err := UntarData(archive, WithDest(dest), WithProgress(io.Discard))
			returned.Done()
			if err != nil {
				t.Errorf("caller %d: %v", c, err)
				return
			}
			st, _ := os.Stat(string(got))
			calls.Store(c, st)
			// Read the dataset until every caller has returned.
			for {
				select {
				case <-done:
					return
				default:
				}
				for i := 0; i < 300; i += 7 {
					if _, err := os.ReadFile(filepath.Join(string(got), "images", fmt.Sprintf("cat_%03d.jpg", i))); err != nil {
						readErrs.Store(err.Error(), true)
					}
				}
			}
		})
	}
	returned.Wait()
	close(done)
	wg.Wait()
	readErrs.Range(func(k, _ any) bool { t.Errorf("read failed while another caller extracted: %v", k); return true })
	var first os.FileInfo
	calls.Range(func(_, v any) bool {
		st := v.(os.FileInfo)
		if first == nil {
			first = st
		} else if !os.SameFile(first, st) {
			t.Errorf("callers got different folders: the dataset was replaced")
		}
		return true
	})
	if entries := dataEntries(string(dest)); len(entries) != 1 {
		t.Errorf("the data folder holds %v, want the dataset alone", entries)
	}
}

// A full disk or a read-only folder is said as such, naming the variable
// that moves the folder — not "damaged, download it again" nor
// "offline". Needs root to mount a small tmpfs (CI is root); else skipped.
func TestUntarDataFullOrReadOnlyDisk(t *testing.T) {
	body := strings.Repeat("x", 64<<10)
	tgz := makeTgz(t, entry{Name: "pets/", Typ: tar.TypeDir}, entry{Name: "pets/a.jpg", Body: body}, entry{Name: "pets/b.jpg", Body: body})
	archive := filepath.Join(t.TempDir(), "pets.tgz")
	if err := os.WriteFile(archive, tgz, 0o644); err != nil {
		t.Fatal(err)
	}
	full := testutil.Tmpfs(t, 96<<10, false)
	t.Setenv(EnvData, full)
	_, err := UntarData(archive, WithProgress(io.Discard))
	for _, want := range []string{"is full", "FASTGO_DATA", "nothing was extracted"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("extracting onto a full disk: %v\nwant it to say %q", err, want)
		}
	}
	if err != nil && (strings.Contains(err.Error(), "damaged") || strings.Contains(err.Error(), "download it")) {
		t.Errorf("a full disk blamed on the archive: %v", err)
	}
	if entries := dataEntries(full); len(entries) != 0 {
		t.Errorf("a failed extraction left %v", entries)
	}
	// A read-only home: the download cannot start, and says why.
	srv := newArchiveServer(t, tgz)
	t.Setenv(EnvHome, testutil.Tmpfs(t, 1<<20, true))
	t.Setenv(EnvData, t.TempDir())
	_, err = UntarData(srv.URL+"/pets.tgz", WithProgress(io.Discard))
	for _, want := range []string{"read-only", "FASTGO_HOME"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("downloading into a read-only home: %v\nwant it to say %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "offline") {
		t.Errorf("a read-only home reported as offline: %v", err)
	}
}

// Two processes downloading the same file (pretrained weights in two
// notebooks): one fetches it, the other waits and uses it; before, both
// wrote the same .part file.
func TestDownloadConcurrentCallsFetchOnce(t *testing.T) {
	data := bytes.Repeat([]byte("weights "), 100000)
	var mu sync.Mutex
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		for i := 0; i < len(data); i += 100000 {
			w.Write(data[i:min(i+100000, len(data))])
			w.(http.Flusher).Flush()
			time.Sleep(10 * time.Millisecond)
		}
	}))
	defer srv.Close()
	dst := filepath.Join(t.TempDir(), "resnet34.pth")
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if err := Download(srv.URL+"/resnet34.pth", dst, DownloadOptions{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got, err := os.ReadFile(dst); err != nil || !bytes.Equal(got, data) {
		t.Errorf("the downloaded file has %d bytes (%v), want %d", len(got), err, len(data))
	}
	if requests != 1 {
		t.Errorf("%d requests: want one download shared by the three callers", requests)
	}
}
