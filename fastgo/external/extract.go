package external

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/internal/diskerr"
)

// extractArchive extracts the tar or gzipped tar at archive into
// dataDir/name, atomically: everything goes into a hidden temporary folder
// in dataDir first, which is renamed into place only once the whole archive
// is extracted and checked. When the archive holds a single top folder
// (oxford-iiit-pet.tgz holds oxford-iiit-pet/), that folder becomes
// dataDir/name, as fastai's rename_extracted does. An existing
// dataDir/name, complete as everything renamed into place is, is kept
// (and the new extraction dropped) unless replace is set (WithForce).
func extractArchive(archive, dataDir, name string, replace bool) (_ fastgo.Path, err error) {
	// A full, read-only or unwritable data folder is not a damaged archive.
	defer func() { err = diskerr.Wrap(err, dataDir, EnvData) }()
	f, err := os.Open(archive)
	if err != nil {
		return "", fmt.Errorf("extract: %w", err)
	}
	defer f.Close()
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return "", fmt.Errorf("extract %s: %w", archive, err)
	}
	tmp, err := os.MkdirTemp(dataDir, "."+name+".extracting-")
	if err != nil {
		return "", fmt.Errorf("extract %s: %w", archive, err)
	}
	defer os.RemoveAll(tmp)
	if err := untar(f, tmp); err != nil {
		return "", fmt.Errorf("extract %s: %w", archive, err)
	}
	src := tmp
	if entries, err := os.ReadDir(tmp); err == nil && len(entries) == 1 && entries[0].IsDir() {
		src = filepath.Join(tmp, entries[0].Name())
	}
	final := filepath.Join(dataDir, name)
	if _, err := os.Stat(final); err == nil {
		if !replace {
			return fastgo.Path(final), nil
		}
		// Moved aside in one step, then deleted: the folder is never
		// seen half-removed.
		old := tmp + ".old"
		if err := os.Rename(final, old); err != nil {
			return "", fmt.Errorf("extract %s: replacing %s: %w", archive, final, err)
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(src, final); err != nil {
		return "", fmt.Errorf("extract %s: %w", archive, err)
	}
	return fastgo.Path(final), nil
}

// untar extracts a tar stream, gzipped or not, into the folder root, which
// nothing in the archive can escape: entry names are cleaned and must be
// relative without "..", every file operation goes through an os.Root (so
// nothing is written through a link that leads out), symbolic links must be
// relative and point inside root, and hard links must name a file of the
// archive. Devices, FIFOs and other special entries are skipped. The first
// offending entry stops the extraction with an error naming it.
func untar(r io.Reader, root string) error {
	br := bufio.NewReader(r)
	var in io.Reader = br
	var gz *gzip.Reader
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		var err error
		if gz, err = gzip.NewReader(br); err != nil {
			return fmt.Errorf("%w: %w", errDamaged, err)
		}
		defer gz.Close()
		in = gz
	}
	rt, err := os.OpenRoot(root)
	if err != nil {
		return err
	}
	defer rt.Close()
	counted := &countingReader{r: in}
	tr := tar.NewReader(counted)
	// dataEnd is where the last entry's data, padded to whole blocks,
	// ends: what follows must be the zero blocks that end an archive (two;
	// one is accepted, as GNU tar and Python's tarfile do).
	var dataEnd int64
	sparse := false
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			// archive/tar also says EOF when the stream simply stops
			// between two entries: a download or copy cut there.
			if !sparse && counted.n < dataEnd+tarBlock {
				return fmt.Errorf("%w: the archive ends early, after %d bytes, without tar's end-of-archive blocks (cut short in a download or copy): the entries after that point are missing", errDamaged, counted.n)
			}
			break
		}
		if err != nil {
			return fmt.Errorf("%w (or not a tar archive): %w", errDamaged, err)
		}
		dataEnd = counted.n + (hdr.Size+tarBlock-1)/tarBlock*tarBlock
		sparse = sparse || hdr.Typeflag == tar.TypeGNUSparse || hdr.PAXRecords["GNU.sparse.major"] != "" || hdr.PAXRecords["GNU.sparse.size"] != ""
		if err := extractEntry(rt, tr, hdr); err != nil {
			return err
		}
	}
	if gz != nil {
		// tar stops at its end blocks; gzip's own check (CRC-32 and length
		// of the data, in its trailer) is only read at the stream's end.
		if _, err := io.Copy(io.Discard, gz); err != nil {
			return fmt.Errorf("%w: %w", errDamaged, err)
		}
	}
	return checkLinks(root)
}

// tarBlock is tar's block size: headers and padded data are whole blocks,
// and an archive ends with two zero blocks.
const tarBlock = 512

// countingReader counts the bytes read through it (archive/tar reads
// exactly what it needs: headers, data and padding).
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// damagedOnError marks its reader's errors (a truncated or corrupt stream)
// as errDamaged, apart from write errors of the extraction itself.
type damagedOnError struct{ r io.Reader }

func (d damagedOnError) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %w", errDamaged, err)
	}
	return n, err
}

// errDamaged marks an archive that fails one of its format's own checks
// (gzip's CRC-32 and length, tar's headers) or ends early.
var errDamaged = errors.New("the archive is damaged")

// entryName is the cleaned, slash-separated, root-relative name of an
// archive entry, or an error if it is absolute or climbs out with "..".
func entryName(name string) (string, error) {
	n := strings.ReplaceAll(name, `\`, "/")
	if path.IsAbs(n) || filepath.IsAbs(name) || filepath.VolumeName(name) != "" {
		return "", fmt.Errorf("unsafe archive entry %q: absolute path", name)
	}
	n = path.Clean(n)
	if n == ".." || strings.HasPrefix(n, "../") {
		return "", fmt.Errorf("unsafe archive entry %q: it points outside the target folder", name)
	}
	return n, nil
}

func extractEntry(rt *os.Root, tr *tar.Reader, hdr *tar.Header) error {
	name, err := entryName(hdr.Name)
	if err != nil {
		return err
	}
	if name == "." {
		return nil
	}
	if dir := path.Dir(name); dir != "." {
		if err := rt.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("archive entry %q: %w", hdr.Name, err)
		}
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := rt.MkdirAll(name, 0o755); err != nil {
			return fmt.Errorf("archive entry %q: %w", hdr.Name, err)
		}
	case tar.TypeReg: // the reader reports old-style TypeRegA entries as TypeReg
		// Remove what an earlier entry put there, so a link is replaced, not followed.
		_ = rt.Remove(name)
		f, err := rt.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, hdr.FileInfo().Mode().Perm()&0o755|0o600)
		if err != nil {
			return fmt.Errorf("archive entry %q: %w", hdr.Name, err)
		}
		_, err = io.Copy(f, damagedOnError{tr})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("archive entry %q: %w", hdr.Name, err)
		}
	case tar.TypeSymlink:
		target := hdr.Linkname
		if target == "" || path.IsAbs(strings.ReplaceAll(target, `\`, "/")) || filepath.IsAbs(target) {
			return fmt.Errorf("unsafe archive entry %q: symbolic link to %q, outside the target folder", hdr.Name, target)
		}
		if _, err := entryName(path.Join(path.Dir(name), target)); err != nil {
			return fmt.Errorf("unsafe archive entry %q: symbolic link to %q, outside the target folder", hdr.Name, target)
		}
		_ = rt.Remove(name)
		if err := rt.Symlink(target, name); err != nil {
			return fmt.Errorf("archive entry %q: %w", hdr.Name, err)
		}
	case tar.TypeLink:
		old, err := entryName(hdr.Linkname)
		if err != nil || old == "." {
			return fmt.Errorf("unsafe archive entry %q: hard link to %q, outside the target folder", hdr.Name, hdr.Linkname)
		}
		// Link only to a regular file already extracted (os.Root resolves
		// it inside root); never to a folder or through a link.
		st, err := rt.Lstat(old)
		if err != nil || !st.Mode().IsRegular() {
			return fmt.Errorf("unsafe archive entry %q: hard link to %q, which is not a file of the archive", hdr.Name, hdr.Linkname)
		}
		_ = rt.Remove(name)
		if err := rt.Link(old, name); err != nil {
			return fmt.Errorf("archive entry %q: %w", hdr.Name, err)
		}
	default:
		// Devices, FIFOs, PAX/GNU metadata: nothing a dataset needs.
	}
	return nil
}

// checkLinks makes sure every symbolic link under root resolves inside it:
// links are checked one by one when extracted, but a chain of links can
// still lead out (a → ".", then b → "a/..").
func checkLinks(root string) error {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return err
	}
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		target, err := filepath.EvalSymlinks(p)
		if err != nil {
			return fmt.Errorf("unsafe archive entry %q: symbolic link that does not resolve: %w", filepath.ToSlash(rel), err)
		}
		if !within(realRoot, target) {
			return fmt.Errorf("unsafe archive entry %q: symbolic link that leads outside the target folder", filepath.ToSlash(rel))
		}
		return nil
	})
}

// within reports whether p is base or lies under it (both cleaned, absolute).
func within(base, p string) bool {
	rel, err := filepath.Rel(base, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

var errNotArchive = errors.New("not a .tgz, .tar.gz or .tar archive")
