package external

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fastgo-ml/fastgo/display"
	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/internal/diskerr"
	"github.com/gofrs/flock"
)

// DatasetURLs lists the image datasets fastai downloads (fastai's URLs),
// with their real addresses.
type DatasetURLs struct {
	Pets             string // Oxford-IIIT Pet: 37 breeds, 7390 images (fastbook chapter 5)
	MNIST            string // MNIST as PNG files
	MNISTSample      string // 3s and 7s (fastbook chapter 4)
	MNISTTiny        string
	MNISTVarSizeTiny string
	Cifar            string // CIFAR-10 as PNG files
	Cifar100         string
	Caltech101       string
	Cars             string // Stanford Cars
	CUB200           string // Caltech-UCSD Birds 200-2011
	Flowers          string // Oxford 102 Flowers
	Food             string // Food-101
	Dogs             string // Kaggle dogs vs cats
	PlanetSample     string
	PlanetTiny       string
	Imagenette       string
	Imagenette160    string
	Imagenette320    string
	Imagewoof        string
	Imagewoof160     string
	Imagewoof320     string
	Imagewang        string
	Imagewang160     string
	Imagewang320     string
	LSUNBedrooms     string
	Camvid           string
	CamvidTiny       string
	BiwiHeadPose     string
	BiwiSample       string
	Pascal2007       string
	Pascal2012       string
	CocoSample       string
	CocoTiny         string
	SIIMSmall        string
}

const (
	s3Image    = "https://s3.amazonaws.com/fast-ai-imageclas/"
	s3Sample   = "https://s3.amazonaws.com/fast-ai-sample/"
	s3ImageLoc = "https://s3.amazonaws.com/fast-ai-imagelocal/"
	s3Coco     = "https://s3.amazonaws.com/fast-ai-coco/"
)

// URLs is the registry UntarData is usually called with: UntarData(URLs.Pets).
var URLs = DatasetURLs{
	Pets:             s3Image + "oxford-iiit-pet.tgz",
	MNIST:            s3Image + "mnist_png.tgz",
	MNISTSample:      s3Sample + "mnist_sample.tgz",
	MNISTTiny:        s3Sample + "mnist_tiny.tgz",
	MNISTVarSizeTiny: s3Image + "mnist_var_size_tiny.tgz",
	Cifar:            s3Sample + "cifar10.tgz",
	Cifar100:         s3Image + "cifar100.tgz",
	Caltech101:       s3Image + "caltech_101.tgz",
	Cars:             s3Image + "stanford-cars.tgz",
	CUB200:           s3Image + "CUB_200_2011.tgz",
	Flowers:          s3Image + "oxford-102-flowers.tgz",
	Food:             s3Image + "food-101.tgz",
	Dogs:             s3Sample + "dogscats.tgz",
	PlanetSample:     s3Sample + "planet_sample.tgz",
	PlanetTiny:       s3Sample + "planet_tiny.tgz",
	Imagenette:       s3Image + "imagenette2.tgz",
	Imagenette160:    s3Image + "imagenette2-160.tgz",
	Imagenette320:    s3Image + "imagenette2-320.tgz",
	Imagewoof:        s3Image + "imagewoof2.tgz",
	Imagewoof160:     s3Image + "imagewoof2-160.tgz",
	Imagewoof320:     s3Image + "imagewoof2-320.tgz",
	Imagewang:        s3Image + "imagewang.tgz",
	Imagewang160:     s3Image + "imagewang-160.tgz",
	Imagewang320:     s3Image + "imagewang-320.tgz",
	LSUNBedrooms:     s3Image + "bedroom.tgz",
	Camvid:           s3ImageLoc + "camvid.tgz",
	CamvidTiny:       s3Sample + "camvid_tiny.tgz",
	BiwiHeadPose:     s3ImageLoc + "biwi_head_pose.tgz",
	BiwiSample:       s3Sample + "biwi_sample.tgz",
	Pascal2007:       s3ImageLoc + "pascal_2007.tgz",
	Pascal2012:       s3ImageLoc + "pascal_2012.tgz",
	CocoSample:       s3Coco + "coco_sample.tgz",
	CocoTiny:         s3Coco + "coco_tiny.tgz",
	SIIMSmall:        s3ImageLoc + "siim_small.tgz",
}

// archiveCheck is fastai's check of a downloaded archive (its checks.txt):
// the size in bytes and the MD5 of the first MiB.
type archiveCheck struct {
	size     int64
	md5First string
}

// checkedPrefix is how much of an archive the MD5 check covers (fastai's 2**20).
const checkedPrefix = 1 << 20

// knownChecks are fastai's checks.txt values for the URLs above.
var knownChecks = map[string]archiveCheck{
	URLs.Pets:             {811706944, "e4db5c768afd933bb91f5f594d7417a4"},
	URLs.MNIST:            {15683414, "03639f83c4e3d19e0a3a53a8a997c487"},
	URLs.MNISTSample:      {3214948, "2dbc7ec6f9259b583af0072c55816a88"},
	URLs.MNISTTiny:        {342207, "56143e8f24db90d925d82a5a74141875"},
	URLs.MNISTVarSizeTiny: {565372, "b71a930f4eb744a4a143a6c7ff7ed67f"},
	URLs.Cifar:            {168168549, "a5f8c31371b63a406b23368042812d3c"},
	URLs.Cifar100:         {169168619, "e5e65dcb54b9d3913f7b8a9ad6607e62"},
	URLs.Caltech101:       {131740031, "d673425306e98ee4619fcdeef8a0e876"},
	URLs.Cars:             {1957803273, "9045d6673c9ced0889f41816f6bf2f9f"},
	URLs.CUB200:           {1150585339, "d2acaa99439dff0483c7bbac1bfe2a92"},
	URLs.Flowers:          {345236087, "5666e01c1311b4c67fcf20d2b3850a88"},
	URLs.Food:             {5686607260, "1a540ebf1fb40b2bf3f2294234ba7907"},
	URLs.Dogs:             {839285364, "3e483c8d6ef2175e9d395a6027eb92b7"},
	URLs.PlanetSample:     {15523994, "8bfb174b3162f07fbde09b54555bdb00"},
	URLs.PlanetTiny:       {997569, "490873c5683454d4b2611fb1f00a68a9"},
	URLs.Imagenette:       {1557161267, "2c774ecb40005b35d7937d50f5d42336"},
	URLs.Imagenette160:    {99003388, "c475f8f7617a200ba35b9facc48443c3"},
	URLs.Imagenette320:    {341663724, "1f1f74f133caff120e575856659b87a2"},
	URLs.Imagewoof:        {1343715595, "2cc1c1e36e20cb6fd24ffb978edcb487"},
	URLs.Imagewoof160:     {92612825, "3559b194123981a540b87132dbda412f"},
	URLs.Imagewoof320:     {328387740, "7a1fd92672a559a85de76e4810a20c21"},
	URLs.Imagewang:        {2900347689, "2b7776bac0fc95db72ac8a3b091a3e30"},
	URLs.Imagewang160:     {191498213, "dab9b1d97b95574ac64122a19bc74ca1"},
	URLs.Imagewang320:     {669826647, "fff8ac034d60e14fcf7789845e625263"},
	URLs.LSUNBedrooms:     {4579163978, "35d84f38f8a15fe47e66e460c8800d68"},
	URLs.Camvid:           {598913237, "648371e4f3a833682afb39b08a3ce2aa"},
	URLs.CamvidTiny:       {2314212, "2cf6daf91b7a2083ecfa3e9968e9d915"},
	URLs.BiwiHeadPose:     {452316199, "00f4ccf66e8cba184bc292fdc08fb237"},
	URLs.BiwiSample:       {593774, "9179f4c1435f4b291f0d5b072d60c2c9"},
	URLs.Pascal2007:       {1637796771, "433b4706eb7c42bd74e7f784e3fdf244"},
	URLs.Pascal2012:       {2618908000, "d90e29e54a4c76c0c6fba8355dcbaca5"},
	URLs.CocoSample:       {3245877008, "006cd55d633d94b36ecaf661467830ec"},
	URLs.CocoTiny:         {801038, "367467451ac4fba79a647753c2c66d3a"},
	URLs.SIIMSmall:        {33276453, "2f88ac350dce1d971ecbb5ec722da75f"},
}

// EnvHome and EnvData name the variables that move Home and DataDir;
// errors about a full, read-only or unwritable folder name them.
const (
	EnvHome = "FASTGO_HOME"
	EnvData = "FASTGO_DATA"
)

// Home is fastgo's folder for downloaded files: $FASTGO_HOME, or ~/.fastgo
// when unset (fastai's FASTAI_HOME, ~/.fastai). UntarData keeps archives in
// Home()/archive and extracted datasets in [DataDir]; pretrained weights
// live in Home()/models.
func Home() fastgo.Path {
	if h := os.Getenv(EnvHome); h != "" {
		return fastgo.Path(h)
	}
	if u, err := os.UserHomeDir(); err == nil {
		return fastgo.Path(filepath.Join(u, ".fastgo"))
	}
	return fastgo.Path(".fastgo")
}

// DataDir is the folder UntarData extracts datasets into and looks for them
// in: $FASTGO_DATA, or Home()/data when unset (fastai's config.ini `data`
// entry). A dataset copied there by hand under the archive's name (e.g.
// DataDir()/oxford-iiit-pet for URLs.Pets) is used without a download: that
// is how an offline machine, a Docker volume or a test harness provides the
// data to code that calls UntarData(URLs.Pets).
func DataDir() fastgo.Path {
	if d := os.Getenv(EnvData); d != "" {
		return fastgo.Path(d)
	}
	return Home().Join("data")
}

// UntarOption changes how UntarData works.
type UntarOption func(*untarConfig)

type untarConfig struct {
	dest     string
	force    bool
	progress io.Writer
	client   *http.Client
	// start is when the call began: a WithForce call that waited for
	// another process to fetch the same dataset uses that fresh copy.
	start time.Time
}

// forced reports whether the folder final is still to be made again for
// WithForce: it is unless another process made it after this call began.
func (c untarConfig) forced(final string) bool {
	st, err := os.Stat(final)
	return err != nil || st.ModTime().Before(c.start)
}

// lockTarget takes the inter-process lock on a dataset's folder (a hidden
// lock file beside it), saying so when another process holds it and
// waiting for it: two notebooks that call UntarData(URLs.Pets) at once
// fetch it once. The returned function releases the lock.
func lockTarget(final string, progress io.Writer) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return nil, diskerr.Wrap(err, filepath.Dir(final), EnvData)
	}
	lockFile := filepath.Join(filepath.Dir(final), "."+filepath.Base(final)+".lock")
	l := flock.New(lockFile)
	ok, err := l.TryLock()
	if err == nil && !ok {
		if progress != nil && progress != io.Discard {
			fmt.Fprintf(progress, "Another process is downloading or extracting %s (it holds %s): waiting for it to finish\n", final, lockFile)
		}
		err = l.Lock()
	}
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", lockFile, err)
	}
	return func() { _ = l.Unlock() }, nil
}

// WithDest extracts into dir instead of DataDir().
func WithDest(dir fastgo.Path) UntarOption { return func(c *untarConfig) { c.dest = string(dir) } }

// WithForce downloads and extracts again even when the data is there.
func WithForce() UntarOption { return func(c *untarConfig) { c.force = true } }

// WithProgress writes the download progress to w (default os.Stdout; nil
// or io.Discard for none).
func WithProgress(w io.Writer) UntarOption { return func(c *untarConfig) { c.progress = w } }

// downloadClient gives up on a server that does not answer, but sets no
// limit on the whole transfer (archives take minutes).
var downloadClient = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 30 * time.Second}).DialContext,
	TLSHandshakeTimeout:   30 * time.Second,
	ResponseHeaderTimeout: 60 * time.Second,
}}

// WithHTTPClient downloads with client instead of fastgo's default one
// (30 s to connect, 60 s for the server to answer).
func WithHTTPClient(client *http.Client) UntarOption {
	return func(c *untarConfig) { c.client = client }
}

// UntarData is fastai's untar_data: it returns the folder of a dataset,
// downloading and extracting it the first time.
//
// source is one of:
//   - an http(s) URL of a .tgz, .tar.gz or .tar archive, e.g. URLs.Pets. The
//     archive is downloaded to Home()/archive (resuming an interrupted
//     download from its .part file), checked against fastai's known size and
//     checksum when the URL is in URLs, and extracted to DataDir()/<name>
//     (e.g. ~/.fastgo/data/oxford-iiit-pet). When that folder exists,
//     UntarData returns it without touching the network. Before a download
//     starts it prints the archive's size (when known) to the progress
//     writer.
//   - a local archive: extracted to DataDir()/<name> the same way.
//   - a local folder: returned as it is (e.g. a copy of the data made by
//     hand, "../shared/data/oxford-iiit-pet-sample").
//
// An archive whose single top folder holds everything (oxford-iiit-pet.tgz
// holds oxford-iiit-pet/) is extracted without that level, as fastai's
// rename_extracted does. Extraction is safe against hostile archives (no
// entry can land outside the target folder, by name or through links) and
// atomic (a half-extracted dataset is never left in place).
//
// Errors: a source that is neither a URL nor an existing file or folder; a
// download that fails (offline: the error says where to put the archive or
// the extracted folder by hand); an archive that fails fastai's size and
// checksum check, or its own integrity checks (gzip's CRC-32 and length,
// tar's headers, a truncated stream) — nothing is extracted and a
// downloaded archive is deleted so that the next call downloads it anew;
// an unsafe entry (named). A folder that already exists under DataDir is
// returned as it is, without looking inside: delete it (or use WithForce)
// to get a fresh copy.
//
// Several processes (notebooks) may call it at once for the same dataset:
// the download and extraction hold a lock (the hidden file .NAME.lock
// beside the folder, released when the process ends however it ends);
// the others wait, saying so, and return the folder it made. A complete
// folder is never replaced, except by WithForce. A full, read-only or
// unwritable folder is said as such, naming FASTGO_HOME (downloads) or
// FASTGO_DATA (extraction), not taken for being offline or for a damaged
// archive.
func UntarData(source string, opts ...UntarOption) (fastgo.Path, error) {
	cfg := untarConfig{progress: display.NotebookStdout(), client: downloadClient, start: time.Now()}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.dest == "" {
		cfg.dest = string(DataDir())
	}
	if !strings.HasPrefix(source, "http://") && !strings.HasPrefix(source, "https://") {
		return untarLocal(strings.TrimPrefix(source, "file://"), cfg)
	}
	u, err := url.Parse(source)
	if err != nil {
		return "", fmt.Errorf("UntarData: %q is not a valid URL: %w", source, err)
	}
	fname := path.Base(u.Path)
	name, final, done, err := extracted(source, fname, cfg)
	if done || err != nil {
		return fastgo.Path(final), err
	}
	unlock, ready, err := lockDataset(source, fname, final, cfg)
	if err != nil {
		return "", err
	}
	if ready {
		return fastgo.Path(final), nil
	}
	defer unlock()
	archive := filepath.Join(string(Home().Join("archive")), fname)
	if cfg.force {
		_ = os.Remove(archive)
		_ = os.Remove(archive + ".part")
	}
	check, known := knownChecks[source]
	if _, err := os.Stat(archive); err != nil {
		announceDownload(cfg.progress, source, archive, check.size)
		if err := Download(source, archive, DownloadOptions{Client: cfg.client, Progress: cfg.progress}); err != nil {
			if diskerr.Is(err) {
				return "", fmt.Errorf("UntarData %s: %w", source, err)
			}
			return "", fmt.Errorf("UntarData: %w.\nIf this machine is offline, download %s elsewhere and put it at %s, or put the extracted dataset at %s (set FASTGO_DATA to use another folder than %s), then run again",
				err, source, archive, final, cfg.dest)
		}
	}
	if known {
		if err := verifyArchive(archive, check); err != nil {
			_ = os.Remove(archive)
			return "", fmt.Errorf("UntarData %s: the downloaded archive is broken: %w; it has been removed, run again to download it anew", source, err)
		}
	}
	dir, err := extractArchive(archive, cfg.dest, name, cfg.force)
	if diskerr.Is(err) {
		return "", fmt.Errorf("%w; nothing was extracted, and the archive %s is kept: run again once there is room, without downloading it again", err, archive)
	}
	if errors.Is(err, errDamaged) {
		// Nothing was extracted; the download itself is bad.
		_ = os.Remove(archive)
		return "", fmt.Errorf("%w; nothing was extracted and the download %s has been removed: run again to download it anew", err, archive)
	}
	if err != nil {
		return "", fmt.Errorf("%w; if the archive is damaged, run again with WithForce() to download it anew", err)
	}
	return dir, nil
}

// announceDownload says what is about to be downloaded, how big it is and
// where it goes, before the first byte: a user on a slow or metered link
// can stop it then.
func announceDownload(w io.Writer, url, archive string, size int64) {
	if w == nil || w == io.Discard {
		return
	}
	how := "size unknown"
	if size > 0 {
		how = display.FormatBytes(size)
	}
	_, _ = fmt.Fprintf(w, "Downloading %s (%s) to %s\n", url, how, archive)
}

// MustUntarData is UntarData for notebook cells: it panics with its error.
func MustUntarData(source string, opts ...UntarOption) fastgo.Path {
	p, err := UntarData(source, opts...)
	if err != nil {
		panic(err)
	}
	return p
}

// lockDataset takes the lock on the dataset folder final, waiting for
// another process (a second notebook) that is fetching the same dataset,
// and says whether final is ready now (that process made it: use it, the
// lock is released) — else the caller holds the lock until it calls
// unlock. fname is the archive's name.
func lockDataset(source, fname, final string, cfg untarConfig) (unlock func(), ready bool, err error) {
	unlock, err = lockTarget(final, cfg.progress)
	if err != nil {
		return nil, false, fmt.Errorf("UntarData %s: %w", source, err)
	}
	if _, _, done, _ := extracted(source, fname, cfg); done || cfg.force && !cfg.forced(final) {
		unlock()
		return nil, true, nil
	}
	return unlock, false, nil
}

func untarLocal(source string, cfg untarConfig) (fastgo.Path, error) {
	st, err := os.Stat(source)
	if err != nil {
		return "", fmt.Errorf("UntarData: %q is neither an http(s) URL nor an existing file or folder: %w", source, err)
	}
	if st.IsDir() {
		return fastgo.Path(filepath.Clean(source)), nil
	}
	name, final, done, err := extracted(source, filepath.Base(source), cfg)
	if done || err != nil {
		return fastgo.Path(final), err
	}
	unlock, ready, err := lockDataset(source, filepath.Base(source), final, cfg)
	if err != nil {
		return "", err
	}
	if ready {
		return fastgo.Path(final), nil
	}
	defer unlock()
	dir, err := extractArchive(source, cfg.dest, name, cfg.force)
	if diskerr.Is(err) {
		return "", fmt.Errorf("%w; nothing was extracted", err)
	}
	if errors.Is(err, errDamaged) {
		return "", fmt.Errorf("%w; nothing was extracted: get a good copy of %s (download it again)", err, source)
	}
	return dir, err
}

// extracted names the dataset of the archive fname and its folder under
// cfg.dest, and reports whether that folder is already there (and no new
// download is forced).
func extracted(source, fname string, cfg untarConfig) (name, final string, done bool, err error) {
	if name, err = datasetName(fname); err != nil {
		return "", "", false, fmt.Errorf("UntarData %s: %w", source, err)
	}
	final = filepath.Join(cfg.dest, name)
	if !cfg.force {
		if st, err := os.Stat(final); err == nil && st.IsDir() {
			return name, final, true, nil
		}
	}
	return name, final, false, nil
}

// datasetName is an archive's file name without its archive suffix.
func datasetName(fname string) (string, error) {
	for _, ext := range []string{".tar.gz", ".tgz", ".tar"} {
		if strings.HasSuffix(strings.ToLower(fname), ext) && len(fname) > len(ext) {
			return fname[:len(fname)-len(ext)], nil
		}
	}
	return "", fmt.Errorf("%q: %w; extract it by hand and pass UntarData the folder", fname, errNotArchive)
}

// DownloadOptions change how Download fetches a file.
type DownloadOptions struct {
	// Client does the requests; nil means fastgo's default client.
	Client *http.Client
	// Progress receives a progress bar; nil means none.
	Progress io.Writer
	// Verify, when set, checks the complete .part file before it is renamed
	// into place; a file it rejects is deleted.
	Verify func(partFile string) error
}

// Download fetches url into dst through dst+".part", resuming from what the
// .part file already holds with an HTTP Range request (starting over when
// the server ignores it), and renames it to dst only once complete (and
// verified): an interrupted download never leaves a partial dst, and the
// next call continues it. UntarData and pretrained weights use it. It
// holds a lock (dst+".lock") meanwhile: a second process downloading the
// same dst waits, then finds dst there and returns without fetching it.
// fastai's download_url, with resuming and the lock added.
//
// Errors, naming the URL or file: the server cannot be reached, or answers
// with an HTTP error status; a resume the server answers at another
// position, or a .part file that does not match the server's file (it is
// removed: run again); Verify's rejection (the .part file is deleted); a
// full, read-only or unwritable folder, said as such (naming FASTGO_HOME
// when dst is under Home).
func Download(url, dst string, opts DownloadOptions) (err error) {
	client := opts.Client
	if client == nil {
		client = downloadClient
	}
	// A full, read-only or unwritable folder is said as such (not taken
	// for a network failure), naming FASTGO_HOME when dst is under Home.
	env := ""
	if within(filepath.Clean(string(Home())), filepath.Clean(dst)) {
		env = EnvHome
	}
	defer func() { err = diskerr.Wrap(err, filepath.Dir(dst), env) }()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	// Another process fetching the same file (pretrained weights in two
	// notebooks) is waited for, and its file used.
	lock := flock.New(dst + ".lock")
	if err := lock.Lock(); err != nil {
		return fmt.Errorf("locking %s: %w", lock.Path(), err)
	}
	defer lock.Unlock()
	if st, err := os.Stat(dst); err == nil && st.Mode().IsRegular() {
		return nil
	}
	part := dst + ".part"
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		// A failure before any byte arrived (offline) leaves no empty
		// .part file behind; a partial one is kept for resuming.
		if st, serr := os.Stat(part); err != nil && serr == nil && st.Size() == 0 {
			_ = os.Remove(part)
		}
	}()
	defer f.Close()
	offset, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("cannot download %s: %w", url, err)
	}
	defer resp.Body.Close()
	total := int64(-1)
	switch {
	case resp.StatusCode == http.StatusPartialContent:
		start, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != offset {
			return fmt.Errorf("downloading %s: the server resumed at an unexpected position (%q); remove %s and run again", url, resp.Header.Get("Content-Range"), part)
		}
		total = size
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && offset > 0:
		// The .part file may already hold the whole file.
		if _, size, ok := parseContentRange(resp.Header.Get("Content-Range")); !ok || size != offset {
			f.Close()
			_ = os.Remove(part)
			return fmt.Errorf("downloading %s: the partial download %s does not match the file on the server; it has been removed, run again", url, part)
		}
		return finishDownload(f, part, dst, opts.Verify)
	case resp.StatusCode == http.StatusOK:
		// No resume support (or nothing to resume): start over.
		if err := f.Truncate(0); err != nil {
			return err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		offset = 0
		if resp.ContentLength >= 0 {
			total = resp.ContentLength
		}
	default:
		return fmt.Errorf("downloading %s failed: HTTP %s; check the URL", url, resp.Status)
	}
	bar := newProgress(opts.Progress, path.Base(dst), total)
	pw := &progressWriter{w: f, done: offset, bar: bar}
	start := time.Now()
	if bar != nil {
		bar.Update(int(offset), "")
	}
	_, err = io.Copy(pw, resp.Body)
	if bar != nil {
		bar.Done()
	} else if total < 0 && opts.Progress != nil && opts.Progress != io.Discard {
		_, _ = fmt.Fprintf(opts.Progress, "%s: %s in %s\n", path.Base(dst), display.FormatBytes(pw.done), display.FormatDuration(time.Since(start).Seconds()))
	}
	if err != nil {
		if diskerr.Is(err) {
			return diskerr.Wrap(fmt.Errorf("the download of %s stopped after %d bytes, kept in %s to resume: %w", url, pw.done, part, err), filepath.Dir(dst), env)
		}
		return fmt.Errorf("the download of %s stopped after %d bytes: %w; run again to resume it from %s", url, pw.done, err, part)
	}
	if total >= 0 && pw.done != total {
		return fmt.Errorf("the download of %s stopped after %d of %d bytes; run again to resume it from %s", url, pw.done, total, part)
	}
	return finishDownload(f, part, dst, opts.Verify)
}

// finishDownload closes and verifies the complete .part file and renames it
// to dst.
func finishDownload(f *os.File, part, dst string, verify func(string) error) error {
	if err := f.Close(); err != nil {
		return err
	}
	if verify != nil {
		if err := verify(part); err != nil {
			_ = os.Remove(part)
			return fmt.Errorf("%w; the download has been removed, run again", err)
		}
	}
	return os.Rename(part, dst)
}

// parseContentRange reads "bytes start-end/size" (or "bytes */size").
func parseContentRange(h string) (start, size int64, ok bool) {
	rest, found := strings.CutPrefix(h, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, sz, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	size, err := strconv.ParseInt(sz, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if rng == "*" {
		return -1, size, true
	}
	s, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err = strconv.ParseInt(s, 10, 64)
	return start, size, err == nil
}

// verifyArchive compares the archive with fastai's check: size, and the
// MD5 of its first MiB.
func verifyArchive(archive string, c archiveCheck) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() != c.size {
		return fmt.Errorf("%s has %d bytes, expected %d", archive, st.Size(), c.size)
	}
	h := md5.New()
	if _, err := io.CopyN(h, f, checkedPrefix); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != c.md5First {
		return fmt.Errorf("%s has checksum %s, expected %s", archive, sum, c.md5First)
	}
	return nil
}

// progressWriter counts the bytes written through it and moves the bar.
type progressWriter struct {
	w    io.Writer
	done int64
	bar  *display.ProgressBar // nil: no progress shown
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.done += int64(n)
	if p.bar != nil {
		p.bar.Update(int(p.done), "")
	}
	return n, err
}

// newProgress starts the download's bar on w: display's progress bar over
// the file's bytes, fastprogress' format as fastai's download shows it
// (`pets.tgz |████----| 45.31% [367836160/811706944 00:12<00:15]`). It is
// nil when w is nil or io.Discard, or when the size is unknown (the server
// sent none): then Download says what it fetched once it is done.
func newProgress(w io.Writer, label string, total int64) *display.ProgressBar {
	if w == nil || w == io.Discard || total <= 0 {
		return nil
	}
	return display.NewProgressBarTo(w, int(total), label)
}
