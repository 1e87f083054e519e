package main

import (
	"fmt"
	"io"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/backend"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/vision/augment"
	"github.com/fastgo-ml/fastgo/fastgo/vision/cnn"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/tensors"
)

// The device run's parts (scripts/gpu-device-run.sh runs each in its own
// process, under its own time limit):
//
//	compile  the first training step of a new process: forward graph built
//	         (Go), then the backward graph, XLA's compile and one step;
//	         cold or warm is the caller's doing (FASTGO_XLA_CACHE,
//	         GOXLA_EXECUTABLE_CACHE), named by -label
//	step     steady training steps at each -bs-list size and -dtypes, with
//	         the learner's pipelining and (bs 64) without: the summary
//	         fits t = a + b·bs (fixed cost a, device cost b per image)
//	upload   host→device GB/s of a 224-px and a 460-px uint8 batch: the
//	         loop's old path (a Go copy, then the transfer), FromRaw (the
//	         transfer alone), and in the patched build DMA-mapped memory
//	real460  the chapter's real step: 460-px uint8 batches, AugTransforms
//	         and Normalize in the graph, pipelining off and on
type partResult struct {
	result
	err error
}

var deviceParts = map[string]func(config) []partResult{
	"compile": compilePart,
	"step":    stepPart,
	"upload":  uploadPart,
	"real460": real460Part,
}

// one wraps a single measurement.
func one(r result, err error) []partResult { return []partResult{{r, err}} }

// stepTimer is a StepChecker that notes when the training graph has been
// built (before XLA compiles it) and an AfterBatcher that notes when the
// first batch is done.
type stepTimer struct{ built, firstDone time.Time }

func (s *stepTimer) CheckStep(*learner.Learner, learner.TrainStep) error {
	if s.built.IsZero() {
		s.built = time.Now()
	}
	return nil
}

func (s *stepTimer) AfterBatch(f *learner.FitState) error {
	if f.Training && s.firstDone.IsZero() {
		s.firstDone = time.Now()
	}
	return nil
}

// trainLearner is ResNet (c.arch) over n random batches of bs at size px,
// 37 classes, Normalize (and AugTransforms from presized batches when aug).
func trainLearner(c config, bs, size, n int, dtype string, aug bool, opts ...learner.Option) (*learner.Learner, error) {
	tfms := []fastgo.BatchTransform{augment.MustNormalize(augment.ImagenetStats())}
	if aug {
		a, err := augment.AugTransforms(c.size, augment.MinScale(0.75))
		if err != nil {
			return nil, err
		}
		tfms = append([]fastgo.BatchTransform{a}, tfms...)
	}
	data := learner.Data{Train: randomBatches(n, bs, size, 1), Vocab: vocab37(), BatchTfms: tfms}
	l, err := learner.New(data, cnn.Model(c.arch, 37), append([]learner.Option{learner.Output(io.Discard), learner.Seed(1)}, opts...)...)
	if err != nil {
		return nil, err
	}
	l.Quiet = true
	if dtype == "bfloat16" {
		l.ToFP16()
	}
	return l, nil
}

// timedSteps trains one warm-up epoch (compiles), then times one epoch of
// n steps: ms per step and images/s.
func timedSteps(l *learner.Learner, n, bs int) (stepMs, imgPerS float64, err error) {
	if err := l.Fit(1, 1e-3); err != nil {
		return 0, 0, err
	}
	start := time.Now()
	if err := l.Fit(1, 1e-3); err != nil {
		return 0, 0, err
	}
	secs := time.Since(start).Seconds()
	return 1000 * secs / float64(n), float64(n*bs) / secs, nil
}

// pipeOff is the loop without overlap: each batch uploaded when its step
// comes, every loss read at once, no padding. pipeOn is the overlap
// (learner.DefaultPipelining on an accelerator), named so that a dry run
// on the CPU runs it too.
var (
	pipeOff = learner.WithPipelining(learner.Pipelining{SyncEvery: 1})
	pipeOn  = learner.WithPipelining(learner.Pipelining{Prefetch: 2, SyncEvery: 8, PadValid: true})
)

func pipeName(l *learner.Learner) string {
	p := l.Pipelining()
	if p.Prefetch == 0 && p.SyncEvery == 1 {
		return "overlap-off"
	}
	return fmt.Sprintf("overlap-on(prefetch %d, sync every %d)", p.Prefetch, p.SyncEvery)
}

func compilePart(c config) []partResult {
	r := result{Part: "compile", DType: "float32", BS: c.bs, Variant: c.label}
	start := time.Now()
	timer := &stepTimer{}
	l, err := trainLearner(c, c.bs, c.size, 1, "float32", false, learner.Callbacks(timer))
	if err != nil {
		return one(r, err)
	}
	if err := l.Fit(1, 1e-3); err != nil {
		return one(r, err)
	}
	if timer.built.IsZero() || timer.firstDone.IsZero() {
		return one(r, fmt.Errorf("the step timer saw no graph or no batch"))
	}
	r.BuildS = timer.built.Sub(start).Seconds()
	r.CompileS = timer.firstDone.Sub(timer.built).Seconds()
	r.Seconds = time.Since(start).Seconds()
	r.Note = "build_s: New → forward graph built; compile_s: then → first step done (backward graph, XLA compile, one step)"
	return one(r, nil)
}

func stepPart(c config) []partResult {
	var out []partResult
	for _, dtype := range c.dtypes {
		for _, bs := range c.bsList {
			variants := [][]learner.Option{{pipeOn}}
			if bs == c.bs {
				variants = append(variants, []learner.Option{pipeOff})
			}
			for _, opts := range variants {
				r := result{Part: "step", DType: dtype, BS: bs}
				l, err := trainLearner(c, bs, c.size, c.steps, dtype, false, opts...)
				if err == nil {
					r.Variant = pipeName(l)
					r.StepMs, r.ImgPerS, err = timedSteps(l, c.steps, bs)
				}
				out = append(out, partResult{r, err})
			}
		}
	}
	return out
}

func real460Part(c config) []partResult {
	var out []partResult
	for _, opts := range [][]learner.Option{{pipeOff}, {pipeOn}} {
		r := result{Part: "real460", DType: "float32", BS: c.bs}
		l, err := trainLearner(c, c.bs, c.presize, c.steps, "float32", true, opts...)
		if err == nil {
			r.Variant = pipeName(l)
			r.StepMs, r.ImgPerS, err = timedSteps(l, c.steps, c.bs)
		}
		out = append(out, partResult{r, err})
	}
	return out
}

// uploadWays are the host→device transfers measured: the training loop's
// old way (a Go copy into a fresh tensor, then the transfer), the new one
// (the transfer from the batch's memory), and what the build adds.
type uploadWay struct {
	name string
	up   func(be backendT, data []byte, dims []int) error
}

// backendT is the backend the parts run on.
type backendT = compute.Backend

var uploadWays = []uploadWay{
	{"go-copy+transfer", func(be backendT, data []byte, dims []int) error {
		t := tensors.FromFlatDataAndDimensions(data, dims...)
		if err := t.MaterializeOnDevice(be, false, 0); err != nil {
			return err
		}
		t.FinalizeAll()
		return nil
	}},
	{"fromraw", func(be backendT, data []byte, dims []int) error {
		t, err := tensors.FromRaw(be, 0, shapes.Make(dtypes.Uint8, dims...), data)
		if err != nil {
			return err
		}
		t.FinalizeAll()
		return nil
	}},
}

func uploadPart(c config) []partResult {
	var out []partResult
	be := backend.Default()
	for _, size := range []int{c.size, c.presize} {
		batch := randomBatches(1, c.bs, size, 4)[0].X
		ways := append(uploadWays[:len(uploadWays):len(uploadWays)], patchedUploadWays(be)...)
		for _, w := range ways {
			r := result{Part: "upload", DType: "uint8", BS: c.bs, Variant: fmt.Sprintf("%s %.1f MB", w.name, float64(len(batch.Data))/1e6)}
			err := w.up(be, batch.Data, batch.Shape) // warm-up
			if err == nil {
				start := time.Now()
				for range c.steps {
					if err = w.up(be, batch.Data, batch.Shape); err != nil {
						break
					}
				}
				secs := time.Since(start).Seconds()
				r.GBps = float64(c.steps*len(batch.Data)) / secs / 1e9
				r.StepMs = 1000 * secs / float64(c.steps)
			}
			out = append(out, partResult{r, err})
		}
	}
	return out
}
