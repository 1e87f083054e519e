package models

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// TestStateDictMatchesTorchvision pins the key counts and parameter counts
// of torchvision's resnet18/34/50 (len(model.state_dict()) minus the
// num_batches_tracked counters and fc.*; sum of parameter sizes minus fc).
func TestStateDictMatchesTorchvision(t *testing.T) {
	for _, c := range []struct {
		arch         Arch
		keys, params int
		nf           int
	}{
		{ResNet18, 122 - 20 - 2, 11_689_512 - 513_000, 512},
		{ResNet34, 218 - 36 - 2, 21_797_672 - 513_000, 512},
		{ResNet50, 320 - 53 - 2, 25_557_032 - 2_049_000, 2048},
	} {
		specs := c.arch.StateDict()
		params := 0
		for _, s := range specs {
			if strings.HasSuffix(s.Key, "running_mean") || strings.HasSuffix(s.Key, "running_var") {
				continue
			}
			n := 1
			for _, d := range s.Shape {
				n *= d
			}
			params += n
		}
		if len(specs) != c.keys || params != c.params || c.arch.NumFeatures() != c.nf {
			t.Errorf("%s: %d keys, %d parameters, %d features; want %d, %d, %d",
				c.arch, len(specs), params, c.arch.NumFeatures(), c.keys, c.params, c.nf)
		}
	}
	if specs := ResNet50.StateDict(); specs[5].Key != "layer1.0.conv1.weight" || !slices.Equal(specs[10].Shape, []int{64, 64, 3, 3}) {
		t.Errorf("resnet50 layer1.0: %v %v", specs[5], specs[10])
	}
}

// TestBodyVariablesAreTheStateDict builds each body (narrowed) and checks
// that its variables are exactly the state dict's keys under VariablePath,
// with kernels in OHWI.
func TestBodyVariablesAreTheStateDict(t *testing.T) {
	for _, arch := range []Arch{ResNet18.Scaled(2), ResNet34.Scaled(2), ResNet50.Scaled(2)} {
		t.Run(arch.Name, func(t *testing.T) {
			store := model.NewStore()
			x := tensors.FromShape(shapesOf(1, 32, 32, 3))
			y := model.MustCallOnce(modelTestBackend(), store, func(scope *model.Scope, x *graph.Node) *graph.Node {
				return arch.Body(scope.In(BodyScope), x, false)
			}, x)
			if want := []int{1, 1, 1, arch.NumFeatures()}; !slices.Equal(y.Shape().Dimensions, want) {
				t.Errorf("output %s, want %v", y.Shape(), want)
			}
			bodyKey := func(path string) (string, bool) {
				p, ok := strings.CutPrefix(path, "/"+BodyScope+"/")
				return TorchKey(p), ok
			}
			checkVariablesAre(t, store, bodyKey, arch.StateDict())
		})
	}
}

// checkVariablesAre checks that the store's variables, named by key (false:
// not compared), are exactly specs, kernels OHWI in the store and OIHW in
// specs.
func checkVariablesAre(t *testing.T, store *model.Store, key func(path string) (string, bool), specs []TensorSpec) {
	t.Helper()
	var got, want []string
	for v := range store.IterVariables() {
		if k, ok := key(v.Path()); ok {
			got = append(got, fmt.Sprintf("%s %v", k, v.Shape().Dimensions))
		}
	}
	for _, s := range specs {
		dims := s.Shape
		if len(dims) == 4 {
			dims = []int{dims[0], dims[2], dims[3], dims[1]}
		}
		want = append(want, fmt.Sprintf("%s %v", s.Key, dims))
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("variables differ from the state dict:\n got %v\nwant %v", got, want)
	}
}

func TestVariablePathRoundTrip(t *testing.T) {
	for _, k := range []string{"conv1.weight", "layer1.0.conv1.weight", "layer4.1.downsample.1.running_var"} {
		p := VariablePath(k)
		if strings.Contains(p, ".") || TorchKey(p) != k || TorchKey("/"+p) != k {
			t.Errorf("%q → %q → %q", k, p, TorchKey(p))
		}
	}
}

func TestParamGroup(t *testing.T) {
	for p, want := range map[string]int{
		"/body/conv1/weight": 0, "/body/bn1/bias": 0, "/body/layer1/0/conv1/weight": 0,
		"/body/layer2/1/bn2/weight": 0, "/body/layer3/0/downsample/0/weight": 1,
		"/body/layer4/2/conv3/weight": 1, "/head/4/weight": 2, "/head/2/bias": 2,
	} {
		if got := ResNet50.ParamGroup(p); got != want {
			t.Errorf("ParamGroup(%q) = %d, want %d", p, got, want)
		}
	}
}

// TestTrainStepLearns checks the whole training path (im2col gradients, BN
// statistics, the custom weight gradient) by fitting a tiny body on one batch.
func TestTrainStepLearns(t *testing.T) {
	exec, store := trainStep(t, ResNet18.Scaled(2), 3)
	var first, last float32
	for i := range 15 {
		// The same batch every step (a step owns its inputs: make fresh ones).
		rng := rand.New(rand.NewPCG(7, 7))
		x, y := randomBatch(rng, 4, 32, 3)
		loss := exec.MustCall(x, y)[0].Value().(float32)
		if i == 0 {
			first = loss
		}
		last = loss
	}
	if !(last < first/2) {
		t.Errorf("loss went from %g to %g in 15 steps, want it at least halved", first, last)
	}
	if rm := store.GetVariable("/body/bn1/running_mean").MustValue().Value().([]float32); rm[0] == 0 {
		t.Errorf("running_mean not updated in training: %v", rm)
	}
}

func ExampleVariablePath() {
	fmt.Println(VariablePath("layer1.0.downsample.0.weight"))
	fmt.Println(TorchKey("layer1/0/downsample/0/weight"))
	fmt.Println(ResNet34.File(), ResNet34.NumFeatures(), len(ResNet34.StateDict()))
	// Output:
	// layer1/0/downsample/0/weight
	// layer1.0.downsample.0.weight
	// resnet34-b627a593.pth 512 180
}

// TestBodyAndHeadReuseTheirScope builds the same scopes into two graphs, as
// a learner does for training and evaluation.
func TestBodyAndHeadReuseTheirScope(t *testing.T) {
	arch := ResNet18.Scaled(1)
	store := model.NewStore()
	body, head := store.RootScope().In(BodyScope), store.RootScope().In(HeadScope)
	x := tensors.FromShape(shapesOf(2, 32, 32, 3))
	for _, train := range []bool{true, false} {
		model.MustCallOnce(modelTestBackend(), store, func(_ *model.Scope, x *graph.Node) *graph.Node {
			return Head(head, arch.Body(body, x, train), 3, train)
		}, x)
	}
}
