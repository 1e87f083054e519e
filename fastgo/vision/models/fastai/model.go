package fastai

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
	tf "github.com/fastgo-ml/fastgo/internal/torchfile"
)

// Model is a fastai vision learner's model, nn.Sequential(body, head),
// recognised as the network fastgo builds for it: a [models.Arch] body and
// a [models.HeadSpec] head.
type Model struct {
	// Arch is the body: models.ResNet18, ResNet34 or ResNet50, Scaled when
	// its stem is narrower than 64 channels (test models: "resnet18-w2").
	Arch models.Arch
	// Head is the head's layout: hidden width, and biases in its Linear
	// layers (fastai 1's head).
	Head models.HeadSpec
	// Classes is the number of outputs.
	Classes int
	// Dropout is the two Dropout layers' probabilities (fastai: ps/2, ps)
	// when the file records them: an export does, learn.save does not
	// (zeros). They change training only, never predictions.
	Dropout [2]float64
	// Weights holds the tensors, in PyTorch's layout, by their keys in
	// learn.model.state_dict() ("0.4.0.conv1.weight" in the body,
	// "1.2.running_mean" in the head; see models.LearnerStateDict); integer
	// buffers (num_batches_tracked) are not kept.
	Weights map[string]models.StateTensor
	// Keys lists Weights' keys in the file's order.
	Keys []string
}

// refusedResNets are torchvision's ResNets fastgo does not build,
// recognised to name them in the refusal.
var refusedResNets = []struct {
	name   string
	layers [4]int
}{{"resnet101", [4]int{3, 4, 23, 3}}, {"resnet152", [4]int{3, 8, 36, 3}}}

// builtNames lists the architectures fastgo builds, for messages.
func builtNames() string {
	var names []string
	for _, a := range models.Archs() {
		names = append(names, a.Name)
	}
	return strings.Join(names, ", ")
}

// recognize finds the model a state dict holds — a torchvision ResNet body
// and fastai's head — from its keys and shapes, and checks every tensor
// against it: nothing missing, unexpected or of another shape. file names
// the file in errors.
func recognize(file string, shapes map[string][]int, keys []string) (Model, error) {
	unsupported := func(where, class, why string) error {
		return &UnsupportedError{File: file, Where: where, Class: class, Why: why}
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "0.") && !strings.HasPrefix(k, "1.") {
			return Model{}, unsupported("state dict", k, "not a key of nn.Sequential(body, head) as fastai's vision_learner builds it (another kind of model?)")
		}
	}
	stem, ok := shapes["0.0.weight"]
	if !ok || len(stem) != 4 || stem[2] != 7 || stem[3] != 7 {
		return Model{}, unsupported("model[0]", "0.0.weight", "the body does not start with ResNet's 7×7 convolution: another architecture (fastgo builds torchvision's "+builtNames()+")")
	}
	if stem[1] != 3 {
		return Model{}, unsupported("model[0][0]", "0.0.weight", fmt.Sprintf("the model takes %d input channels (n_in=%d); fastgo's ResNets take RGB images", stem[1], stem[1]))
	}
	width := stem[0]
	_, bottleneck := shapes["0.4.0.conv3.weight"]
	var layers [4]int
	for s := range 4 {
		for {
			if _, ok := shapes[fmt.Sprintf("0.%d.%d.conv1.weight", 4+s, layers[s])]; !ok {
				break
			}
			layers[s]++
		}
	}
	var m Model
	found := false
	for _, a := range models.Archs() {
		if a.Bottleneck() == bottleneck && a.Layers() == layers {
			m.Arch, found = a, true
		}
	}
	if !found {
		for _, r := range refusedResNets {
			if bottleneck && r.layers == layers {
				return Model{}, unsupported("model[0]", r.name, "fastgo builds "+builtNames()+", not "+r.name)
			}
		}
		return Model{}, unsupported("model[0]", fmt.Sprintf("a residual body with blocks %v", layers),
			"not one of torchvision's ResNets (fastgo builds "+builtNames()+")")
	}
	if width != m.Arch.Width() {
		m.Arch = m.Arch.Scaled(width)
	}
	// The head: its first BatchNorm says its input, its Linears the rest.
	in := first(shapes["1."+models.HeadBN1+".weight"])
	lin1, lin2 := shapes["1."+models.HeadLinear1+".weight"], shapes["1."+models.HeadLinear2+".weight"]
	if len(lin1) == 2 {
		m.Head.Hidden = lin1[0]
	}
	if len(lin2) == 2 {
		m.Classes = lin2[0]
	}
	_, m.Head.Bias = shapes["1."+models.HeadLinear1+".bias"]
	nf := m.Arch.NumFeatures()
	if in != 2*nf || m.Head.Hidden == 0 || m.Classes == 0 {
		return Model{}, unsupported("model[1]", headKeys(keys), fmt.Sprintf(
			"not fastai's default head for %d features (AdaptiveConcatPool2d, Flatten, BatchNorm1d(%d), Dropout, Linear, ReLU, BatchNorm1d, Dropout, Linear)",
			nf, 2*nf))
	}
	if err := m.checkShapes(file, shapes, keys); err != nil {
		return Model{}, err
	}
	return m, nil
}

// checkShapes compares the state dict with the model's: every tensor
// present with its shape, nothing else but num_batches_tracked counters.
func (m Model) checkShapes(file string, shapes map[string][]int, keys []string) error {
	var problems []string
	expected := map[string]bool{}
	for _, s := range models.LearnerStateDict(m.Arch, m.Head, m.Classes) {
		expected[s.Key] = true
		got, ok := shapes[s.Key]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("missing %s %v", s.Key, s.Shape))
		case !slices.Equal(got, s.Shape):
			problems = append(problems, fmt.Sprintf("%s has shape %v, want %v", s.Key, got, s.Shape))
		}
	}
	for _, k := range keys {
		if !expected[k] && !strings.HasSuffix(k, ".num_batches_tracked") {
			problems = append(problems, "unexpected "+k+fmt.Sprint(shapes[k]))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	const show = 6
	msg := strings.Join(problems[:min(show, len(problems))], "; ")
	if len(problems) > show {
		msg += fmt.Sprintf("; and %d more", len(problems)-show)
	}
	return &UnsupportedError{File: file, Where: "state dict", Class: m.Arch.Name + " with fastai's head",
		Why: "the tensors do not match it (another architecture or head layout?): " + msg}
}

func first(s []int) int {
	if len(s) == 0 {
		return 0
	}
	return s[0]
}

// headKeys summarises the head's keys for an error message.
func headKeys(keys []string) string {
	var hs []string
	for _, k := range keys {
		if strings.HasPrefix(k, "1.") && !strings.HasSuffix(k, "num_batches_tracked") {
			hs = append(hs, k)
		}
	}
	if len(hs) > 8 {
		hs = append(hs[:8], "…")
	}
	return "a head with " + strings.Join(hs, ", ")
}

// stateDict collects the tensors of a state dict (a dict of tensors) in
// the file's order.
func stateDict(file string, v any) (map[string]*tf.Tensor, []string, error) {
	entries, ok := tf.Entries(v)
	if _, isObject := v.(*tf.Object); !ok || isObject {
		return nil, nil, fmt.Errorf("%s: the state dict is a %s, not a dict of tensors", file, tf.ClassName(v))
	}
	out := make(map[string]*tf.Tensor, len(entries))
	keys := make([]string, 0, len(entries))
	for _, e := range entries {
		k, ok := e.Key.(string)
		if !ok {
			return nil, nil, fmt.Errorf("%s: state dict key %v is not a string", file, e.Key)
		}
		t, ok := e.Value.(*tf.Tensor)
		if !ok {
			return nil, nil, fmt.Errorf("%s: state dict entry %q is a %s, not a tensor", file, k, tf.ClassName(e.Value))
		}
		out[k] = t
		keys = append(keys, k)
	}
	return out, keys, nil
}

// buildModel recognises the model of a state dict and copies its weights.
func buildModel(file string, sd map[string]*tf.Tensor, keys []string) (Model, error) {
	shapes := make(map[string][]int, len(sd))
	for k, t := range sd {
		shapes[k] = t.Shape
	}
	m, err := recognize(file, shapes, keys)
	if err != nil {
		return Model{}, err
	}
	m.Weights = make(map[string]models.StateTensor, len(keys))
	for _, k := range keys {
		if strings.HasSuffix(k, ".num_batches_tracked") {
			continue
		}
		data, err := sd[k].Float32()
		if err != nil {
			return Model{}, fmt.Errorf("%s: tensor %s: %w", file, k, err)
		}
		m.Weights[k] = models.StateTensor{Shape: sd[k].Shape, Data: data}
		m.Keys = append(m.Keys, k)
	}
	return m, nil
}
