package fastai

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	tf "github.com/fastgo-ml/fastgo/internal/torchfile"
)

// ResNet is a torchvision ResNet body as fastai's vision_learner cuts it
// (the children before avgpool and fc), recognised from a state dict's
// keys and shapes.
type ResNet struct {
	// Name is torchvision's name ("resnet34"); a stem narrower than 64
	// channels (test models) adds "-w<width>" ("resnet18-w2").
	Name string
	// Bottleneck is true for Bottleneck blocks (ResNet50), false for
	// BasicBlocks (ResNet18/34).
	Bottleneck bool
	// Layers is the number of blocks of each stage (layer1…layer4).
	Layers [4]int
	// Width is the stem's channel count (64 in torchvision's models).
	Width int
}

// Features is the number of channels of the body's output: 512 for
// ResNet18/34, 2048 for ResNet50.
func (r ResNet) Features() int {
	if r.Bottleneck {
		return 32 * r.Width
	}
	return 8 * r.Width
}

// Head is fastai's classifier head as create_head builds it with concat
// pooling (fastai.layers.AdaptiveConcatPool2d, then Flatten) and one
// hidden layer: BatchNorm1d(In) → Dropout → Linear(In, Hidden) → ReLU →
// BatchNorm1d(Hidden) → Dropout → Linear(Hidden, Classes), with the
// learner's module indices 2, 3, 4, 5, 6, 7, 8.
type Head struct {
	// In is the input width, twice the body's channels (max and mean).
	In int
	// Hidden is the hidden layer's width (fastai's default lin_ftrs: 512).
	Hidden int
	// Classes is the number of outputs.
	Classes int
	// Bias is true when the Linear layers have biases: fastai v1's head
	// (bn_drop_lin); fastai v2's LinBnDrop has none after a BatchNorm.
	Bias bool
	// Dropout is the two Dropout layers' probabilities (fastai: ps/2, ps),
	// when the file records them (an export does, learn.save does not).
	Dropout [2]float64
}

// Weight is one tensor of the model, row-major, as float32 (float16,
// bfloat16 and float64 weights are converted); integer buffers
// (num_batches_tracked) are not kept.
type Weight struct {
	Shape []int
	Data  []float32
}

// Model is a fastai vision learner's model, nn.Sequential(body, head).
type Model struct {
	Body ResNet
	Head Head
	// Weights holds the tensors by the learner's state-dict keys
	// ("0.4.0.conv1.weight" in the body, "1.2.running_mean" in the head).
	Weights map[string]Weight
	// Keys lists Weights' keys in the file's order.
	Keys []string
}

// BodyKey maps a body key of the learner ("0.4.0.conv1.weight") to
// torchvision's ("layer1.0.conv1.weight"); ok is false for head keys.
func BodyKey(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, "0.")
	if !ok {
		return "", false
	}
	idx, tail, _ := strings.Cut(rest, ".")
	names := map[string]string{"0": "conv1", "1": "bn1", "4": "layer1", "5": "layer2", "6": "layer3", "7": "layer4"}
	name, ok := names[idx]
	if !ok {
		return "", false
	}
	return name + "." + tail, true
}

// tensorSpec is one expected state-dict entry.
type tensorSpec struct {
	key   string
	shape []int
}

// stateSpec lists the state dict of the model (body keys under "0.", head
// keys under "1."), without num_batches_tracked.
func (m Model) stateSpec() []tensorSpec {
	var out []tensorSpec
	conv := func(key string, o, i, k int) { out = append(out, tensorSpec{key + ".weight", []int{o, i, k, k}}) }
	bn := func(key string, c int) {
		for _, p := range []string{"weight", "bias", "running_mean", "running_var"} {
			out = append(out, tensorSpec{key + "." + p, []int{c}})
		}
	}
	r := m.Body
	conv("0.0", r.Width, 3, 7)
	bn("0.1", r.Width)
	exp := 1
	if r.Bottleneck {
		exp = 4
	}
	in := r.Width
	for s, n := range r.Layers {
		planes := r.Width << s
		for i := range n {
			p := fmt.Sprintf("0.%d.%d.", 4+s, i)
			if r.Bottleneck {
				conv(p+"conv1", planes, in, 1)
				bn(p+"bn1", planes)
				conv(p+"conv2", planes, planes, 3)
				bn(p+"bn2", planes)
				conv(p+"conv3", planes*4, planes, 1)
				bn(p+"bn3", planes*4)
			} else {
				conv(p+"conv1", planes, in, 3)
				bn(p+"bn1", planes)
				conv(p+"conv2", planes, planes, 3)
				bn(p+"bn2", planes)
			}
			if i == 0 && (s > 0 || in != planes*exp) {
				conv(p+"downsample.0", planes*exp, in, 1)
				bn(p+"downsample.1", planes*exp)
			}
			in = planes * exp
		}
	}
	h := m.Head
	bn("1.2", h.In)
	out = append(out, tensorSpec{"1.4.weight", []int{h.Hidden, h.In}})
	if h.Bias {
		out = append(out, tensorSpec{"1.4.bias", []int{h.Hidden}})
	}
	bn("1.6", h.Hidden)
	out = append(out, tensorSpec{"1.8.weight", []int{h.Classes, h.Hidden}})
	if h.Bias {
		out = append(out, tensorSpec{"1.8.bias", []int{h.Classes}})
	}
	return out
}

// torchvisionResNets names the bodies by their blocks.
var torchvisionResNets = []struct {
	name       string
	bottleneck bool
	layers     [4]int
}{
	{"resnet18", false, [4]int{2, 2, 2, 2}},
	{"resnet34", false, [4]int{3, 4, 6, 3}},
	{"resnet50", true, [4]int{3, 4, 6, 3}},
	{"resnet101", true, [4]int{3, 4, 23, 3}},
	{"resnet152", true, [4]int{3, 8, 36, 3}},
}

// Built lists the architectures fastgo builds (vision.ResNet18/34/50).
var Built = []string{"resnet18", "resnet34", "resnet50"}

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
		return Model{}, unsupported("model[0]", "0.0.weight", "the body does not start with ResNet's 7×7 convolution: another architecture (fastgo builds torchvision's "+strings.Join(Built, ", ")+")")
	}
	if stem[1] != 3 {
		return Model{}, unsupported("model[0][0]", "0.0.weight", fmt.Sprintf("the model takes %d input channels (n_in=%d); fastgo's ResNets take RGB images", stem[1], stem[1]))
	}
	var m Model
	m.Body.Width = stem[0]
	_, m.Body.Bottleneck = shapes["0.4.0.conv3.weight"]
	for s := range 4 {
		for {
			if _, ok := shapes[fmt.Sprintf("0.%d.%d.conv1.weight", 4+s, m.Body.Layers[s])]; !ok {
				break
			}
			m.Body.Layers[s]++
		}
	}
	m.Body.Name = ""
	for _, r := range torchvisionResNets {
		if r.bottleneck == m.Body.Bottleneck && r.layers == m.Body.Layers {
			m.Body.Name = r.name
		}
	}
	switch {
	case m.Body.Name == "":
		return Model{}, unsupported("model[0]", fmt.Sprintf("a residual body with blocks %v", m.Body.Layers),
			"not one of torchvision's ResNets (fastgo builds "+strings.Join(Built, ", ")+")")
	case !slices.Contains(Built, m.Body.Name):
		return Model{}, unsupported("model[0]", m.Body.Name, "fastgo builds "+strings.Join(Built, ", ")+", not "+m.Body.Name)
	case m.Body.Width != 64:
		m.Body.Name += "-w" + strconv.Itoa(m.Body.Width)
	}
	// The head: its first BatchNorm says its input, its Linears the rest.
	h := &m.Head
	h.In = first(shapes["1.2.weight"])
	lin1, lin2 := shapes["1.4.weight"], shapes["1.8.weight"]
	if len(lin1) == 2 {
		h.Hidden = lin1[0]
	}
	if len(lin2) == 2 {
		h.Classes = lin2[0]
	}
	_, h.Bias = shapes["1.4.bias"]
	if h.In != 2*m.Body.Features() || h.Hidden == 0 || h.Classes == 0 {
		return Model{}, unsupported("model[1]", headKeys(keys), fmt.Sprintf(
			"not fastai's default head for %d features (AdaptiveConcatPool2d, Flatten, BatchNorm1d(%d), Dropout, Linear, ReLU, BatchNorm1d, Dropout, Linear)",
			m.Body.Features(), 2*m.Body.Features()))
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
	for _, s := range m.stateSpec() {
		expected[s.key] = true
		got, ok := shapes[s.key]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("missing %s %v", s.key, s.shape))
		case !slices.Equal(got, s.shape):
			problems = append(problems, fmt.Sprintf("%s has shape %v, want %v", s.key, got, s.shape))
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
	return &UnsupportedError{File: file, Where: "state dict", Class: m.Body.Name + " with fastai's head",
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
	m.Weights = make(map[string]Weight, len(keys))
	for _, k := range keys {
		if strings.HasSuffix(k, ".num_batches_tracked") {
			continue
		}
		data, err := sd[k].Float32()
		if err != nil {
			return Model{}, fmt.Errorf("%s: tensor %s: %w", file, k, err)
		}
		m.Weights[k] = Weight{Shape: sd[k].Shape, Data: data}
		m.Keys = append(m.Keys, k)
	}
	return m, nil
}
