package models

import (
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func fastaiFile(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "testdata", "fastai", name)
}

// buildLearnerNetwork builds arch's body and head as cnn.Learner does
// (scopes "body" and "head") and returns the store.
func buildLearnerNetwork(t *testing.T, arch Arch, head HeadSpec, nClasses int) *model.Store {
	t.Helper()
	store := model.NewStore()
	x := tensors.FromShape(shapesOf(2, 32, 32, 3))
	y := model.MustCallOnce(modelTestBackend(), store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		return head.Build(scope.In(HeadScope), arch.Body(scope.In(BodyScope), x, false), nClasses, false)
	}, x)
	if want := []int{2, nClasses}; !slices.Equal(y.Shape().Dimensions, want) {
		t.Fatalf("output %s, want %v", y.Shape(), want)
	}
	return store
}

// The network's variables, named by LearnerKey, are exactly
// LearnerStateDict (kernels OHWI in the store, OIHW in PyTorch), and
// LearnerVariablePath finds each again.
func TestLearnerStateDictIsTheNetworksVariables(t *testing.T) {
	for _, c := range []struct {
		arch Arch
		head HeadSpec
	}{{ResNet18.Scaled(2), DefaultHead}, {ResNet50.Scaled(1), HeadSpec{Hidden: 24, Bias: true}}} {
		t.Run(c.arch.Name+" "+c.head.String(), func(t *testing.T) {
			store := buildLearnerNetwork(t, c.arch, c.head, 5)
			key := func(path string) (string, bool) {
				k, ok := LearnerKey(path)
				if back, _ := LearnerVariablePath(k); ok && back != path {
					t.Errorf("LearnerVariablePath(%q) = %q, want %q", k, back, path)
				}
				return k, ok
			}
			checkVariablesAre(t, store, key, LearnerStateDict(c.arch, c.head, 5))
		})
	}
}

func TestLearnerKeys(t *testing.T) {
	for path, key := range map[string]string{
		"/body/conv1/weight":                       "0.0.weight",
		"/body/bn1/running_var":                    "0.1.running_var",
		"/body/layer1/0/conv1/weight":              "0.4.0.conv1.weight",
		"/body/layer4/0/downsample/1/running_mean": "0.7.0.downsample.1.running_mean",
		"/head/8/weight":                           "1.8.weight",
		"/head/4/bias":                             "1.4.bias",
	} {
		if got, ok := LearnerKey(path); !ok || got != key {
			t.Errorf("LearnerKey(%q) = %q, %v; want %q", path, got, ok, key)
		}
		if got, ok := LearnerVariablePath(key); !ok || got != path {
			t.Errorf("LearnerVariablePath(%q) = %q, %v; want %q", key, got, ok, path)
		}
	}
	for _, path := range []string{"/#rngState", "/_opt/body/conv1/weight/m", "/body", "/body/fc/weight"} {
		if key, ok := LearnerKey(path); ok {
			t.Errorf("LearnerKey(%q) = %q, want none", path, key)
		}
	}
	for _, key := range []string{"fc.weight", "0.2.weight", "2.0.weight", "1", "0.9.0.conv1.weight"} {
		if path, ok := LearnerVariablePath(key); ok {
			t.Errorf("LearnerVariablePath(%q) = %q, want none", key, path)
		}
	}
}

// The failing file: a fastai 1 learn.save (legacy format, numpy
// scalars in the optimizer's state) reads as its model's state dict, and
// AssignLearnerState puts it into a store, its head with biases.
func TestReadStateDictFastaiV1LearnSave(t *testing.T) {
	file := fastaiFile("resnet34_save_v1.pth")
	sd, keys, err := ReadStateDict(file)
	if err != nil {
		t.Fatal(err)
	}
	if keys[0] != "0.0.weight" || sd["1.8.bias"].Data == nil {
		t.Fatalf("keys from %q, 1.8.bias %v: want the model's state dict", keys[0], sd["1.8.bias"].Shape)
	}
	arch := ResNet34.Scaled(1)
	head := HeadSpec{Hidden: sd["1.4.weight"].Shape[0], Bias: true}
	store := model.NewStore()
	report, err := AssignLearnerState(store, arch, head, 2, sd, keys)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(LearnerStateDict(arch, head, 2)); report.Tensors != want || store.NumVariables() != want {
		t.Errorf("%d tensors, %d variables; want %d", report.Tensors, store.NumVariables(), want)
	}
	w := tensors.MustCopyFlatData[float32](store.GetVariable("/head/8/bias").MustValue())
	if !slices.Equal(w, sd["1.8.bias"].Data) {
		t.Errorf("/head/8/bias = %v, want %v", w, sd["1.8.bias"].Data)
	}
	// Without biases the same file is refused, and nothing is assigned.
	store = model.NewStore()
	_, err = AssignLearnerState(store, arch, HeadSpec{Hidden: head.Hidden}, 2, sd, keys)
	if err == nil || !strings.Contains(err.Error(), "unexpected 1.4.bias") || store.NumVariables() != 0 {
		t.Errorf("error %v with %d variables, want unexpected 1.4.bias and none", err, store.NumVariables())
	}
}

func TestArchByNameScaled(t *testing.T) {
	a, err := ArchByName("resnet50-w2")
	if err != nil || a.Name != "resnet50-w2" || a.Width() != 2 || !a.Bottleneck() || a.NumFeatures() != 64 {
		t.Errorf("ArchByName(resnet50-w2) = %v (width %d), %v", a, a.Width(), err)
	}
	for _, bad := range []string{"resnet50-w", "resnet50-w0", "resnet50-w02", "resnet101", "vgg16-w2"} {
		if _, err := ArchByName(bad); err == nil {
			t.Errorf("ArchByName(%q) accepted", bad)
		}
	}
}
