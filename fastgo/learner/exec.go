package learner

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// NewExec is model.NewExec for graphs that read a Store's variables: every
// graph it builds takes each variable as a parameter, fed with the
// variable's current value at every call. Every fastgo graph is built here.
//
// Why: a backend may advertise PreferConstantsForVariables (GoMLX's pure-Go
// backend does since github.com/gomlx/compute v0.1.14). GoMLX then embeds
// the value a variable had at compile time as a constant in every graph not
// marked as training, and a compiled graph is reused: validation, GetPreds
// and Predict would go on computing with the weights of their first call
// after any training step. GoMLX decides this from the store's training
// flag alone (Store.IsTraining), so NewExec sets that flag on every graph.
// The flag means nothing else in fastgo: a model's train/eval behaviour
// (batch norm's batch statistics or running averages) comes from the
// explicit train argument of [Model.Build], never from the store.
//
// Exported models read parameters too: constants would be correct for
// weights that never change, but measured no faster on the pure-Go backend.
//
// fn receives the root scope and the inputs given to Exec, in order, and
// returns the outputs. Errors are model.NewExec's (a nil store).
func NewExec(backend compute.Backend, store *model.Store, fn func(scope *model.Scope, inputs []*graph.Node) []*graph.Node) (*model.Exec, error) {
	return model.NewExec(backend, store, func(scope *model.Scope, g *graph.Graph, inputs []*graph.Node) []*graph.Node {
		store.SetTraining(g, true) // variables as parameters: see above
		return fn(scope, inputs)
	})
}
