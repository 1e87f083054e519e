package learner_test

import (
	"fmt"
	"io"

	"github.com/fastgo-ml/fastgo/fastgo"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/vision"
	"github.com/fastgo-ml/fastgo/fastgo/vision/augment"
	"github.com/fastgo-ml/fastgo/fastgo/vision/cnn"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
)

// The chapter's learn.fine_tune(2), on nine pet photos at 32 px so that
// it runs in seconds on a CPU: one epoch with the body frozen, then two
// with everything trainable. The table a notebook shows is in
// learn.Recorder (Quiet leaves it out of this example's output).
func ExampleLearner_FineTune() {
	pets := fastgo.DataBlock{
		Blocks:    fastgo.Blocks{X: vision.ImageBlock(), Y: fastgo.CategoryBlock()},
		GetItems:  fastgo.GetImageFiles,
		Splitter:  fastgo.RandomSplitter(0.2, 42),
		GetY:      fastgo.UsingName(fastgo.RegexLabeller(`(.+)_\d+.jpg$`)),
		ItemTfms:  []fastgo.ItemTransform{vision.Resize(40)},
		BatchTfms: []fastgo.BatchTransform{augment.MustAugTransforms(32, augment.MinScale(0.75))},
	}
	dls, err := pets.DataLoaders("../../testdata/images", fastgo.WithBatchSize(4))
	if err != nil {
		fmt.Println(err)
		return
	}
	learn, err := cnn.Learner(dls, models.ResNet18, cnn.Pretrained(false),
		learner.Metrics(learner.ErrorRate), learner.Output(io.Discard))
	if err != nil {
		fmt.Println(err)
		return
	}
	learn.Quiet = true
	if err := learn.FineTune(2); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(learn.Recorder.Columns())
	for _, row := range learn.Recorder.Rows { // the unfrozen stage's table
		fmt.Println("epoch", row.Epoch, "validated:", row.Validated)
	}
	fmt.Println("frozen groups:", learn.FrozenTo())
	// Output:
	// [epoch train_loss valid_loss error_rate time]
	// epoch 0 validated: true
	// epoch 1 validated: true
	// frozen groups: 0
}
