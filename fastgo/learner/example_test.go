package learner

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
)

// Fine-tuning a tiny two-group model on synthetic 8×8 images (bright
// quadrant = class): one frozen epoch, then two unfrozen ones.
func Example() {
	data := Data{
		Train: newSynth(256, 16, 4, 1, true),
		Valid: newSynth(32, 16, 4, 2, false),
		Vocab: []string{"top-left", "top-right", "bottom-left", "bottom-right"},
	}
	learn, err := New(data, tinyModel(4), WithBackend(testBackend()), Metrics(ErrorRate))
	if err != nil {
		fmt.Println(err)
		return
	}
	learn.Quiet = true // no progress bars in this example
	if err := learn.FineTune(2, BaseLR(0.1)); err != nil {
		fmt.Println(err)
		return
	}
	for _, row := range learn.Recorder.Rows {
		fmt.Printf("epoch %d: valid loss below 0.3: %v, error rate %.2f\n", row.Epoch, row.ValidLoss < 0.3, row.Metrics[0])
	}
	preds, _ := learn.Predict(firstOf(data.Valid).X)
	fmt.Println(preds[0].Class, preds[1].Class, math.Round(float64(preds[0].Probs[0])))
	// Output:
	// epoch 0: valid loss below 0.3: true, error rate 0.00
	// epoch 1: valid loss below 0.3: true, error rate 0.00
	// top-left top-right 1
}

func ExampleSlice() {
	lrs, _ := GroupLRs(Slice(1e-6, 1e-4), 3)
	fmt.Printf("%.0e\n", lrs)
	lrs, _ = GroupLRs(Slice(2e-3), 3)
	fmt.Printf("%.0e\n", lrs)
	// Output:
	// [1e-06 1e-05 1e-04]
	// [2e-04 2e-04 2e-03]
}

func firstOf(s BatchSource) Batch {
	for b := range s.Epoch(0) {
		return b
	}
	return Batch{}
}

// noisyData is the synthetic dataset with 30% of its 64 training labels
// wrong: a model that memorises them gets worse on the (clean) validation
// set after a couple of epochs.
func noisyData() Data {
	train := newSynth(64, 16, 4, 1, true)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, item := range train.items {
		if rng.Float64() < 0.3 {
			item.Y[0] = (item.Y[0] + 1 + rng.IntN(3)) % 4
		}
	}
	return Data{Train: train, Valid: newSynth(64, 16, 4, 2, false), Vocab: []string{"a", "b", "c", "d"}}
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

// Early stopping: the validation loss is best at epoch 1, then the model
// memorises the wrong labels; with Patience 2 the fit of 10 epochs stops
// after epoch 3.
func ExampleEarlyStoppingCallback() {
	learn, err := New(noisyData(), tinyModel(4), WithBackend(testBackend()))
	if err != nil {
		fmt.Println(err)
		return
	}
	learn.Quiet = true // no progress bars and table; the callback still speaks
	err = learn.Fit(10, 3e-2, WithCallbacks(&EarlyStoppingCallback{Patience: 2}))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, row := range learn.Recorder.Rows {
		fmt.Printf("epoch %d: valid_loss %.2f\n", row.Epoch, row.ValidLoss)
	}
	// Output:
	// No improvement since epoch 1: early stopping
	// epoch 0: valid_loss 0.38
	// epoch 1: valid_loss 0.18
	// epoch 2: valid_loss 0.25
	// epoch 3: valid_loss 0.26
}

// SaveModelCallback keeps the best epoch: after 4 epochs the learner holds
// epoch 1's weights, not the last ones.
func ExampleSaveModelCallback() {
	dir, err := os.MkdirTemp("", "models")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	learn, err := New(noisyData(), tinyModel(4), WithBackend(testBackend()), Output(rounded{}))
	if err != nil {
		fmt.Println(err)
		return
	}
	learn.Quiet = true
	if err := learn.Fit(4, 3e-2, WithCallbacks(&SaveModelCallback{Dir: dir})); err != nil {
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
	// Better model found at epoch 0 with valid_loss value: 0.38.
	// Better model found at epoch 1 with valid_loss value: 0.18.
	// valid_loss now: 0.18
	// saved: true
}

// printEpoch is a callback of one method: it prints a line after every
// epoch.
type printEpoch struct{}

func (printEpoch) AfterEpoch(f *FitState) error {
	fmt.Printf("epoch %d/%d: valid_loss %.3f at lr %.0e\n", f.Epoch+1, f.NEpoch, f.Row.ValidLoss, f.LRs[len(f.LRs)-1])
	return nil
}

// A callback is any value with one or more of the event methods.
func ExampleCallback() {
	learn, err := New(tinyData(4), tinyModel(4), WithBackend(testBackend()))
	if err != nil {
		fmt.Println(err)
		return
	}
	learn.Quiet = true
	if err := learn.Fit(3, 1e-2, WithCallbacks(printEpoch{})); err != nil {
		fmt.Println(err)
	}
	// Output:
	// epoch 1/3: valid_loss 0.036 at lr 1e-02
	// epoch 2/3: valid_loss 0.018 at lr 1e-02
	// epoch 3/3: valid_loss 0.008 at lr 1e-02
}
