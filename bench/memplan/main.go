// Command memplan estimates where a ResNet training step's memory goes on
// the pure-Go backend: it builds the step's graph (body, global pool,
// linear head, cross-entropy, gradients of every trainable variable; no
// optimizer), replays it in creation order — the order of GoMLX's nodes,
// which the backend's sequential executor follows with creation_order — and
// frees each tensor after its last reader, as the backend does. It prints
// the peak of the live tensors (variables excluded), when it happens, and
// the largest tensors alive then, grouped by the operation that wrote them.
//
//	go run ./bench/memplan -arch resnet18 -size 224 -bs 16
//
// The backend's real peak is higher: its buffer pools round sizes up (to 2
// significant bits) and keep freed buffers for reuse, and the parallel
// executor runs nodes as soon as they are ready, not in creation order.
// The plan shows what the graph itself asks for.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/fastgo-ml/fastgo/fastgo/backend"
	"github.com/fastgo-ml/fastgo/fastgo/learner"
	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
	"github.com/fastgo-ml/fastgo/internal/ops"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

var errPlanned = errors.New("planned")

func main() {
	archName := flag.String("arch", "resnet18", "resnet18, resnet34 or resnet50")
	size := flag.Int("size", 224, "image side in pixels")
	bs := flag.Int("bs", 16, "batch size")
	top := flag.Int("top", 15, "groups of live tensors to list at the peak")
	flag.Parse()
	if err := run(*archName, *size, *bs, *top); err != nil {
		fmt.Fprintln(os.Stderr, "bench/memplan:", err)
		os.Exit(1)
	}
}

func run(archName string, size, bs, top int) error {
	arch, err := models.ArchByName(archName)
	if err != nil {
		return err
	}
	be, err := compute.NewWithConfig(backend.GoConfig)
	if err != nil {
		return err
	}
	store := model.NewStore()
	exec, err := learner.NewExec(be, store, func(scope *model.Scope, in []*graph.Node) []*graph.Node {
		g := in[0].Graph()
		feats := ops.AdaptiveAvgPool1x1(arch.Body(scope.In("body"), in[0], true))
		w := scope.In("fc").WithInitializer(ops.KaimingNormal(scope, false)).
			VariableWithShape("weight", shapes.Make(dtypes.Float32, 37, feats.Shape().Dim(1))).NodeValue(g)
		logits := ops.Linear(feats, w)
		onehot := graph.OneHot(in[1], 37, dtypes.Float32)
		loss := graph.Neg(graph.ReduceAllMean(graph.ReduceSum(graph.Mul(onehot, graph.LogSoftmax(logits, -1)), -1)))
		var vars []*graph.Node
		for v := range store.IterVariables() {
			if v.Trainable {
				vars = append(vars, v.NodeValue(g))
			}
		}
		outs := append([]*graph.Node{loss}, graph.Gradient(loss, vars...)...)
		plan(g, outs, top)
		panic(errPlanned)
	})
	if err != nil {
		return err
	}
	x := make([]float32, bs*size*size*3)
	_, err = exec.Exec(tensors.FromFlatDataAndDimensions(x, bs, size, size, 3), make([]int32, bs))
	if err != nil && !strings.Contains(err.Error(), errPlanned.Error()) {
		return err
	}
	return nil
}

// plan replays g in creation order and prints its peak of live tensors.
func plan(g *graph.Graph, outs []*graph.Node, top int) {
	nodes := g.Nodes()
	root := make(map[*graph.Node]*graph.Node) // reshapes alias their input's buffer
	rootOf := func(n *graph.Node) *graph.Node {
		for {
			r, ok := root[n]
			if !ok {
				return n
			}
			n = r
		}
	}
	uses := make(map[*graph.Node]int)
	for _, n := range nodes {
		if n.Type() == graph.NodeTypeReshape {
			root[n] = n.Inputs()[0]
		}
	}
	for _, n := range nodes {
		for _, in := range n.Inputs() {
			uses[rootOf(in)]++
		}
	}
	for _, o := range outs {
		uses[rootOf(o)] += 1 << 20 // outputs stay
	}
	isParam := func(n *graph.Node) bool {
		return n.Type() == graph.NodeTypeParameter || n.Type() == graph.NodeTypeConstant
	}
	live := make(map[*graph.Node]int64)
	var cur, peak int64
	var peakAt int
	var peakSet map[*graph.Node]int64
	for i, n := range nodes {
		if n.Type() != graph.NodeTypeReshape && !isParam(n) && n.NumOutputs() == 1 {
			b := int64(n.Shape().ByteSize())
			live[n] = b
			cur += b
		}
		if os.Getenv("MEMPLAN_TRACE") != "" && i%250 == 0 {
			fmt.Printf("node %d (%s): %.0f MiB live\n", i, n.Type(), float64(cur)/(1<<20))
		}
		if cur > peak {
			peak, peakAt = cur, i
			peakSet = make(map[*graph.Node]int64, len(live))
			for k, v := range live {
				peakSet[k] = v
			}
		}
		for _, in := range n.Inputs() {
			r := rootOf(in)
			uses[r]--
			if uses[r] == 0 {
				cur -= live[r]
				delete(live, r)
			}
		}
		if uses[rootOf(n)] == 0 && live[n] > 0 { // never read
			cur -= live[n]
			delete(live, n)
		}
	}
	fmt.Printf("graph: %d nodes; peak of live tensors %.0f MiB at node %d of %d (%s)\n",
		len(nodes), float64(peak)/(1<<20), peakAt, len(nodes), nodes[peakAt].Type())
	type group struct {
		key   string
		bytes int64
		count int
	}
	groups := map[string]*group{}
	for n, b := range peakSet {
		key := n.Type().String()
		if a := n.GetAlias(); a != "" {
			key += " " + strings.SplitN(strings.TrimPrefix(a, "/fastgo.ops."), "/", 2)[0]
		}
		gr := groups[key]
		if gr == nil {
			gr = &group{key: key}
			groups[key] = gr
		}
		gr.bytes += b
		gr.count++
	}
	var list []*group
	for _, gr := range groups {
		list = append(list, gr)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].bytes > list[j].bytes })
	fmt.Println("live at the peak, by the operation that wrote them:")
	for i, gr := range list {
		if i == top {
			break
		}
		fmt.Printf("  %8.1f MiB  %4d × %s\n", float64(gr.bytes)/(1<<20), gr.count, gr.key)
	}
}
