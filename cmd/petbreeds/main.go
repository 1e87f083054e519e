// Command petbreeds runs fastbook chapter 5, "pet breeds", as a plain Go
// program: the same calls as notebooks/05_pet_breeds.ipynb, with tables and
// progress bars in the terminal and images and plots written as PNG files
// (their paths are printed).
//
// The data, in this order: -data DIR (a folder or an archive); the
// Oxford-IIIT Pet sample in ../shared/data/oxford-iiit-pet-sample when it is
// beside the checkout; the real dataset through UntarData(URLs.Pets)
// (774 MB, said before the download starts, cached after the first run);
// offline, the 9 bundled images of testdata/images, which show the workflow
// but train no model worth the name. The run's
// scale comes from fastbook.ChapterScale: the chapter's settings on a GPU, a
// small one on the pure-Go backend, overridable by FASTGO_ARCH,
// FASTGO_PRESIZE, FASTGO_SIZE, FASTGO_BS, FASTGO_EPOCHS, FASTGO_LRFIND_IT.
//
//	make demo                      # or: GOEXPERIMENT=simd go run ./cmd/petbreeds
//	go run ./cmd/petbreeds -data-only   # only the data cells (no training)
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/external"
	"github.com/fastgo-ml/fastgo/fastgo/fastbook"
	"github.com/fastgo-ml/fastgo/fastgo/interp"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/tensor"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/fastgo/vision/augment"
	"github.com/fastgo-ml/fastgo/fastgo/vision/cnn"
)

func main() {
	data := flag.String("data", "", "the pets dataset: its folder (with images/ inside) or archive (default: the shared sample beside the checkout, else Oxford-IIIT Pet downloaded once, else offline the bundled testdata/images)")
	dataOnly := flag.Bool("data-only", false, "run only the data cells")
	pretrained := flag.Bool("pretrained", false, "require torchvision's ImageNet weights (in $FASTGO_HOME/models, or downloaded); without it they are used when already there, else training starts from random weights")
	flag.Parse()
	if err := run(*data, *dataOnly, *pretrained); err != nil {
		fmt.Fprintln(os.Stderr, "petbreeds:", err)
		os.Exit(1)
	}
}

// cell prints a header, runs one chapter cell and prints its wall time.
func cell(name string, f func() error) error {
	fmt.Printf("\n## %s\n", name)
	start := time.Now()
	err := f()
	fmt.Printf("(%s: %.1fs)\n", name, time.Since(start).Seconds())
	return err
}

// Where the demo looks for its data when -data is not given (relative to
// the checkout, where `make demo` runs).
const (
	sharedSample = "../shared/data/oxford-iiit-pet-sample"
	bundledData  = "testdata"
)

// chooseData returns the pets folder for the demo: flagValue when given;
// else sample when that folder exists; else UntarData(petsURL) (download
// and cache); and when that fails (offline), the bundled folder, with a
// line saying why and what the bundled images are good for.
func chooseData(flagValue, sample, petsURL, bundled string, opts ...external.UntarOption) (fastgo.Path, error) {
	if flagValue != "" {
		path, err := external.UntarData(flagValue, opts...)
		if err != nil {
			return "", err
		}
		if st, err := os.Stat(string(path.Join("images"))); err != nil || !st.IsDir() {
			return "", fmt.Errorf("-data %s: no images/ folder in %s: give the dataset's folder (the one with images/ inside, as Oxford-IIIT Pet has) or its archive", flagValue, string(path))
		}
		return path, nil
	}
	if st, err := os.Stat(sample); err == nil && st.IsDir() {
		fmt.Printf("data: the Oxford-IIIT Pet sample in %s\n", sample)
		return fastgo.Path(sample), nil
	}
	path, err := external.UntarData(petsURL, opts...)
	if err == nil {
		fmt.Printf("data: Oxford-IIIT Pet in %s\n", string(path))
		return path, nil
	}
	fmt.Printf("data: could not get Oxford-IIIT Pet: %v\n", err)
	fmt.Printf("data: using the 9 bundled images in %s: they show the workflow, not a model (error rates on 1 validation image mean nothing); -data DIR uses your own copy\n", bundled)
	return external.UntarData(bundled, opts...)
}

func run(data string, dataOnly, pretrained bool) error {
	scale, err := fastbook.ChapterScale()
	if err != nil {
		return err
	}
	fmt.Println("scale:  ", scale)

	var path fastgo.Path
	var dls *fastgo.DataLoaders
	labeller := fastgo.UsingName(fastgo.RegexLabeller(`(.+)_\d+.jpg$`))
	steps := []struct {
		name string
		f    func() error
	}{
		{"path = untar_data(URLs.PETS); path.ls()", func() error {
			if path, err = chooseData(data, sharedSample, external.URLs.Pets, bundledData); err != nil {
				return err
			}
			fastgo.SetBasePath(path)
			ls, err := path.Ls()
			fmt.Println(ls)
			return err
		}},
		{"(path/'images').ls()", func() error {
			ls, err := path.Join("images").Ls()
			fmt.Println(ls)
			return err
		}},
		{"re.findall(r'(.+)_\\d+.jpg$', fname.name)", func() error {
			files, err := fastgo.GetImageFiles(path.Join("images"))
			if err != nil {
				return err
			}
			label, err := labeller(files.At(0))
			fmt.Println(fastgo.PyList([]string{label}))
			return err
		}},
		{"pets1.summary(path/'images')  # no Resize: collating fails, with its diagnosis", func() error {
			pets1 := fastgo.DataBlock{
				Blocks:   fastgo.Blocks{X: vision.ImageBlock(), Y: fastgo.CategoryBlock()},
				GetItems: fastgo.GetImageFiles,
				Splitter: fastgo.RandomSplitter(0.2, 42),
				GetY:     labeller,
			}
			err := pets1.Summary(path.Join("images"))
			if _, ok := errors.AsType[*fastgo.CollateError](err); ok {
				fmt.Println("=> as expected:", err)
				return nil
			}
			return err // anything else is a real problem with the data
		}},
		{"dls = pets.dataloaders(path/'images')", func() error {
			aug, err := augment.AugTransforms(scale.Size, augment.MinScale(0.75))
			if err != nil {
				return err
			}
			pets := fastgo.DataBlock{
				Blocks:    fastgo.Blocks{X: vision.ImageBlock(), Y: fastgo.CategoryBlock()},
				GetItems:  fastgo.GetImageFiles,
				Splitter:  fastgo.RandomSplitter(0.2, 42),
				GetY:      labeller,
				ItemTfms:  []fastgo.ItemTransform{vision.Resize(scale.Presize)},
				BatchTfms: []fastgo.BatchTransform{aug},
			}
			dls, err = pets.DataLoaders(path.Join("images"), fastgo.WithBatchSize(scale.BatchSize))
			if err != nil {
				return err
			}
			if n := dls.Train.Dataset.Len(); dls.Train.Len() == 0 && n > 0 {
				// A handful of images (testdata/) fill no whole batch: use one batch of all of them.
				fmt.Printf("only %d training images: batch size %d instead of %d\n", n, n, scale.BatchSize)
				if dls, err = pets.DataLoaders(path.Join("images"), fastgo.WithBatchSize(n)); err != nil {
					return err
				}
			}
			fmt.Printf("%d training and %d validation items, %d classes: %v\n",
				dls.Train.Dataset.Len(), dls.Valid.Dataset.Len(), dls.Vocab.Len(), dls.Vocab)
			return nil
		}},
		{"dls.show_batch(nrows=1, ncols=3)", func() error {
			_, err := augment.ShowBatch(dls, augment.Grid(1, 3))
			return err
		}},
		{"dls.train.show_batch(max_n=8, nrows=2, unique=True)", func() error {
			_, err := augment.ShowBatch(dls, augment.Grid(2, 4), augment.Unique())
			return err
		}},
	}
	for _, s := range steps {
		if err := cell(s.name, s.f); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	if dataOnly {
		return nil
	}
	return train(dls, scale, pretrained)
}

// weights is -pretrained's choice: ImageNet weights required, or used when
// cached (random weights otherwise, which CNNLearner announces).
func weights(required bool) learner.Option {
	if required {
		return cnn.Pretrained(true)
	}
	return cnn.PretrainedIfCached()
}

func train(dls *fastgo.DataLoaders, scale fastbook.Scale, pretrained bool) error {
	var learn *learner.Learner
	var err error
	steps := []struct {
		name string
		f    func() error
	}{
		{"learn = cnn_learner(dls, resnet, metrics=error_rate); learn.fine_tune(2)", func() error {
			learn, err = cnn.Learner(dls, scale.Arch, weights(pretrained), learner.Metrics(learner.ErrorRate))
			if err != nil {
				return err
			}
			return learn.FineTune(scale.Epochs(2)) // the book: learn.fine_tune(2)
		}},
		{"x,y = dls.one_batch(); preds,_ = learn.get_preds(dl=[(x,y)]); preds[0]; len(preds[0]),preds[0].sum()", func() error {
			b, err := dls.OneBatch()
			if err != nil {
				return err
			}
			fmt.Println(b.Y)
			preds, err := learn.GetPreds(learner.SliceSource{{X: b.X, Y: b.Y}})
			if err != nil {
				return err
			}
			row := preds.Tensor().Row(0)
			fmt.Println(row)                               // preds[0]
			fmt.Printf("(%d, %v)\n", row.Len(), row.Sum()) // len(preds[0]), preds[0].sum()
			return nil
		}},
		{"acts.softmax / nll_loss / cross_entropy", func() error {
			// The book's acts = torch.randn((6,2))*2, as printed in the chapter.
			acts := tensor.New([][]float64{{0.6734, 0.2576}, {0.4689, 0.4607}, {-2.2457, -0.3727},
				{4.4164, -1.2760}, {0.9233, 0.5347}, {1.0698, 1.6187}})
			targ := tensor.New([]int{0, 1, 0, 1, 1, 0})
			smActs := acts.Softmax(1)
			fmt.Println(acts)
			fmt.Println(smActs)
			fmt.Println(smActs.Index(tensor.Range(6), targ))
			fmt.Println(tensor.CrossEntropy(acts, targ, "mean"))
			fmt.Println(tensor.CrossEntropy(acts, targ, "none"))
			return nil
		}},
		{"interp = ClassificationInterpretation.from_learner(learn); interp.plot_confusion_matrix(); interp.most_confused(min_val=2)", func() error {
			preds, err := learn.GetPreds(nil)
			if err != nil {
				return err
			}
			ci, err := interp.FromPreds(dls.Vocab.Items(), preds, dls.Valid.Dataset.Items)
			if err != nil {
				return err
			}
			if _, err := ci.PlotConfusionMatrix(); err != nil {
				return err
			}
			fmt.Println(ci.MostConfused(2))
			return nil
		}},
		{"learn.lr_find(suggest_funcs=(minimum, steep))", func() error {
			learn, err = cnn.Learner(dls, scale.Arch, weights(pretrained), learner.Metrics(learner.ErrorRate))
			if err != nil {
				return err
			}
			res, err := learn.LRFind(learner.NumIt(scale.LRFindIt), learner.ShowSuggestions("minimum", "steep"))
			if err != nil {
				return err
			}
			fmt.Printf("Minimum/10: %.2e, steepest point: %.2e\n", res.Minimum, res.Steep)
			return nil
		}},
		{"learn.fine_tune(2, base_lr=3e-3)", func() error {
			return learn.FineTune(scale.Epochs(2), learner.BaseLR(3e-3)) // the book: fine_tune(2, base_lr=3e-3)
		}},
		{"learn.unfreeze(); learn.fit_one_cycle(12, lr_max=slice(1e-6,1e-4)); learn.recorder.plot_loss()", func() error {
			if err := learn.Unfreeze(); err != nil {
				return err
			}
			if err := learn.FitOneCycle(scale.Epochs(12), learner.Slice(1e-6, 1e-4)); err != nil {
				return err
			}
			return learn.Recorder.PlotLoss()
		}},
	}
	for _, s := range steps {
		if err := cell(s.name, s.f); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}
