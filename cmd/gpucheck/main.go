package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/backend"
	"github.com/fastgo-ml/fastgo/fastgo/device"
	"github.com/fastgo-ml/fastgo/fastgo/fastbook"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/vision/augment"
	"github.com/fastgo-ml/fastgo/fastgo/vision/cnn"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
	"github.com/gomlx/gomlx/core/tensors"
)

// result is one measurement; scripts/gpucheck_torch.py prints the same JSON.
type result struct {
	Arch    string  `json:"arch,omitempty"`
	Part    string  `json:"part"` // "train", "h2d", "aug", "finetune", "compile", "step", "upload", "real460"
	DType   string  `json:"dtype,omitempty"`
	BS      int     `json:"bs,omitempty"`
	Variant string  `json:"variant,omitempty"` // e.g. "overlap-off", "cold", "dma"
	ImgPerS float64 `json:"img_per_s,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	StepMs  float64 `json:"step_ms,omitempty"`
	GBps    float64 `json:"gb_per_s,omitempty"`
	// BuildS and CompileS split a first step: the graph built (Go), then
	// compiled (XLA) and run once.
	BuildS   float64 `json:"build_s,omitempty"`
	CompileS float64 `json:"compile_s,omitempty"`
	PeakMiB  float64 `json:"peak_mib,omitempty"` // peak GPU memory (PyTorch's lines)
	Note     string  `json:"note,omitempty"`
}

func (r result) key() string {
	k := r.Part + "/" + r.DType
	if r.BS > 0 {
		k += "/" + strconv.Itoa(r.BS)
	}
	if r.Variant != "" {
		k += "/" + r.Variant
	}
	return k
}

type config struct {
	arch       models.Arch
	size, bs   int
	steps      int
	presize    int
	data       string
	torch      string
	allowCPU   bool
	skipFinetn bool
	jsonOut    string
	parts      []string
	bsList     []int
	dtypes     []string
	label      string
}

func main() {
	var c config
	archName := flag.String("arch", "resnet34", "architecture: resnet18, resnet34 or resnet50")
	flag.IntVar(&c.size, "size", 224, "image size of the training steps and the augmentation output")
	flag.IntVar(&c.bs, "bs", 64, "batch size")
	flag.IntVar(&c.steps, "steps", 10, "timed training steps / augmentation batches")
	flag.IntVar(&c.presize, "presize", 460, "item size before augmentation")
	flag.StringVar(&c.data, "data", "", "pets sample folder (default ../shared/data/oxford-iiit-pet-sample from the repository)")
	flag.StringVar(&c.torch, "torch", "", "python with torch and torchvision, to compare with PyTorch")
	flag.BoolVar(&c.allowCPU, "allow-cpu", false, "measure even without a GPU backend")
	flag.BoolVar(&c.skipFinetn, "skip-finetune", false, "skip the FineTune(1) run")
	flag.StringVar(&c.jsonOut, "json", "", "also write fastgo's results to this file, one JSON object per line (as scripts/gpucheck_torch.py prints them)")
	partsFlag := flag.String("parts", "train,h2d,aug,finetune", "parts to measure, in order: train, h2d, aug, finetune (make gpu-check's), and the device run's compile, step, upload, real460 (see parts.go)")
	bsFlag := flag.String("bs-list", "32,64,128", "batch sizes of the step part")
	dtypesFlag := flag.String("dtypes", "float32,bfloat16", "dtypes of the train and step parts")
	flag.StringVar(&c.label, "label", "", "variant label of the compile and finetune results (e.g. cold, warm)")
	flag.Parse()
	c.parts = strings.Split(*partsFlag, ",")
	c.dtypes = strings.Split(*dtypesFlag, ",")
	for _, f := range strings.Split(*bsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fail(fmt.Errorf("-bs-list %q: give batch sizes, e.g. 32,64,128", *bsFlag))
		}
		c.bsList = append(c.bsList, n)
	}
	arch, err := models.ArchByName(*archName)
	if err != nil {
		fail(err)
	}
	c.arch = arch
	if c.data == "" {
		c.data = defaultData()
	}

	choice, err := backend.Choose()
	if err != nil {
		fail(err)
	}
	fmt.Printf("backend: %s\n", choice)
	if choice.Device != "cuda" && !c.allowCPU {
		fmt.Printf("gpu-check: no GPU backend here (%s), nothing to measure.\n", choice.Reason)
		if len(choice.Skipped) > 0 {
			fmt.Printf("gpu-check: %s\n", strings.Join(choice.Skipped, "; "))
		}
		return
	}
	backend.Default() // create it now, and print it, before timing anything
	if used := backend.DefaultChoice(); used.Device != choice.Device && !c.allowCPU {
		fail(fmt.Errorf("%s could not be created (see above) and fastgo fell back to %s: fix the plugin, then run again", choice.Config, used.Config))
	}

	// Each part is measured on its own: one that fails (or panics inside
	// GoMLX) is reported and the next runs; the JSON file is rewritten after
	// every part, so a run stopped by a time limit keeps what it measured.
	var ours []result
	measure := func(part, dtype string, f func() (result, error)) {
		start := time.Now()
		r, err := safely(part, dtype, f)
		report(&ours, r, err)
		fmt.Printf("gpu-check: %s %s took %.1f s in all (compilation included)\n", part, dtype, time.Since(start).Seconds())
		if c.jsonOut != "" {
			if err := writeJSON(c.jsonOut, c.arch.Name, ours); err != nil {
				fail(err)
			}
		}
	}
	for _, part := range c.parts {
		switch part {
		case "train":
			for _, dtype := range c.dtypes {
				measure("train", dtype, func() (result, error) { return trainSteps(c, dtype) })
			}
		case "h2d":
			measure("h2d", "uint8", func() (result, error) { return hostToDevice(c) })
		case "aug":
			measure("aug", "float32", func() (result, error) { return augmentBatches(c) })
		case "finetune":
			if !c.skipFinetn {
				measure("finetune", "float32", func() (result, error) {
					r, err := fineTune(c)
					r.Variant = c.label
					return r, err
				})
			}
		default:
			run, ok := deviceParts[part]
			if !ok {
				fail(fmt.Errorf("-parts: unknown part %q", part))
			}
			for _, r := range run(c) {
				report(&ours, r.result, r.err)
				if c.jsonOut != "" {
					if err := writeJSON(c.jsonOut, c.arch.Name, ours); err != nil {
						fail(err)
					}
				}
			}
		}
	}

	var theirs []result
	if c.torch != "" {
		theirs, err = runTorch(c)
		if err != nil {
			fmt.Fprintf(os.Stderr, "gpu-check: PyTorch comparison failed: %v\n", err)
		}
	}
	printTable(os.Stdout, ours, theirs)
}

// safely runs one part, turning a panic (GoMLX reports backend failures
// that way) into that part's error.
func safely(part, dtype string, f func() (result, error)) (r result, err error) {
	defer func() {
		if p := recover(); p != nil {
			r = result{Part: part, DType: dtype}
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return f()
}

// writeJSON writes results as JSON lines, each with the architecture.
func writeJSON(path, arch string, results []result) error {
	var b strings.Builder
	for _, r := range results {
		r.Arch = arch
		line, err := json.Marshal(r)
		if err != nil {
			return err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("-json: %w", err)
	}
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gpu-check:", err)
	os.Exit(1)
}

func report(out *[]result, r result, err error) {
	if err != nil {
		r.Note = "failed: " + err.Error()
		fmt.Fprintf(os.Stderr, "gpu-check: %s %s: %v\n", r.Part, r.DType, err)
	} else {
		fmt.Printf("fastgo %-8s %-8s %s\n", r.Part, r.DType, r.describe())
	}
	*out = append(*out, r)
}

// describe is the value and what distinguishes the result from others of
// its part.
func (r result) describe() string {
	var extra []string
	if r.BS > 0 {
		extra = append(extra, fmt.Sprintf("bs %d", r.BS))
	}
	if r.Variant != "" {
		extra = append(extra, r.Variant)
	}
	if r.StepMs > 0 {
		extra = append(extra, fmt.Sprintf("%.2f ms/step", r.StepMs))
	}
	if r.GBps > 0 {
		extra = append(extra, fmt.Sprintf("%.2f GB/s", r.GBps))
	}
	if r.BuildS > 0 || r.CompileS > 0 {
		extra = append(extra, fmt.Sprintf("graph built in %.2f s, compiled and first step in %.2f s", r.BuildS, r.CompileS))
	}
	if len(extra) == 0 {
		return r.value()
	}
	return r.value() + " (" + strings.Join(extra, ", ") + ")"
}

func (r result) value() string {
	switch {
	case r.ImgPerS > 0:
		return fmt.Sprintf("%.1f img/s", r.ImgPerS)
	case r.Seconds > 0:
		return fmt.Sprintf("%.1f s", r.Seconds)
	}
	return "—"
}

// repoRoot is the checkout this program is run from (the folder with
// go.mod), or "." when there is none.
func repoRoot() string {
	wd, _ := os.Getwd()
	for d := wd; filepath.Dir(d) != d; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	return "."
}

// defaultData is ../shared/data/oxford-iiit-pet-sample beside the checkout.
func defaultData() string {
	return filepath.Join(repoRoot(), "..", "shared", "data", "oxford-iiit-pet-sample")
}

func vocab37() []string {
	v := make([]string, 37)
	for i := range v {
		v[i] = "class" + strconv.Itoa(i)
	}
	return v
}

func randomBatches(n, bs, size int, seed uint64) learner.SliceSource {
	rng := rand.New(rand.NewPCG(seed, 1))
	out := make(learner.SliceSource, n)
	for i := range out {
		x := fastgo.ByteTensor{Shape: []int{bs, size, size, 3}, Data: make([]uint8, bs*size*size*3)}
		for j := range x.Data {
			x.Data[j] = uint8(rng.Uint32())
		}
		y := make([]int, bs)
		for j := range y {
			y[j] = rng.IntN(37)
		}
		out[i] = learner.Batch{X: x, Y: y}
	}
	return out
}

// trainSteps times a one-epoch fit over `steps` random batches, after a
// first fit that compiles the graphs. The epoch also validates one batch,
// so the figure is slightly pessimistic.
func trainSteps(c config, dtype string) (result, error) {
	r := result{Part: "train", DType: dtype}
	data := learner.Data{Train: randomBatches(c.steps, c.bs, c.size, 1), Valid: randomBatches(1, c.bs, c.size, 2), Vocab: vocab37(),
		BatchTfms: []fastgo.BatchTransform{augment.MustNormalize(augment.ImagenetStats())}}
	l, err := learner.New(data, cnn.Model(c.arch, 37), learner.Output(io.Discard), learner.Seed(1))
	if err != nil {
		return r, err
	}
	if dtype == "bfloat16" {
		l.ToFP16()
	}
	if err := l.Fit(1, 1e-3); err != nil { // compiles
		return r, err
	}
	start := time.Now()
	if err := l.Fit(1, 1e-3); err != nil {
		return r, err
	}
	r.ImgPerS = float64(c.steps*c.bs) / time.Since(start).Seconds()
	return r, nil
}

// hostToDevice times what each augmentation batch starts with: a presized
// uint8 batch [B,presize,presize,3] made a tensor and copied to the device
// (as device.ApplyBatchTransforms does), so the aug figure can be split
// into transfer and transform.
func hostToDevice(c config) (result, error) {
	r := result{Part: "h2d", DType: "uint8"}
	batch := randomBatches(1, c.bs, c.presize, 4)[0].X
	be := backend.Default()
	run := func(n int) error {
		for range n {
			t := tensors.FromFlatDataAndDimensions(batch.Data, batch.Shape...)
			if err := t.MaterializeOnDevice(be, false, 0); err != nil {
				return err
			}
			t.FinalizeAll()
		}
		return nil
	}
	if err := run(1); err != nil {
		return r, err
	}
	start := time.Now()
	if err := run(c.steps); err != nil {
		return r, err
	}
	secs := time.Since(start).Seconds()
	r.ImgPerS = float64(c.steps*c.bs) / secs
	r.Note = fmt.Sprintf("%.1f GB/s from Go memory", float64(c.steps*len(batch.Data))/secs/1e9)
	return r, nil
}

// augmentBatches times the chapter's batch transforms on presized uint8 batches.
func augmentBatches(c config) (result, error) {
	r := result{Part: "aug", DType: "float32"}
	aug, err := augment.AugTransforms(c.size, augment.MinScale(0.75))
	if err != nil {
		return r, err
	}
	tfms := []device.Transform{aug, augment.MustNormalize(augment.ImagenetStats())}
	batch := randomBatches(1, c.bs, c.presize, 3)[0].X
	be := backend.Default()
	// run applies the transforms n times; reading the last output back waits
	// for the device (it runs the batches in order), so the time is real.
	run := func(n int) error {
		var last error
		for i := range n {
			out, err := device.ApplyBatchTransforms(be, tfms, batch, fastgo.Train, uint64(i))
			if err != nil {
				return err
			}
			if i == n-1 {
				last = out.ConstFlatData(func(any) {})
			}
			out.FinalizeAll()
		}
		return last
	}
	if err := run(1); err != nil { // compiles
		return r, err
	}
	start := time.Now()
	if err := run(c.steps); err != nil {
		return r, err
	}
	r.ImgPerS = float64(c.steps*c.bs) / time.Since(start).Seconds()
	return r, nil
}

// fineTune runs the chapter's fine_tune(1) over the pets sample, end to
// end: DataLoaders, CNNLearner, a frozen epoch and an unfrozen one.
func fineTune(c config) (result, error) {
	r := result{Part: "finetune", DType: "float32"}
	images := filepath.Join(c.data, "images")
	if _, err := os.Stat(images); err != nil {
		return r, fmt.Errorf("pets sample not found (%v): pass -data", err)
	}
	start := time.Now()
	pets, err := fastbook.PetsDataBlock(c.presize, c.size)
	if err != nil {
		return r, err
	}
	dls, err := pets.DataLoaders(fastgo.Path(images), fastgo.WithBatchSize(c.bs))
	if err != nil {
		return r, err
	}
	// ImageNet weights when they are cached (no download: the time would
	// include it); random weights otherwise — the time does not depend on them.
	r.Note = "pretrained"
	l, err := cnn.Learner(dls, c.arch, learner.Metrics(learner.ErrorRate),
		cnn.WeightsFrom(models.PretrainedOptions{Offline: true}))
	if err != nil {
		r.Note = "random weights"
		l, err = cnn.Learner(dls, c.arch, learner.Metrics(learner.ErrorRate), cnn.Pretrained(false))
	}
	if err != nil {
		return r, err
	}
	if err := l.FineTune(1); err != nil {
		return r, err
	}
	r.Seconds = time.Since(start).Seconds()
	return r, nil
}

// runTorch runs scripts/gpucheck_torch.py with the same settings and reads
// its JSON lines.
func runTorch(c config) ([]result, error) {
	script := filepath.Join(repoRoot(), "scripts", "gpucheck_torch.py")
	args := []string{script, "--arch", c.arch.Name, "--size", strconv.Itoa(c.size), "--bs", strconv.Itoa(c.bs),
		"--steps", strconv.Itoa(c.steps), "--presize", strconv.Itoa(c.presize), "--data", c.data}
	if c.skipFinetn {
		args = append(args, "--skip-finetune")
	}
	cmd := exec.Command(c.torch, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	var results []result
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		var r result
		if json.Unmarshal([]byte(sc.Text()), &r) == nil && r.Part != "" {
			results = append(results, r)
			fmt.Printf("torch  %-8s %-8s %s\n", r.Part, r.DType, r.value())
		}
	}
	return results, err
}

// printTable prints fastgo against PyTorch; ratio > 1 means fastgo is faster.
func printTable(w io.Writer, ours, theirs []result) {
	byKey := map[string]result{}
	for _, r := range theirs {
		byKey[r.key()] = r
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\npart\tdtype\tfastgo\tPyTorch\tfastgo/PyTorch\tnote")
	for _, r := range ours {
		t, ok := byKey[r.key()]
		ratio := "—"
		switch {
		case ok && r.ImgPerS > 0 && t.ImgPerS > 0:
			ratio = fmt.Sprintf("%.2fx", r.ImgPerS/t.ImgPerS)
		case ok && r.Seconds > 0 && t.Seconds > 0:
			ratio = fmt.Sprintf("%.2fx", t.Seconds/r.Seconds)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Part, r.DType, r.value(), t.value(), ratio, r.Note)
	}
	_ = tw.Flush()
}
