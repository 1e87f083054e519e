package interp_test

import (
	"fmt"

	"github.com/fastgo-ml/fastgo/fastgo/interp"
)

// cell is how many items of class Actual were predicted as Predicted.
type cell struct{ actual, predicted, count int }

// synthetic builds predictions with the given confusion counts: each item
// gives probability 0.9 to its predicted class and shares 0.1 among the
// others; its loss is -log of its actual class's probability.
func synthetic(vocab []string, cells []cell) (probs []float32, targets []int, losses []float32) {
	c := len(vocab)
	for _, x := range cells {
		for range x.count {
			row := make([]float32, c)
			for j := range row {
				row[j] = 0.1 / float32(c-1)
			}
			row[x.predicted] = 0.9
			probs = append(probs, row...)
			targets = append(targets, x.actual)
			losses = append(losses, -float32(logf(row[x.actual])))
		}
	}
	return probs, targets, losses
}

// The chapter's `interp.most_confused(min_val=5)` on predictions with the
// book's two largest confusions.
func ExampleClassificationInterpretation_MostConfused() {
	vocab := []string{"Birman", "Ragdoll", "american_pit_bull_terrier", "staffordshire_bull_terrier"}
	probs, targets, losses := synthetic(vocab, []cell{
		{0, 0, 20}, {1, 1, 20}, {2, 2, 20}, {3, 3, 20},
		{1, 0, 8},  // Ragdoll predicted as Birman
		{0, 1, 3},  // Birman predicted as Ragdoll
		{2, 3, 10}, // pit bull predicted as staffordshire
		{3, 2, 3},
	})
	ci, err := interp.FromPredictions(vocab, probs, targets, losses, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ci.MostConfused(5))
	fmt.Println(ci.MostConfused(1)) // the 3s tie: row-major (vocab) order
	// Output:
	// [('american_pit_bull_terrier', 'staffordshire_bull_terrier', 10),
	//  ('Ragdoll', 'Birman', 8)]
	// [('american_pit_bull_terrier', 'staffordshire_bull_terrier', 10),
	//  ('Ragdoll', 'Birman', 8),
	//  ('Birman', 'Ragdoll', 3),
	//  ('staffordshire_bull_terrier', 'american_pit_bull_terrier', 3)]
}

// Rows are the actual classes and columns the predicted ones, in vocab order.
func ExampleClassificationInterpretation_ConfusionMatrix() {
	vocab := []string{"cat", "dog", "fish"}
	probs := []float32{
		0.8, 0.1, 0.1, // cat → cat
		0.3, 0.6, 0.1, // cat → dog
		0.2, 0.7, 0.1, // dog → dog
		0.1, 0.1, 0.8, // dog → fish
		0.5, 0.2, 0.3, // fish → cat
		0.1, 0.2, 0.7, // fish → fish
		0.2, 0.2, 0.6, // fish → fish
	}
	targets := []int{0, 0, 1, 1, 2, 2, 2}
	losses := []float32{0.22, 1.20, 0.36, 2.30, 1.20, 0.36, 0.51}
	ci, err := interp.FromPredictions(vocab, probs, targets, losses, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, row := range ci.ConfusionMatrix() {
		fmt.Println(vocab[i], row)
	}
	fmt.Println(ci.TopLosses(3))
	for _, t := range ci.TopLosses(2) {
		fmt.Println(t.Title())
	}
	// Output:
	// cat [1 1 0]
	// dog [0 1 1]
	// fish [1 0 2]
	// torch.return_types.topk(
	// values=tensor([2.3000, 1.2000, 1.2000]),
	// indices=tensor([3, 1, 4]))
	// fish/dog / 2.30 / 0.80
	// dog/cat / 1.20 / 0.60
}
