package learner_test

import (
	"fmt"

	"github.com/fastgo-ml/fastgo/fastgo/learner"
)

// The values match Python's fastai combined_cos (checked with the same
// formulas in Python's math module).
func ExampleCombinedCos() {
	f := learner.CombinedCos(0.25, 1e-2/25, 1e-2, 1e-7)
	for i := 0; i <= 20; i += 4 {
		fmt.Printf("%.2f %.6e\n", float64(i)/20, f(float64(i)/20))
	}
	// Output:
	// 0.00 4.000000e-04
	// 0.20 9.083282e-03
	// 0.40 9.045095e-03
	// 0.60 5.522687e-03
	// 0.80 1.654430e-03
	// 1.00 1.000000e-07
}

// The schedule Examples print fastai's own test values (14_callback.schedule:
// test_close(L(map(sched, [0., 0.25, 0.5, 0.75, 1.])), …)) at a quarter of
// the way apart, to 5 significant digits.

func ExampleSchedLin() {
	f := learner.SchedLin(0, 2)
	fmt.Printf("%.5g %.5g %.5g %.5g %.5g\n", f(0), f(0.25), f(0.5), f(0.75), f(1))
	// Output: 0 0.5 1 1.5 2
}

func ExampleSchedCos() {
	f := learner.SchedCos(0, 2)
	fmt.Printf("%.5g %.5g %.5g %.5g %.5g\n", f(0), f(0.25), f(0.5), f(0.75), f(1))
	// Output: 0 0.29289 1 1.7071 2
}

func ExampleSchedNo() {
	f := learner.SchedNo(0, 2)
	fmt.Printf("%.5g %.5g %.5g %.5g %.5g\n", f(0), f(0.25), f(0.5), f(0.75), f(1))
	// Output: 0 0 0 0 0
}

func ExampleSchedExp() {
	f := learner.SchedExp(1, 2)
	fmt.Printf("%.5g %.5g %.5g %.5g %.5g\n", f(0), f(0.25), f(0.5), f(0.75), f(1))
	// Output: 1 1.1892 1.4142 1.6818 2
}

func ExampleSchedPoly() {
	f := learner.SchedPoly(0, 2, 2)
	fmt.Printf("%.5g %.5g %.5g %.5g %.5g\n", f(0), f(0.25), f(0.5), f(0.75), f(1))
	// Output: 0 0.125 0.5 1.125 2
}

// Three phases: 30% rising linearly, 20% flat, 50% down a cosine.
func ExampleCombineScheds() {
	f, err := learner.CombineScheds([]float64{0.3, 0.2, 0.5},
		[]learner.Schedule{learner.SchedLin(0, 1), learner.SchedNo(1, 1), learner.SchedCos(1, 0)})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range []float64{0, 0.15, 0.3, 0.4, 0.5, 0.7, 1} {
		fmt.Printf("%.5g ", f(p))
	}
	fmt.Println()
	// Output: 0 0.5 1 1 1 0.65451 0
}

// fastai's own test of combined_cos.
func ExampleCombinedCos_fastaiTest() {
	f := learner.CombinedCos(0.25, 0.5, 1, 0)
	for _, p := range []float64{0, 0.1, 0.25, 0.5, 1} {
		fmt.Printf("%.5g ", f(p))
	}
	fmt.Println()
	// Output: 0.5 0.67275 1 0.75 0
}
