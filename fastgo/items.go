package fastgo

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// GetFiles is fastai's get_files with recurse=True: the files under path
// whose lower-cased suffix is one of extensions (every file when none are
// given), skipping names that start with ".", sorted by path.
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
					continue // a dangling link is not a file to load
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
	return out, nil
}
