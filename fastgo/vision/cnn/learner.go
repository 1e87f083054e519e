package cnn

import (
	"fmt"
	"strings"
	"sync"

	"github.com/fastgo-ml/fastgo/display"
	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/learner/memory"
	"github.com/fastgo-ml/fastgo/fastgo/learner/persist"
	"github.com/fastgo-ml/fastgo/fastgo/vision/augment"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// config is what Learner's own settings choose: the network's head and
// its starting weights.
type config struct {
	head       models.HeadSpec
	pretrained bool
	ifCached   bool
	weights    models.PretrainedOptions
}

// setting is one of Learner's own settings: a learner.Option, so that
// Learner takes one list of options, which Learner takes out of the list
// before calling learner.New. Anything else that takes learner options
// refuses it, naming it.
type setting struct {
	name string
	set  func(*config)
}

// Apply refuses the setting: only Learner applies it, before making the
// learner.
func (s setting) Apply(*learner.Learner) error {
	return fmt.Errorf("%s is a setting of cnn.Learner (it chooses the network and its weights before the learner is made): give it to cnn.Learner, not to learner.New, LoadExported or LoadPredictor", s.name)
}

// Pretrained says whether to start from torchvision's ImageNet weights
// (the default, as in fastai) or from random weights (Pretrained(false)).
// Among Pretrained, PretrainedIfCached and WeightsFrom the last one given
// decides.
func Pretrained(on bool) learner.Option {
	return setting{fmt.Sprintf("cnn.Pretrained(%v)", on), func(c *config) { c.pretrained, c.ifCached = on, false }}
}

// PretrainedIfCached starts from torchvision's ImageNet weights when their
// file is already in ModelsDir (see WeightsCached), and from random
// weights otherwise — saying so, once per process, with what it does to
// the error rate. Notebooks use it so that they run on machines without
// the weights or internet access.
func PretrainedIfCached() learner.Option {
	return setting{"cnn.PretrainedIfCached()", func(c *config) { c.ifCached = true }}
}

// WeightsFrom sets where pretrained weights are cached and how they are
// downloaded (see PretrainedOptions); it implies Pretrained(true).
func WeightsFrom(opts models.PretrainedOptions) learner.Option {
	return setting{"cnn.WeightsFrom", func(c *config) { c.pretrained, c.ifCached, c.weights = true, false, opts }}
}

// WithHead sets the head's layout (hidden width, Linear biases; see
// [models.HeadSpec]) instead of fastai 2's default: e.g. to load a fastai 1
// learn.save file, whose head has biases, with [LoadFastaiWeights].
func WithHead(h models.HeadSpec) learner.Option {
	return setting{"cnn.WithHead", func(c *config) { c.head = h }}
}

// Learner is fastai's cnn_learner (vision_learner): arch's body cut
// before its pooling layer (fastai's cut=-2), fastai's head on top (see
// [models.Head]) with one output per class of dls, three parameter groups
// (stem to layer2, layer3 and layer4, head; see [models.Arch.ParamGroup])
// and cross-entropy loss. It attaches the pre-fit memory check
// (memory.Check) and, in a notebook, persistence across cells
// (persist.Auto; persist.As, persist.Resume or persist.Off among opts
// replace it).
//
// opts is one list of learner options: this package's settings
// (Pretrained, PretrainedIfCached, WeightsFrom, WithHead) and learner.New's
// (learner.Metrics, learner.OptFunc, learner.Seed, persist.As, …), in any
// order:
//
//	learn, err := cnn.Learner(dls, models.ResNet34, learner.Metrics(learner.ErrorRate),
//		learner.OptFunc(learner.SGD{Mom: 0.9}), persist.As("first"))
//
// PretrainedIfCached (as notebooks use) loads the weights when the file
// is already in ModelsDir and starts from random weights otherwise, saying
// so once per process: the error rate then stays far from the book's.
//
// Pretrained (the default) loads torchvision's ImageNet weights into the
// body (see [models.LoadPretrained]), freezes the body except its batch-norm
// layers, and appends Normalize(ImageNet statistics) to dls's batch
// transforms when none is there — as fastai does; a missing weight file is
// an error that says where to put it, never a silent random start. With
// Pretrained(false) nothing is loaded, frozen or normalised.
//
// Errors: the DataLoaders have no classes; a pretrained weight file that
// is missing (saying where to put it, or to use Pretrained(false)) or does
// not fit arch; any option's error (learner.New's), naming the option.
func Learner(dls *fastgo.DataLoaders, arch models.Arch, opts ...learner.Option) (*learner.Learner, error) {
	cfg := config{pretrained: true}
	var rest []learner.Option
	for _, o := range opts {
		if s, ok := o.(setting); ok {
			s.set(&cfg)
			continue
		}
		rest = append(rest, o)
	}
	if cfg.ifCached {
		cfg.pretrained = models.WeightsCached(arch)
		if !cfg.pretrained {
			sayRandomWeights(arch)
		}
	}
	if dls == nil || dls.Vocab == nil || dls.Vocab.Len() == 0 {
		return nil, fmt.Errorf("cnn.Learner: DataLoaders have no classes: build them with DataBlock.DataLoaders")
	}
	m := ModelWithHead(arch, cfg.head, dls.Vocab.Len())
	// The loop's attachments a notebook user expects: the pre-fit memory
	// check and, in a notebook, persistence across cells (the user's
	// options come after, and may replace the Keeper: persist.As, Off).
	lopts := []learner.Option{learner.Callbacks(memory.Check()), persist.Auto()}
	lopts = append(lopts, rest...)
	if cfg.pretrained {
		addImagenetNormalization(dls)
		lopts = append(lopts, learner.StartFrozen(), learner.InitStore(func(s *model.Store) error {
			report, err := models.LoadPretrained(s.RootScope().In(models.BodyScope), arch, cfg.weights)
			if err == nil {
				fmt.Println(report)
			}
			return err
		}))
	}
	l, err := learner.New(learner.FromDataLoaders(dls), m, lopts...)
	if err != nil {
		return nil, fmt.Errorf("cnn.Learner(%s): %w", arch.Name, err)
	}
	return l, nil
}

// Model is the network Learner trains, for nClasses classes: arch's
// body (scope "body") and fastai's head (scope "head"), with the parameter
// groups of [models.Arch.ParamGroup] and the batch-norm variables kept trainable
// when frozen. It is [ModelWithHead] with [models.DefaultHead].
func Model(arch models.Arch, nClasses int) learner.Model {
	return ModelWithHead(arch, models.DefaultHead, nClasses)
}

// ModelWithHead is [Model] with the head laid out as head says. Its Name,
// which Export records and LoadPredictor reads back, is the architecture's
// ("resnet34"), followed by the head's layout when it is not the default
// ("resnet34 head(hidden 512, bias)").
func ModelWithHead(arch models.Arch, head models.HeadSpec, nClasses int) learner.Model {
	return learner.Model{
		Name: modelName(arch, head),
		Build: func(scope *model.Scope, x *graph.Node, train bool) *graph.Node {
			features := arch.Body(scope.In(models.BodyScope), x, train)
			return head.Build(scope.In(models.HeadScope), features, nClasses, train)
		},
		NumGroups:  models.NumParamGroups,
		Group:      arch.ParamGroup,
		ForceTrain: isBatchNormVariable,
		// Evaluation graphs run with every batch norm folded into the
		// convolution or Linear next to it (models.Arch.FoldBatchNorms).
		Inference: &learner.Inference{
			Derive: func(scope *model.Scope, g *graph.Graph) map[string]*graph.Node {
				folded := map[string]*graph.Node{}
				arch.FoldBatchNorms(scope.In(models.BodyScope), g, folded)
				head.FoldBatchNorms(scope.In(models.HeadScope), g, arch.NumFeatures(), nClasses, folded)
				return folded
			},
			Build: func(scope *model.Scope, x *graph.Node) *graph.Node {
				features := arch.BodyFolded(scope.In(models.BodyScope), x)
				return head.BuildFolded(scope.In(models.HeadScope), features, nClasses)
			},
		},
	}
}

// modelName is ModelWithHead's Name.
func modelName(arch models.Arch, head models.HeadSpec) string {
	if head.IsDefault() {
		return arch.Name
	}
	return arch.Name + " " + head.String()
}

// parseModelName reads a name modelName wrote: the architecture and the
// head's layout.
func parseModelName(name string) (models.Arch, models.HeadSpec, error) {
	archName, headDesc, hasHead := strings.Cut(name, " ")
	arch, err := models.ArchByName(archName)
	if err != nil || !hasHead {
		return arch, models.DefaultHead, err
	}
	for _, h := range []models.HeadSpec{{Bias: false}, {Bias: true}} {
		var hidden int
		format := "head(hidden %d)"
		if h.Bias {
			format = "head(hidden %d, bias)"
		}
		if _, err := fmt.Sscanf(headDesc, format, &hidden); err == nil && hidden > 0 {
			h.Hidden = hidden
			if h.String() == headDesc {
				return arch, h, nil
			}
		}
	}
	return arch, models.HeadSpec{}, fmt.Errorf("unknown head layout %q (this fastgo writes %q)", headDesc, models.HeadSpec{Hidden: 512, Bias: true}.String())
}

// MustLearner is Learner for notebook cells: it panics on error.
func MustLearner(dls *fastgo.DataLoaders, arch models.Arch, opts ...learner.Option) *learner.Learner {
	l, err := Learner(dls, arch, opts...)
	if err != nil {
		panic(err)
	}
	return l
}

// addImagenetNormalization appends Normalize(ImageNet statistics) to the
// batch transforms unless a normalisation is already there (fastai's
// _add_norm, which also edits the DataLoaders, so that ShowBatch decodes).
func addImagenetNormalization(dls *fastgo.DataLoaders) {
	for _, t := range dls.BatchTfms {
		if _, ok := t.(*augment.Normalization); ok {
			return
		}
	}
	dls.BatchTfms = append(dls.BatchTfms, augment.MustNormalize(augment.ImagenetStats()))
}

// isBatchNormVariable reports the CNN learner's batch-norm variables, which
// stay trainable when their group is frozen (fastai's train_bn): torchvision's
// bn1…bn3 and downsample.1 in the body, fastai's BatchNorm1d layers 2 and 6
// in the head.
func isBatchNormVariable(path string) bool {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, "bn"):
			return true
		case p == "downsample" && i+1 < len(parts) && parts[i+1] == "1":
			return true
		case i == 1 && parts[0] == models.HeadScope && (p == "2" || p == "6"):
			return true
		}
	}
	return false
}

// saidRandom remembers the architectures announced by this process.
var saidRandom sync.Map

// sayRandomWeights says once (per notebook session, or per process) and
// architecture that a learner starts from random weights, and what that
// costs.
func sayRandomWeights(arch models.Arch) {
	if _, said := saidRandom.LoadOrStore(arch.Name, true); said {
		return
	}
	display.SayOncePerSession(display.NotebookStdout(), "random_weights_"+arch.Name, fmt.Sprintf(
		"cnn.Learner: %s starts from random weights: torchvision's %s is not in %s. "+
			"The book fine-tunes ImageNet weights; from random ones the error rate stays far higher (on the 739-image sample, close to chance). "+
			"Put the file there (it is downloaded where the internet is reachable) for the book's results.\n",
		arch.Name, arch.File(), models.ModelsDir()))
}
