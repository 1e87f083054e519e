package vision

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/display"
	"github.com/fastgo-ml/fastgo/fastgo"
)

// TestVerifyImages: fastai's verify_images on a folder with good and bad
// files returns the bad ones, in order, each with its reason.
func TestVerifyImages(t *testing.T) {
	t.Setenv(display.EnvDisplay, "terminal")
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join(testImages, "Abyssinian_1.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"a_good.jpg":      good,
		"b_truncated.jpg": good[:len(good)/2],
		"c_text.jpg":      []byte("not an image at all"),
		"d_good.jpg":      good,
		"e_empty.jpg":     nil,
	}
	var paths fastgo.L[fastgo.Path]
	for _, name := range []string{"a_good.jpg", "b_truncated.jpg", "c_text.jpg", "d_good.jpg", "e_empty.jpg"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, fastgo.Path(p))
	}
	bad := VerifyImages(paths)
	want := []string{"b_truncated.jpg", "c_text.jpg", "e_empty.jpg"}
	if len(bad) != len(want) {
		t.Fatalf("VerifyImages found %d bad files, want %d: %v", len(bad), len(want), bad)
	}
	for i, b := range bad {
		if b.Path.Name() != want[i] || b.Err == nil || !strings.Contains(b.Err.Error(), want[i]) {
			t.Errorf("bad[%d] = %s: %v; want %s with an error naming it", i, b.Path, b.Err, want[i])
		}
	}
	for _, reason := range []string{"truncated", "not a JPEG", "empty"} {
		if !strings.Contains(bad.String(), reason) {
			t.Errorf("the report does not say %q:\n%s", reason, bad)
		}
	}
	if s := bad.String(); !strings.HasPrefix(s, "(#3) [") {
		t.Errorf("report starts %q, want fastai's L form (#3) [...]", s[:min(len(s), 20)])
	}
	if len(VerifyImages(nil)) != 0 {
		t.Error("no files: want no failures")
	}
}

// Dangling symbolic links — git-annex content not fetched — are listed by
// VerifyImages with what they mean, whether given (a list made by hand)
// or left out of GetImageFiles' listing beside the good files; before,
// VerifyImages found nothing.
func TestVerifyImagesListsDanglingLinks(t *testing.T) {
	t.Setenv(display.EnvDisplay, "terminal")
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join(testImages, "pug_166.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.jpg", "c.jpg"} {
		if err := os.WriteFile(filepath.Join(dir, name), good, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"b.jpg", "d.jpg"} {
		if err := os.Symlink(".git/annex/objects/"+name, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	files, err := fastgo.GetImageFiles(fastgo.Path(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, given := range []fastgo.L[fastgo.Path]{files, append(files, fastgo.Path(filepath.Join(dir, "b.jpg")))} {
		bad := VerifyImages(given)
		if len(bad) != 2 || bad[0].Path.Name() != "b.jpg" && bad[1].Path.Name() != "b.jpg" {
			t.Fatalf("VerifyImages(%v) = %v, want b.jpg and d.jpg", given, bad)
		}
		for _, b := range bad {
			for _, want := range []string{"symbolic link to .git/annex/objects/", "which does not exist", "git annex get"} {
				if !strings.Contains(b.Err.Error(), want) {
					t.Errorf("%s: %v\nwant it to say %q", b.Path, b.Err, want)
				}
			}
		}
	}
}
