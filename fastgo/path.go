package fastgo

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Path is a file-system path that displays like fastcore's patched pathlib
// Path: `Path('images/x.jpg')`, relative to the base path when one is set
// (see SetBasePath). It is a string type of its own, as time.Duration is
// an int64, so that it prints as fastai's: a string literal is a Path as
// it is (pets.DataLoaders("images")), a string variable converts
// (pets.DataLoaders(fastgo.Path(dir))), and string(p) gives the string back.
type Path string

var (
	basePathMu sync.RWMutex
	basePath   Path
)

// SetBasePath is the book's `Path.BASE_PATH = path`: paths under base are
// displayed relative to it. An empty base turns this off.
func SetBasePath(base Path) {
	basePathMu.Lock()
	defer basePathMu.Unlock()
	basePath = base
}

// String is Python's repr of the path: Path('<posix path>').
func (p Path) String() string {
	shown := filepath.ToSlash(string(p))
	basePathMu.RLock()
	base := basePath
	basePathMu.RUnlock()
	if base != "" {
		if rel, ok := relativeTo(string(p), string(base)); ok {
			shown = rel
		}
	}
	return "Path(" + PyRepr(shown) + ")"
}

func relativeTo(p, base string) (string, bool) {
	absP, err1 := filepath.Abs(p)
	absBase, err2 := filepath.Abs(base)
	if err1 != nil || err2 != nil {
		return "", false
	}
	rel, err := filepath.Rel(absBase, absP)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// Join is pathlib's `/` operator: path.Join("images").
func (p Path) Join(elem ...string) Path {
	return Path(filepath.Join(append([]string{string(p)}, elem...)...))
}

// Name is the last element, e.g. "great_pyrenees_173.jpg".
func (p Path) Name() string { return filepath.Base(string(p)) }

// Stem is the name without its extension, e.g. "great_pyrenees_173".
func (p Path) Stem() string {
	name := p.Name()
	return strings.TrimSuffix(name, filepath.Ext(name))
}

// Suffix is the extension with its dot, e.g. ".jpg".
func (p Path) Suffix() string { return filepath.Ext(string(p)) }

// Parent is the folder holding p.
func (p Path) Parent() Path { return Path(filepath.Dir(string(p))) }

// Ls lists the folder's entries, sorted by name (fastai's order is the
// file system's; fastgo sorts so that results are reproducible). Errors:
// the folder cannot be read (missing, not a folder, no permission: the os
// error, naming p).
func (p Path) Ls() (L[Path], error) {
	entries, err := os.ReadDir(string(p))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", p, err)
	}
	out := make(L[Path], 0, len(entries))
	for _, e := range entries {
		out = append(out, p.Join(e.Name()))
	}
	slices.Sort(out)
	return out, nil
}

// MustLs is Ls for notebook cells: it panics with Ls's error.
func (p Path) MustLs() L[Path] {
	l, err := p.Ls()
	if err != nil {
		panic(err)
	}
	return l
}
