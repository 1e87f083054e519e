package learner

import (
	"fmt"
	"math"
)

// Fine-tuning a tiny two-group model on synthetic 8×8 images (bright
// quadrant = class): one frozen epoch, then two unfrozen ones.
func Example() {
	data := Data{
		Train: newSynth(256, 16, 4, 1, true),
		Valid: newSynth(32, 16, 4, 2, false),
		Vocab: []string{"top-left", "top-right", "bottom-left", "bottom-right"},
	}
	learn, err := New(data, tinyModel(4), WithBackend(testBackend()), Metrics(ErrorRate), NoPersist())
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
