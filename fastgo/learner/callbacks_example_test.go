package learner_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/fastgo-ml/fastgo/fastgo/learner"
)

// The examples below train the synthetic data and the model of the
// package example (quadrants, twoGroups).

// noisy is quadrants with 30% of its 64 training labels wrong: a model
// that learns them gets worse on the (clean) validation set after a few
// epochs.
func noisy() learner.Data {
	return learner.Data{Train: quadrants(64, 16, 1, 0.3), Valid: quadrants(64, 16, 2, 0), Vocab: []string{"a", "b", "c", "d"}}
}

// Early stopping: the validation loss is best at epoch 1, then the model
// learns the wrong labels; with Patience 2 the fit of 10 epochs stops
// after epoch 3, saying so.
func ExampleEarlyStoppingCallback() {
	learn, err := learner.New(noisy(), twoGroups(4))
	if err != nil {
		fmt.Println(err)
		return
	}
	learn.Quiet = true // no progress bars and table; the callback still speaks
	err = learn.Fit(10, 1e-2, learner.WithCallbacks(&learner.EarlyStoppingCallback{Patience: 2}))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, row := range learn.Recorder.Rows {
		fmt.Printf("epoch %d: valid_loss %.2f\n", row.Epoch, row.ValidLoss)
	}
	// Output:
	// No improvement since epoch 1: early stopping
	// epoch 0: valid_loss 0.61
	// epoch 1: valid_loss 0.35
	// epoch 2: valid_loss 0.36
	// epoch 3: valid_loss 0.42
}

// rounded writes the learner's messages with their numbers to 2
// decimals, so that the example's output does not depend on the CPU's
// float rounding.
type rounded struct{}

func (rounded) Write(p []byte) (int, error) {
	fmt.Print(regexp.MustCompile(`\d+\.\d+`).ReplaceAllStringFunc(string(p), func(s string) string {
		v, _ := strconv.ParseFloat(s, 64)
		return fmt.Sprintf("%.2f", v)
	}))
	return len(p), nil
}

// SaveModelCallback keeps the best epoch: after 4 epochs the learner holds
// the weights of the epoch with the lowest validation loss, not the last
// ones.
func ExampleSaveModelCallback() {
	dir, err := os.MkdirTemp("", "models")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	learn, err := learner.New(noisy(), twoGroups(4), learner.Output(rounded{}))
	if err != nil {
		fmt.Println(err)
		return
	}
	learn.Quiet = true // no progress bars and table; the callback still speaks
	if err := learn.Fit(4, 1e-2, learner.WithCallbacks(&learner.SaveModelCallback{Dir: dir})); err != nil {
		fmt.Println(err)
		return
	}
	preds, err := learn.GetPreds(nil) // the validation set, with the weights the learner ends with
	if err != nil {
		fmt.Println(err)
		return
	}
	var sum float64
	for _, l := range preds.Losses {
		sum += float64(l)
	}
	fmt.Printf("valid_loss now: %.2f\n", sum/float64(len(preds.Losses)))
	_, err = os.Stat(filepath.Join(dir, "model.learner"))
	fmt.Println("saved:", err == nil)
	// Output:
	// Better model found at epoch 0 with valid_loss value: 0.61.
	// Better model found at epoch 1 with valid_loss value: 0.35.
	// valid_loss now: 0.35
	// saved: true
}

// printEpoch is a callback of one method: it prints a line after every
// epoch.
type printEpoch struct{}

func (printEpoch) AfterEpoch(f *learner.FitState) error {
	fmt.Printf("epoch %d/%d: valid_loss %.3f at lr %.0e\n", f.Epoch+1, f.NEpoch, f.Row.ValidLoss, f.LRs[len(f.LRs)-1])
	return nil
}

// A callback is any value with one or more of the event methods.
func ExampleCallback() {
	data := learner.Data{Train: quadrants(256, 16, 1, 0), Valid: quadrants(32, 16, 2, 0), Vocab: []string{"a", "b", "c", "d"}}
	learn, err := learner.New(data, twoGroups(4))
	if err != nil {
		fmt.Println(err)
		return
	}
	learn.Quiet = true
	if err := learn.Fit(3, 1e-3, learner.WithCallbacks(printEpoch{})); err != nil {
		fmt.Println(err)
	}
	// Output:
	// epoch 1/3: valid_loss 0.813 at lr 1e-03
	// epoch 2/3: valid_loss 0.431 at lr 1e-03
	// epoch 3/3: valid_loss 0.236 at lr 1e-03
}

// Driving the learning rate with fastai's schedule family: warm up
// linearly for 30% of training, then anneal with a cosine (the example
// fastai's docs plot), recorded by the scheduler.
func ExampleParamScheduler() {
	data := learner.Data{Train: quadrants(64, 16, 1, 0), Valid: quadrants(32, 16, 2, 0), Vocab: []string{"a", "b", "c", "d"}}
	learn, err := learner.New(data, twoGroups(4))
	if err != nil {
		fmt.Println(err)
		return
	}
	learn.Quiet = true
	lr, _ := learner.CombineScheds([]float64{0.3, 0.7}, []learner.Schedule{learner.SchedLin(1e-4, 1e-2), learner.SchedCos(1e-2, 1e-5)})
	sched, _ := learner.NewParamScheduler(map[string][]learner.Schedule{"lr": {lr}})
	if err := learn.Fit(2, 0, learner.WithCallbacks(sched)); err != nil {
		fmt.Println(err)
		return
	}
	// fastai's combine_scheds gives the same values (its positions are
	// float32: they agree to 4 digits, not always at a 3-digit rounding).
	for i, v := range sched.Hps["lr"] {
		fmt.Printf("batch %d: lr %.4g\n", i, v)
	}
	// Output:
	// batch 0: lr 0.0001
	// batch 1: lr 0.004225
	// batch 2: lr 0.00835
	// batch 3: lr 0.00972
	// batch 4: lr 0.008119
	// batch 5: lr 0.005564
	// batch 6: lr 0.002838
	// batch 7: lr 0.0007756
}

// Discriminative learning rates: Slice(lo, hi) spreads the rates over
// the parameter groups geometrically; Slice(hi) gives hi/10 to every
// group but the last.
func ExampleSlice() {
	lrs, _ := learner.GroupLRs(learner.Slice(1e-6, 1e-4), 3)
	fmt.Printf("%.0e\n", lrs)
	lrs, _ = learner.GroupLRs(learner.Slice(2e-3), 3)
	fmt.Printf("%.0e\n", lrs)
	// Output:
	// [1e-06 1e-05 1e-04]
	// [2e-04 2e-04 2e-03]
}
