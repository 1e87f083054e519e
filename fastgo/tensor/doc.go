// Package tensor is PyTorch-like eager tensors for notebook cells: small
// dense arrays computed at once in plain Go and printed as PyTorch prints
// them, for the chapter's cells that explain softmax, the log likelihood
// and cross-entropy on a handful of numbers.
//
//	acts := tensor.New([][]float64{{0.6734, 0.2576}, {0.4689, 0.4607}})
//	sm := acts.Exp().Div(acts.Exp().SumDim(1, true)) // exp(x)/exp(x).sum(dim=1, keepdim=True)
//	fmt.Println(sm)                                  // tensor([[0.6025, 0.3975], ...
//	targ := tensor.New([]int{0, 1})
//	fmt.Println(tensor.CrossEntropy(acts, targ, "mean"))
//	fmt.Println(tensor.Where(targ.Eq(tensor.New(1)), tensor.New(1.0).Sub(sm.Col(0)), sm.Col(0)))
//
// Float tensors hold float32 values (PyTorch's default dtype), index
// tensors int64, comparisons bool; element-wise operations broadcast as
// PyTorch's do. Errors (shapes that do not broadcast, an index out of
// range) are carried by the result instead of panicking, so a chain needs
// one check (Err) at its end.
//
// Training never uses this package: the learner's losses run inside the
// compiled GoMLX graph (package learner).
package tensor
