package learner

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
)

// Every GoNB cell runs as a new process, so a learner's training would be
// lost between cells. A persisted learner saves its state after each fit
// and LRFind; a later cell that wants that state asks for it by name with
// Resume. As in Python, a cell that creates a learner (and is run again)
// starts from fresh weights.

// Persist saves the learner's state under key after every fit and LRFind
// (weights, optimizer state, recorder, last LRFind), so that a later
// notebook cell (or program run) can pick it up with [Resume](key). It
// never restores: re-running the cell that creates and trains a learner
// starts over, as `learn = cnn_learner(...)` does in Python, and replaces
// what was saved. In a notebook saving is on by default under a key made
// of the model name and the vocabulary; outside a notebook nothing is
// saved unless asked.
func Persist(key string) Option {
	return func(l *Learner) error {
		if strings.TrimSpace(key) == "" {
			return errors.New("learner.Persist: empty key: give a name for this learner's saved state")
		}
		l.persistKey, l.resume = key, false
		return nil
	}
}

// Resume restores the state a learner saved under key with [Persist] — in
// an earlier notebook cell, or an earlier run — prints one line saying
// what it restored, and goes on saving under key. New fails when nothing
// was saved under key yet, naming the key, so that the cell that trains it
// can be run first.
func Resume(key string) Option {
	return func(l *Learner) error {
		if strings.TrimSpace(key) == "" {
			return errors.New("learner.Resume: empty key: give the name the learner was saved under (learner.Persist)")
		}
		l.persistKey, l.resume = key, true
		return nil
	}
}

// NoPersist turns off the automatic persistence in notebooks.
func NoPersist() Option {
	return func(l *Learner) error { l.persistKey = "-"; return nil }
}

// StartFrozen creates the learner frozen (all groups but the last, as
// cnn.Learner does for pretrained models) without touching state a
// persisted learner restores.
func StartFrozen() Option {
	return func(l *Learner) error { l.frozenIdx = l.Model.numGroups() - 1; return nil }
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

// key returns the persistence key in use ("" when not persisting).
func (l *Learner) key() string {
	switch l.persistKey {
	case "-":
		return ""
	case "":
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
	return l.persistKey
}

func (l *Learner) persistPath() string {
	k := l.key()
	if k == "" {
		return ""
	}
	safe := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < ' ' {
			return '_'
		}
		return r
	}, k)
	return filepath.Join(CacheDir(), safe+".learner")
}

// persist saves the state after a fit or LRFind when persisting.
func (l *Learner) persist(what string) error {
	p := l.persistPath()
	if p == "" {
		return nil
	}
	if err := l.writeCheckpoint(p, true, what); err != nil {
		return fmt.Errorf("%w (the training itself finished; call Reset or NoPersist to stop saving)", err)
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
	l.logf("Saved learner %q (%s) in %s: the cache holds %d learner%s, %s; learner.ClearCache() (or make clean) empties it.",
		l.key(), display.FormatBytes(size), st.Dir, st.Learners, plural, display.FormatBytes(st.Bytes))
	for _, e := range evicted {
		l.printf("Removed the oldest saved learner %s (%s) to keep the cache under %s (%s).",
			strings.TrimSuffix(filepath.Base(e.path), ".learner"), display.FormatBytes(e.size), display.FormatBytes(cacheLimit()), EnvCacheMax)
	}
	return nil
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
			return before, fmt.Errorf("learner.ClearCache: %w", err)
		}
	}
	return before, nil
}

// persistIfTrained saves the state like persist, but only once the
// learner has weights (a fresh learner has nothing worth saving yet).
func (l *Learner) persistIfTrained(what string) error {
	if l.persistPath() == "" || !l.hasWeights() {
		return nil
	}
	return l.persist(what)
}

// restorePersisted loads the state saved under the Resume key and prints
// one line saying what was restored; without Resume it does nothing.
func (l *Learner) restorePersisted() error {
	p := l.persistPath()
	if p == "" || !l.resume {
		return nil
	}
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("learner.Resume(%q): nothing was saved under this name yet (no %s): run the cell that creates and trains this learner with learner.Persist(%q) first", l.key(), p, l.key())
	}
	cut := len(staleTemps(p)) > 0
	h, err := l.readCheckpoint(p, loadAll)
	if err != nil {
		return fmt.Errorf("%w; learn.Reset() or deleting %s starts over", err, p)
	}
	if cut {
		// A save was killed part way (a stop button only waits for it):
		// what it was writing is lost, the state before it is restored.
		removeStaleTemps(p)
		fmt.Fprintf(l.out, "Note: a later save of learner %q was cut short (the process was killed while saving): its fit is not in what is restored below\n", l.key())
	}
	what := fmt.Sprintf("%d epochs", len(l.Recorder.Rows))
	if len(l.Recorder.Rows) == 1 {
		what = "1 epoch"
	}
	if h.Note == "lrfind" {
		what = "LRFind"
	}
	fmt.Fprintf(l.out, "Restored learner %q (weights, optimizer state, recorder: last %s) saved %s ago (%s); learn.Reset() starts over\n",
		l.key(), what, time.Since(h.Saved).Round(time.Second), h.Saved.Format("2006-01-02 15:04:05"))
	return nil
}

// Reset starts over: the persisted state of this learner (if any) is
// deleted and the learner returns to freshly initialised weights, no
// optimizer state, an empty recorder and its initial frozen state.
func (l *Learner) Reset() error {
	if p := l.persistPath(); p != "" {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("learner.Reset: %w", err)
		}
	}
	if err := l.newStore(); err != nil {
		return fmt.Errorf("learner.Reset: %w", err)
	}
	*l.Recorder = Recorder{}
	l.iter, l.trainedEpochs, l.lastLRFind = 0, 0, nil
	l.frozenIdx = l.initialFrozen
	return nil
}

// hasWeights says whether any model variable holds a value yet.
func (l *Learner) hasWeights() bool {
	for v := range l.store.IterVariables() {
		if v.HasValue() && isModelVar(v.Path()) {
			return true
		}
	}
	return false
}
