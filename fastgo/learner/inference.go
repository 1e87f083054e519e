package learner

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// Inference is how a [Model]'s evaluation graphs — validation, GetPreds,
// Predict and what runs on them (cnn.Predictor, fastgo serve) — are built
// when they should not carry the training graph's structure: from weights
// derived once from the model's variables, such as batch norm folded into
// the convolution before it, rather than from the variables themselves.
//
// The learner runs Derive in a graph of its own whenever a variable Derive
// reads has changed since its last run (a training step, Load, a weight
// import: any Variable.SetValue), before the next evaluation, and keeps
// the results in a store of their own, on which Build's graphs run. So
// the derived weights are computed once per change of the weights, never
// per batch, and are never older than the variables. They are dropped
// when a training step starts (they would be stale, and training needs the
// memory). A value changed inside its tensor (tensors.MutableFlatData on
// Variable.Value) rather than set is not seen: set variables with
// SetValue.
type Inference struct {
	// Derive returns the inference weights computed from the model's
	// variables in scope (the store's root), keyed by variable path
	// ("/body/conv1/weight"). It creates or reads the variables as Build
	// does — same names, shapes, initializers and order — so that a fresh
	// model starts from the same weights whichever graph runs first.
	Derive func(scope *model.Scope, g *graph.Graph) map[string]*graph.Node
	// Build returns the logits [B, C] for the float32 images x [B,H,W,3]
	// (after the device transforms) in evaluation mode, reading the
	// derived weights in scope (the root of their store) by the paths
	// Derive gave them.
	Build func(scope *model.Scope, x *graph.Node) *graph.Node
}

// inferenceWeights is a learner's copy of its Model.Inference weights.
type inferenceWeights struct {
	store  *model.Store // the derived weights, which evaluation graphs read
	derive *model.Exec  // computes them from the learner's store
	names  []string     // derive's outputs, in order
	// sources are the variables derive reads, with the values it last
	// read (nil before its first run and after drop).
	sources []source
	// runs counts derive's runs (tests).
	runs int
}

type source struct {
	v    *model.Variable
	seen *tensors.Tensor
}

// inferenceStore returns the store the evaluation graphs read: the
// learner's own, or, for a model with Inference, the derived weights,
// derived again first if a variable they come from changed. The caller
// holds l.mu.
func (l *Learner) inferenceStore() (*model.Store, error) {
	inf := l.Model.Inference
	if inf == nil {
		return l.store, nil
	}
	if l.infer == nil {
		w := &inferenceWeights{store: model.NewStore()}
		e, err := model.NewExec(l.backend, l.store, func(scope *model.Scope, g *graph.Graph) []*graph.Node {
			l.store.SetTraining(g, true) // variables as parameters: see NewExec
			derived := inf.Derive(scope, g)
			w.names = w.names[:0]
			for name := range derived {
				w.names = append(w.names, name)
			}
			slices.Sort(w.names)
			outs := make([]*graph.Node, len(w.names))
			for i, name := range w.names {
				outs[i] = derived[name]
			}
			w.sources = w.sources[:0]
			for v := range l.store.IterVariables() {
				if v.InUseByGraph(g) {
					w.sources = append(w.sources, source{v: v})
				}
			}
			l.checkFileVars()
			l.classify(l.frozenIdx)
			return outs
		})
		if err != nil {
			return nil, err
		}
		w.derive = e
		l.infer = w
	}
	w := l.infer
	if w.current() {
		return w.store, nil
	}
	out, err := callExec(w.derive, nil)
	if err != nil {
		if l.buildErr != nil { // checkFileVars' refusal: built, and checked, again next time
			err, l.buildErr, l.infer = l.buildErr, nil, nil
			return nil, err
		}
		return nil, fmt.Errorf("deriving the inference weights: %w", err)
	}
	w.runs++
	for i, name := range w.names {
		if v := w.store.GetVariable(name); v != nil {
			if err := v.SetValue(out[i]); err != nil {
				return nil, err
			}
		} else if v, err = w.store.CreateVariable(name, out[i]); err != nil {
			return nil, err
		} else {
			v.SetTrainable(false)
		}
	}
	for i := range w.sources {
		if w.sources[i].seen, err = w.sources[i].v.Value(); err != nil {
			return nil, err
		}
	}
	return w.store, nil
}

// current says whether the derived weights were computed from the values
// their variables hold now.
func (w *inferenceWeights) current() bool {
	if len(w.sources) == 0 || w.sources[0].seen == nil {
		return false
	}
	for _, s := range w.sources {
		if v, err := s.v.Value(); err != nil || v != s.seen {
			return false
		}
	}
	return true
}

// dropInference frees the derived weights (a training step is about to
// change what they come from); the next evaluation derives them again.
// The caller holds l.mu.
func (l *Learner) dropInference() {
	w := l.infer
	if w == nil || len(w.sources) == 0 || w.sources[0].seen == nil {
		return
	}
	for v := range w.store.IterVariables() {
		_ = v.Reset()
	}
	for i := range w.sources {
		w.sources[i].seen = nil
	}
}
