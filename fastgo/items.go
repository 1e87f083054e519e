package fastgo

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/fastgo-ml/fastgo/display"
)

// ImageExtensions are the lower-cased suffixes GetImageFiles keeps: those
// whose MIME type is image/* in Python 3.11's built-in mimetypes table
// (fastai's image_extensions), plus ".webp". fastgo uses a fixed list rather
// than the system's MIME database so that results do not depend on the
// machine.
var ImageExtensions = []string{
	".avif", ".bmp", ".gif", ".heic", ".heif", ".ico", ".ief", ".jpe", ".jpeg",
	".jpg", ".pbm", ".pgm", ".png", ".pnm", ".ppm", ".ras", ".rgb", ".svg",
	".tif", ".tiff", ".webp", ".xbm", ".xpm", ".xwd",
}

// GetImageFiles is fastai's get_image_files: every file under path, in all
// sub-folders (following symbolic links to folders), whose lower-cased
// suffix is in ImageExtensions. Names starting with "." are skipped, files
// and folders alike.
//
// Unlike fastai, whose order is the file system's listing order, the result
// is sorted by path, so the same folder gives the same list (and the same
// seeded split) on every machine. RandomSplitter therefore picks different
// files than fastai does with the same seed.
func GetImageFiles(path Path) (L[Path], error) {
	return GetFiles(path, ImageExtensions...)
}

// DanglingLinkAdvice says what symbolic links whose target is missing
// usually are in a dataset, and how to get their content.
const DanglingLinkAdvice = "in a dataset these are usually files whose content was never fetched — git-annex or DataLad (git annex get . / datalad get .), DVC (dvc pull) — or a copy that kept the links but not what they point to"

// notes is where GetFiles says what it skipped (tests replace it).
var notes = display.NotebookStdout

// GetFiles is fastai's get_files with recurse=True: the files under path
// whose lower-cased suffix is one of extensions (every file when none are
// given), skipping names that start with ".", sorted by path.
//
// Symbolic links whose target is missing (dangling: git-annex, DataLad or
// DVC content not fetched) are left out, as there is nothing to load, and
// counted: GetFiles prints one line saying how many, naming one and what
// they usually mean (vision.VerifyImages lists them all). fastai keeps
// them, and its training then fails on the first one.
func GetFiles(path Path, extensions ...string) (L[Path], error) {
	info, err := os.Stat(string(path))
	if err != nil {
		return nil, fmt.Errorf("get files: %w (check the folder exists; UntarData returns it)", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("get files: %s is a file, not a folder: pass the folder that holds the images", path)
	}
	keep := map[string]bool{}
	for _, e := range extensions {
		keep[strings.ToLower(e)] = true
	}
	out := L[Path]{}
	var dangling []Path
	// visited holds the real path of every folder walked, so links that
	// point back up the tree do not loop forever.
	visited := map[string]bool{}
	var walk func(dir Path) error
	walk = func(dir Path) error {
		real, err := filepath.EvalSymlinks(string(dir))
		if err != nil {
			return fmt.Errorf("get files: %w", err)
		}
		if visited[real] {
			return nil
		}
		visited[real] = true
		entries, err := os.ReadDir(string(dir))
		if err != nil {
			return fmt.Errorf("get files: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				continue
			}
			p := dir.Join(name)
			isDir := e.IsDir()
			if e.Type()&os.ModeSymlink != 0 {
				st, err := os.Stat(string(p))
				if err != nil {
					// A dangling link is not a file to load; said below.
					if len(keep) == 0 || keep[strings.ToLower(filepath.Ext(name))] {
						dangling = append(dangling, p)
					}
					continue
				}
				isDir = st.IsDir()
			}
			if isDir {
				if err := walk(p); err != nil {
					return err
				}
				continue
			}
			if len(keep) == 0 || keep[strings.ToLower(filepath.Ext(name))] {
				out = append(out, p)
			}
		}
		return nil
	}
	if err := walk(path); err != nil {
		return nil, err
	}
	slices.Sort(out)
	if len(dangling) > 0 {
		sayDangling(notes(), path, dangling, len(out))
	}
	return out, nil
}

// sayDangling writes GetFiles' one line about the dangling links it left
// out of a listing that kept found files.
func sayDangling(w io.Writer, root Path, dangling []Path, found int) {
	slices.Sort(dangling)
	first := string(dangling[0])
	if rel, err := filepath.Rel(string(root), first); err == nil {
		first = rel
	}
	if target, err := os.Readlink(string(dangling[0])); err == nil {
		first += " → " + target
	}
	fmt.Fprintf(w, "get files: %d of the %d files under %s are symbolic links to nothing, left out (e.g. %s): %s; vision.VerifyImages lists them.\n",
		len(dangling), len(dangling)+found, root, first, DanglingLinkAdvice)
}
