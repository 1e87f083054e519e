package models

import (
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/ml/model"
)

// A CNN learner's network is fastai's nn.Sequential(body, head): in
// PyTorch, learn.model.state_dict() names the body's tensors "0.<i>.…",
// where i is the torchvision child's index (conv1 0, bn1 1, layer1…layer4
// 4…7), and the head's "1.<i>.…" (see [HeadSpec.Build]). fastgo keeps the
// same tensors as variables "/body/<torchvision path>" and "/head/<i>/…".
// These functions translate between the two, for weights that come from
// fastai (learn.save, learn.export) or go to other tools (ONNX).

// bodyChildren are the body's torchvision children with weights, by their
// index in fastai's body (create_body's nn.Sequential of the children).
var bodyChildren = map[string]string{"0": "conv1", "1": "bn1", "4": "layer1", "5": "layer2", "6": "layer3", "7": "layer4"}

// LearnerKey maps a variable path of a CNN learner's store
// ("/body/layer1/0/conv1/weight", "/head/4/weight") to the key of the
// same tensor in fastai's learn.model.state_dict() ("0.4.0.conv1.weight",
// "1.4.weight"); ok is false for variables outside the network (the
// optimizer's state, the random generator's).
func LearnerKey(path string) (key string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) < 2 {
		return "", false
	}
	switch parts[0] {
	case BodyScope:
		for i, name := range bodyChildren {
			if parts[1] == name {
				return "0." + i + "." + strings.Join(parts[2:], "."), len(parts) > 2
			}
		}
	case HeadScope:
		return "1." + strings.Join(parts[1:], "."), true
	}
	return "", false
}

// LearnerVariablePath is [LearnerKey]'s inverse: the variable path, from
// the store's root, of a learn.model.state_dict() key ("0.4.0.conv1.weight"
// → "/body/layer1/0/conv1/weight"); ok is false for keys outside
// nn.Sequential(body, head).
func LearnerVariablePath(key string) (path string, ok bool) {
	part, rest, _ := strings.Cut(key, ".")
	switch part {
	case "0":
		child, tail, found := strings.Cut(rest, ".")
		name, known := bodyChildren[child]
		if !found || !known {
			return "", false
		}
		return "/" + BodyScope + "/" + name + "/" + VariablePath(tail), true
	case "1":
		if rest == "" {
			return "", false
		}
		return "/" + HeadScope + "/" + VariablePath(rest), true
	}
	return "", false
}

// LearnerStateDict lists learn.model.state_dict() of fastai's
// nn.Sequential(arch's body, head) for nClasses outputs — the body's
// tensors ([Arch.StateDict]) under "0.", the head's ([HeadSpec.StateDict])
// under "1." — in PyTorch's order, without num_batches_tracked.
func LearnerStateDict(arch Arch, head HeadSpec, nClasses int) []TensorSpec {
	var specs []TensorSpec
	for _, s := range arch.StateDict() {
		top, rest, _ := strings.Cut(s.Key, ".")
		for i, name := range bodyChildren {
			if name == top {
				specs = append(specs, TensorSpec{"0." + i + "." + rest, s.Shape})
			}
		}
	}
	for _, s := range head.StateDict(arch.NumFeatures(), nClasses) {
		specs = append(specs, TensorSpec{"1." + s.Key, s.Shape})
	}
	return specs
}

// AssignLearnerState copies the weights of a fastai learner's model — sd,
// keyed as learn.model.state_dict() (see [LearnerStateDict]), keys in the
// file's order — into the variables of a CNN learner's store whose network
// is arch's body and head with nClasses outputs, creating them or
// overwriting their values (convolution kernels OIHW → OHWI). It checks
// the whole state dict first and changes nothing when a tensor is missing,
// unexpected (num_batches_tracked counters are skipped) or of another
// shape; the error lists them.
func AssignLearnerState(store *model.Store, arch Arch, head HeadSpec, nClasses int, sd map[string]StateTensor, keys []string) (LoadReport, error) {
	pathOf := func(key string) string {
		p, _ := LearnerVariablePath(key)
		return strings.TrimPrefix(p, "/")
	}
	want := LearnerStateDict(arch, head, nClasses)
	report, err := assignChecked(store.RootScope(), want, sd, keys, pathOf,
		func(k string) bool { return strings.HasSuffix(k, ".num_batches_tracked") })
	if err != nil {
		return report, fmt.Errorf("the weights are not those of %s with %s and %d classes: %w", arch.Name, head, nClasses, err)
	}
	return report, nil
}
