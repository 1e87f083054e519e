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
// and folders alike. [ImageGetter] takes get_image_files' other arguments
// (recurse, folders).
//
// Unlike fastai, whose order is the file system's listing order, the result
// is sorted by path, so the same folder gives the same list (and the same
// seeded split) on every machine. RandomSplitter therefore picks different
// files than fastai does with the same seed. Errors are GetFiles'.
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
//
// [FileGetter] takes get_files' other arguments (recurse, folders).
//
// Errors: path does not exist or cannot be read, or is a file, not a
// folder; a sub-folder that cannot be read (the os error, naming it).
func GetFiles(path Path, extensions ...string) (L[Path], error) {
	return getFiles(path, filesQuery{extensions: extensions, recurse: true})
}

// FilesOption is one of get_files' keyword arguments, for [FileGetter]
// and [ImageGetter].
type FilesOption func(*filesQuery)

type filesQuery struct {
	extensions []string
	recurse    bool
	folders    []string
}

// Extensions keeps the files whose lower-cased suffix (with its dot:
// ".png") is one of exts (fastai's extensions; default: every file for
// FileGetter, ImageExtensions for ImageGetter).
func Extensions(exts ...string) FilesOption {
	return func(q *filesQuery) { q.extensions = exts }
}

// Recurse says whether sub-folders are searched (fastai's recurse, default
// true). Without it only the files directly in the folder are listed, and
// Folders has no effect, as in fastai.
func Recurse(on bool) FilesOption { return func(q *filesQuery) { q.recurse = on } }

// Folders limits the search to these sub-folders of the folder searched
// (fastai's folders): their names, exact, one level down ("train", not
// "train/3"); everything below them is searched. The folder's own files
// are left out unless "." is one of the names. A folder named here is
// searched even if its name starts with ".".
func Folders(names ...string) FilesOption {
	return func(q *filesQuery) { q.folders = names }
}

// FileGetter is fastai's FileGetter(suf, extensions, recurse, folders): a
// function listing the files of the folder suf below the path it is given,
// as get_files does with those arguments, sorted by path (see
// GetImageFiles). It fits DataBlock.GetItems.
//
//	// get_files(path, extensions='.png', recurse=True, folders='train')
//	files, err := fastgo.FileGetter("", fastgo.Extensions(".png"), fastgo.Folders("train"))(path)
func FileGetter(suf string, opts ...FilesOption) func(Path) (L[Path], error) {
	q := filesQuery{recurse: true}
	for _, o := range opts {
		o(&q)
	}
	q.extensions = slices.Clone(q.extensions)
	q.folders = slices.Clone(q.folders)
	return func(path Path) (L[Path], error) {
		if suf != "" {
			path = path.Join(suf)
		}
		return getFiles(path, q)
	}
}

// ImageGetter is fastai's ImageGetter(suf, recurse, folders): FileGetter
// keeping the image files (ImageExtensions unless Extensions says
// otherwise).
//
//	GetItems: fastgo.ImageGetter("", fastgo.Folders("train", "valid")),
func ImageGetter(suf string, opts ...FilesOption) func(Path) (L[Path], error) {
	return FileGetter(suf, append([]FilesOption{Extensions(ImageExtensions...)}, opts...)...)
}

// getFiles is get_files for q, sorted by path.
func getFiles(path Path, q filesQuery) (L[Path], error) {
	info, err := os.Stat(string(path))
	if err != nil {
		return nil, fmt.Errorf("get files: %w (check the folder exists; UntarData returns it)", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("get files: %s is a file, not a folder: pass the folder that holds the images", path)
	}
	keep := map[string]bool{}
	for _, e := range q.extensions {
		keep[strings.ToLower(e)] = true
	}
	out := L[Path]{}
	var dangling []Path
	// visited holds the real path of every folder walked, so links that
	// point back up the tree do not loop forever.
	visited := map[string]bool{}
	var walk func(dir Path, top bool) error
	walk = func(dir Path, top bool) error {
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
		limited := top && q.recurse && len(q.folders) > 0
		for _, e := range entries {
			name := e.Name()
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
				if !q.recurse || (limited && !slices.Contains(q.folders, name)) || (!limited && strings.HasPrefix(name, ".")) {
					continue
				}
				if err := walk(p, false); err != nil {
					return err
				}
				continue
			}
			if strings.HasPrefix(name, ".") || (limited && !slices.Contains(q.folders, ".")) {
				continue
			}
			if len(keep) == 0 || keep[strings.ToLower(filepath.Ext(name))] {
				out = append(out, p)
			}
		}
		return nil
	}
	if err := walk(path, true); err != nil {
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
