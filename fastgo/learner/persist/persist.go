package persist

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fastgo-ml/fastgo/display"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/internal/diskerr"
)

// keeper is a learner.Keeper that keeps the learner's state in CacheDir
// under a key.
type keeper struct {
	// key names the state; "" is Auto's: the model name and the
	// vocabulary, in a notebook only.
	key string
	// resume restores the state kept under key (Resume).
	resume bool
}

// As keeps the learner's state under key after every fit and LRFind
// (weights, optimizer state, recorder, last LRFind), so that a later
// notebook cell (or program run) can pick it up with [Resume](key). It
// never restores: re-running the cell that creates and trains a learner
// starts over, as `learn = cnn_learner(...)` does in Python, and replaces
// what was saved.
func As(key string) learner.Option {
	return learner.OptionFunc(func(l *learner.Learner) error {
		if strings.TrimSpace(key) == "" {
			return errors.New("persist.As: empty key: give a name for this learner's saved state")
		}
		return learner.KeepWith(&keeper{key: key}).Apply(l)
	})
}

// Resume restores the state a learner saved under key with [As] — in an
// earlier notebook cell, or an earlier run — prints one line saying what
// it restored, and goes on saving under key. New fails when nothing was
// saved under key yet, naming the key, so that the cell that trains it
// can be run first.
func Resume(key string) learner.Option {
	return learner.OptionFunc(func(l *learner.Learner) error {
		if strings.TrimSpace(key) == "" {
			return errors.New("persist.Resume: empty key: give the name the learner was saved under (persist.As)")
		}
		return learner.KeepWith(&keeper{key: key, resume: true}).Apply(l)
	})
}

// Auto keeps the state in a notebook under a key made of the model name
// and the vocabulary, and nothing outside notebooks: what cnn.Learner
// attaches unless told otherwise. A notebook that trains several learners
// of the same model (the chapter's experiments) gives each its own [As]
// key. Each save names its key and the Resume that restores it
// ("resnet18-dcf8b316": persist.Resume("resnet18-dcf8b316")).
func Auto() learner.Option { return learner.KeepWith(&keeper{}) }

// Off keeps nothing (it removes the Keeper As, Resume or Auto attached).
func Off() learner.Option { return learner.KeepWith(nil) }

// name is the key in use for l ("" when nothing is kept).
func (k *keeper) name(l *learner.Learner) string {
	if k.key != "" {
		return k.key
	}
	if !display.InNotebook() {
		return ""
	}
	sum := sha256.Sum256([]byte(strings.Join(l.Data.Vocab, "\x00")))
	name := l.Model.Name
	if name == "" {
		name = "model"
	}
	return name + "-" + hex.EncodeToString(sum[:4])
}

// path is where l's state is kept ("" when nothing is kept).
func (k *keeper) path(l *learner.Learner) string {
	name := k.name(l)
	if name == "" {
		return ""
	}
	safe := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < ' ' {
			return '_'
		}
		return r
	}, name)
	return filepath.Join(CacheDir(), safe+".learner")
}

// Keep saves the state after what ("fit", "lrfind", "freeze"), bounds the
// cache, and says where and how much.
func (k *keeper) Keep(l *learner.Learner, what string) error {
	p := k.path(l)
	if p == "" {
		return nil
	}
	if prev, err := learner.ReadExport(p); err == nil && otherSaver(prev.SavedBy) {
		l.Printf("Note: this replaces learner %q that %s saved under the same name (two notebooks using one name overwrite each other's learner: give each its own with persist.As).", k.name(l), prev.SavedBy)
	}
	if err := l.SaveState(p, what); err != nil {
		if diskerr.Is(err) {
			return fmt.Errorf("keeping learner %q: %w. The training itself finished and the model is still in memory: learn.Export(path) on another disk keeps it, persist.Off() stops keeping it", k.name(l), diskerr.Wrap(err, filepath.Dir(p), EnvCacheDir))
		}
		return fmt.Errorf("%w (the training itself finished; call Reset or persist.Off to stop saving)", err)
	}
	evicted := boundCache(filepath.Dir(p), p, cacheLimit())
	st := CacheStats()
	size := int64(0)
	if fi, err := os.Stat(p); err == nil {
		size = fi.Size()
	}
	plural := "s"
	if st.Learners == 1 {
		plural = ""
	}
	resume := ""
	if k.key == "" { // a name Auto made up: say how to find it again
		resume = fmt.Sprintf(" (persist.Resume(%q) in a later cell restores it; persist.As names it yourself)", k.name(l))
	}
	l.Logf("Saved learner %q%s (%s) in %s: the cache holds %d learner%s, %s; persist.ClearCache() (or make clean) empties it.",
		k.name(l), resume, display.FormatBytes(size), st.Dir, st.Learners, plural, display.FormatBytes(st.Bytes))
	for _, e := range evicted {
		l.Printf("Removed the oldest saved learner %s (%s) to keep the cache under %s (%s).",
			strings.TrimSuffix(filepath.Base(e.path), ".learner"), display.FormatBytes(e.size), display.FormatBytes(cacheLimit()), EnvCacheMax)
	}
	return nil
}

// Restore loads the state saved under the Resume key and prints one line
// saying what was restored; without Resume it does nothing.
func (k *keeper) Restore(l *learner.Learner) error {
	p := k.path(l)
	if p == "" || !k.resume {
		return nil
	}
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("persist.Resume(%q): nothing was saved under this name yet (no %s): run the cell that creates and trains this learner with persist.As(%q) first", k.key, p, k.key)
	}
	cut := learner.StaleSaves(p)
	err := l.Load(p)
	var info learner.ExportInfo
	if err == nil {
		info, err = learner.ReadExport(p)
	}
	if err != nil {
		return fmt.Errorf("%w; learn.Reset() or deleting %s starts over", err, p)
	}
	if len(cut) > 0 {
		// A save was killed part way (a stop button only waits for it):
		// what it was writing is lost, the state before it is restored.
		for _, f := range cut {
			_ = os.Remove(f)
		}
		l.Printf("Note: a later save of learner %q was cut short (the process was killed while saving): its fit is not in what is restored below", k.key)
	}
	what := fmt.Sprintf("%d epochs", len(l.Recorder.Rows))
	if len(l.Recorder.Rows) == 1 {
		what = "1 epoch"
	}
	if info.Note == "lrfind" {
		what = "LRFind"
	}
	l.Printf("Restored learner %q (weights, optimizer state, recorder: last %s) saved %s ago (%s); learn.Reset() starts over",
		k.key, what, time.Since(info.Saved).Round(time.Second), info.Saved.Format("2006-01-02 15:04:05"))
	if otherSaver(info.SavedBy) {
		l.Printf("Note: %s saved this learner, not this %s: if that is not the learner you meant, the two use the same name — give each its own with persist.As (and persist.Resume) in one of them.", info.SavedBy, learner.SavedByHere())
	}
	return nil
}

// otherSaver reports whether a learner file's SavedBy names another
// notebook or program than this one (both known).
func otherSaver(savedBy string) bool {
	here := learner.SavedByHere()
	return savedBy != "" && here != "" && savedBy != here
}

// CheckKeep refuses a fit whose state could not be kept after it: a
// cache folder that cannot be made or written (read-only, no permission),
// or whose disk has less room than the state takes (bytes, with the one
// saved now being replaced only once the new one is written). Errors name
// FASTGO_CACHE_DIR.
func (k *keeper) CheckKeep(l *learner.Learner, bytes int64) error {
	p := k.path(l)
	if p == "" {
		return nil
	}
	dir := filepath.Dir(p)
	wrap := func(err error) error {
		return fmt.Errorf("persist: the learner's state could not be kept after this fit in %s: %w; or persist.Off() to train without keeping it", dir, diskerr.Wrap(err, dir, EnvCacheDir))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return wrap(err)
	}
	probe, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return wrap(err)
	}
	probe.Close()
	os.Remove(probe.Name())
	need := bytes + 16<<10 // the file's header
	if free, ok := diskerr.Free(dir); ok && bytes > 0 && free < need {
		return fmt.Errorf("persist: the disk of the learner cache %s has %s free, and keeping this learner's state after the fit takes about %s: free space there, set %s to a folder on a disk with room, or persist.Off() to train without keeping it",
			dir, display.FormatBytes(free), display.FormatBytes(need), EnvCacheDir)
	}
	return nil
}

// Forget deletes the saved state (learn.Reset).
func (k *keeper) Forget(l *learner.Learner) error {
	if p := k.path(l); p != "" {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Where names the Resume that finds the state again.
func (k *keeper) Where(l *learner.Learner) string {
	if k.path(l) == "" {
		return ""
	}
	return fmt.Sprintf("saved (persist.Resume(%q) restores them)", k.name(l))
}

// EnvCacheDir names the variable that overrides where persisted learners
// are kept.
const EnvCacheDir = "FASTGO_CACHE_DIR"

// CacheDir is where persisted learner states live: $FASTGO_CACHE_DIR, else
// $GONB_DIR/.fastgo_cache in a notebook, else the user cache dir's
// fastgo/learners.
func CacheDir() string {
	if d := os.Getenv(EnvCacheDir); d != "" {
		return d
	}
	if d := os.Getenv("GONB_DIR"); d != "" {
		return filepath.Join(d, ".fastgo_cache")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "fastgo", "learners")
	}
	return filepath.Join(os.TempDir(), "fastgo_cache")
}

// EnvCacheMax names the variable that bounds the learner cache, e.g. "2G"
// or "500M" (default 2 GiB; "0" means no bound).
const EnvCacheMax = "FASTGO_CACHE_MAX"

const defaultCacheMax = 2 << 30

// cacheLimit is $FASTGO_CACHE_MAX in bytes (K, M, G suffixes, powers of
// 1024), or the default when unset or unreadable.
func cacheLimit() int64 {
	v := strings.ToUpper(strings.TrimSpace(os.Getenv(EnvCacheMax)))
	if v == "" {
		return defaultCacheMax
	}
	mult := int64(1)
	for suffix, m := range map[string]int64{"K": 1 << 10, "M": 1 << 20, "G": 1 << 30} {
		if strings.HasSuffix(strings.TrimSuffix(v, "B"), suffix) {
			mult, v = m, strings.TrimSuffix(strings.TrimSuffix(v, "B"), suffix)
			break
		}
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n < 0 {
		return defaultCacheMax
	}
	return int64(n * float64(mult))
}

type cachedFile struct {
	path string
	size int64
	mod  time.Time
}

// cachedLearners lists the saved learners in dir.
func cachedLearners(dir string) []cachedFile {
	entries, _ := os.ReadDir(dir)
	var out []cachedFile
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".learner") {
			continue
		}
		if fi, err := e.Info(); err == nil {
			out = append(out, cachedFile{filepath.Join(dir, e.Name()), fi.Size(), fi.ModTime()})
		}
	}
	return out
}

// boundCache removes the least recently saved learners (never keep, the
// one just saved) until the cache is within limit; it returns what it
// removed. A limit of 0 means no bound.
func boundCache(dir, keep string, limit int64) []cachedFile {
	if limit <= 0 {
		return nil
	}
	files := cachedLearners(dir)
	var total int64
	for _, f := range files {
		total += f.size
	}
	slices.SortFunc(files, func(a, b cachedFile) int { return a.mod.Compare(b.mod) })
	var removed []cachedFile
	for _, f := range files {
		if total <= limit {
			break
		}
		if f.path == keep || os.Remove(f.path) != nil {
			continue
		}
		total -= f.size
		removed = append(removed, f)
	}
	return removed
}

// CacheInfo is what the learner cache holds.
type CacheInfo struct {
	// Dir is the folder (CacheDir).
	Dir string
	// Learners is how many saved learners it holds, Bytes their size.
	Learners int
	Bytes    int64
}

// CacheStats says where the saved learners are and how much they take.
func CacheStats() CacheInfo {
	dir := CacheDir()
	info := CacheInfo{Dir: dir}
	for _, f := range cachedLearners(dir) {
		info.Learners++
		info.Bytes += f.size
	}
	return info
}

// ClearCache deletes every saved learner (and temporaries of killed
// saves) from CacheDir and says what it freed: the notebook's way to start
// every learner over (make clean does the same for the notebooks' cache).
// Errors name the file that could not be removed.
func ClearCache() (CacheInfo, error) {
	before := CacheStats()
	entries, _ := os.ReadDir(before.Dir)
	for _, e := range entries {
		if e.IsDir() || !(strings.HasSuffix(e.Name(), ".learner") || strings.Contains(e.Name(), ".learner.tmp")) {
			continue
		}
		if err := os.Remove(filepath.Join(before.Dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return before, fmt.Errorf("persist.ClearCache: %w", err)
		}
	}
	return before, nil
}
