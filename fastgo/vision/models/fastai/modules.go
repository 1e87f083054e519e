package fastai

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
	tf "github.com/fastgo-ml/fastgo/internal/torchfile"
)

// PyTorch's and torchvision's module classes, as pickles name them.
const (
	sequential   = "torch.nn.modules.container.Sequential"
	conv2d       = "torch.nn.modules.conv.Conv2d"
	batchNorm2d  = "torch.nn.modules.batchnorm.BatchNorm2d"
	batchNorm1d  = "torch.nn.modules.batchnorm.BatchNorm1d"
	relu         = "torch.nn.modules.activation.ReLU"
	maxPool2d    = "torch.nn.modules.pooling.MaxPool2d"
	avgPool1     = "torch.nn.modules.pooling.AdaptiveAvgPool2d"
	maxPool1     = "torch.nn.modules.pooling.AdaptiveMaxPool2d"
	dropout      = "torch.nn.modules.dropout.Dropout"
	linear       = "torch.nn.modules.linear.Linear"
	basicBlock   = "torchvision.models.resnet.BasicBlock"
	bottleneck   = "torchvision.models.resnet.Bottleneck"
	concatPool   = "fastai.layers.AdaptiveConcatPool2d"
	flatten      = "fastai.layers.Flatten"
	sigmoidRange = "fastai.layers.SigmoidRange"
)

// moduleStateDict walks an nn.Module of the pickle as module.state_dict()
// would: its parameters and persistent buffers, then its submodules'.
func moduleStateDict(file string, m *tf.Object) (map[string]*tf.Tensor, []string, error) {
	sd := map[string]*tf.Tensor{}
	var keys []string
	seen := map[*tf.Object]bool{}
	var walk func(m *tf.Object, prefix string, depth int) error
	walk = func(m *tf.Object, prefix string, depth int) error {
		if seen[m] || depth > 64 {
			return fmt.Errorf("%s: the model's modules contain a cycle or are nested more than 64 deep", file)
		}
		seen[m] = true
		nonPersistent := setNames(attr(m, "_non_persistent_buffers_set"))
		for _, field := range []string{"_parameters", "_buffers"} {
			entries, _ := tf.Entries(attr(m, field))
			for _, e := range entries {
				name, _ := e.Key.(string)
				if e.Value == nil || (field == "_buffers" && nonPersistent[name]) {
					continue
				}
				t, ok := e.Value.(*tf.Tensor)
				if !ok {
					return fmt.Errorf("%s: %s%s is a %s, not a tensor", file, prefix, name, tf.ClassName(e.Value))
				}
				sd[prefix+name] = t
				keys = append(keys, prefix+name)
			}
		}
		for _, c := range submodules(m) {
			if c.module == nil {
				continue
			}
			if err := walk(c.module, prefix+c.name+".", depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(m, "", 0); err != nil {
		return nil, nil, err
	}
	return sd, keys, nil
}

// child is one entry of a module's _modules.
type child struct {
	name   string
	module *tf.Object
	value  any
}

func submodules(m *tf.Object) []child {
	entries, _ := tf.Entries(attr(m, "_modules"))
	out := make([]child, 0, len(entries))
	for _, e := range entries {
		name, _ := e.Key.(string)
		o, _ := e.Value.(*tf.Object)
		out = append(out, child{name, o, e.Value})
	}
	return out
}

// attr is an object's attribute, nil when absent or not an object.
func attr(v any, name string) any {
	o, ok := v.(*tf.Object)
	if !ok {
		return nil
	}
	a, _ := o.Attr(name)
	return a
}

// setNames reads a pickled set of strings (builtins.set(list)).
func setNames(v any) map[string]bool {
	out := map[string]bool{}
	o, ok := v.(*tf.Object)
	if !ok || len(o.Args) == 0 {
		return out
	}
	items, _ := tf.Seq(o.Args[0])
	for _, it := range items {
		if s, ok := it.(string); ok {
			out[s] = true
		}
	}
	return out
}

// moduleCheck checks the classes and settings of a learner's modules
// against the model its state dict describes: what the tensors cannot
// show (strides, paddings, pooling, activations, layers without weights
// such as SigmoidRange).
type moduleCheck struct {
	file string
	err  error
}

func (c *moduleCheck) fail(where, class, why string) {
	if c.err == nil {
		c.err = &UnsupportedError{File: c.file, Where: where, Class: class, Why: why}
	}
}

// is checks the class of the module at where and returns it.
func (c *moduleCheck) is(v any, where string, want ...string) *tf.Object {
	o, ok := v.(*tf.Object)
	if c.err != nil {
		return nil
	}
	if !ok || !o.Is(want...) {
		c.fail(where, tf.ClassName(v), "expected "+strings.Join(want, " or ")+" there: "+moduleHint(tf.ClassName(v)))
		return nil
	}
	return o
}

// moduleHint says what an unexpected module usually means.
func moduleHint(class string) string {
	switch {
	case class == sigmoidRange:
		return "the learner was made with y_range (a regression head); fastgo's heads end with the classifier's Linear"
	case strings.HasPrefix(class, "timm."), strings.HasSuffix(class, "TimmBody"):
		return "a timm model (vision_learner with an architecture name); fastgo builds torchvision's ResNets"
	case strings.HasPrefix(class, "fastai.vision.models"):
		return "one of fastai's own architectures; fastgo builds torchvision's ResNets " + builtNames()
	case strings.HasPrefix(class, "__main__."):
		return "a module defined in the training notebook; fastgo cannot run its code"
	}
	return "fastgo rebuilds torchvision's ResNets with fastai's default head only"
}

// children checks that module m has exactly the submodules names (in any
// order) and returns them by name.
func (c *moduleCheck) children(m *tf.Object, where string, names ...string) map[string]any {
	if c.err != nil || m == nil {
		return nil
	}
	got := map[string]any{}
	for _, ch := range submodules(m) {
		got[ch.name] = ch.value
	}
	for _, n := range names {
		if _, ok := got[n]; !ok {
			c.fail(where, tf.ClassName(m), "has no submodule "+n)
			return nil
		}
	}
	for n, v := range got {
		if !slices.Contains(names, n) {
			c.fail(where+"."+n, tf.ClassName(v), "an extra module: "+moduleHint(tf.ClassName(v)))
			return nil
		}
	}
	return got
}

// pair reads an int or a 2-tuple of ints (kernel_size, stride…).
func pair(v any) (int, int, bool) {
	if i, ok := tf.Int(v); ok {
		return i, i, true
	}
	s, ok := tf.Seq(v)
	if !ok || len(s) != 2 {
		return 0, 0, false
	}
	a, ok1 := tf.Int(s[0])
	b, ok2 := tf.Int(s[1])
	return a, b, ok1 && ok2
}

// setting checks that an int or pair setting of m equals want.
func (c *moduleCheck) setting(m *tf.Object, where, name string, want int) {
	if c.err != nil || m == nil {
		return
	}
	a, b, ok := pair(attr(m, name))
	if !ok || a != want || b != want {
		c.fail(where, tf.ClassName(m), fmt.Sprintf("%s is %v, torchvision's ResNet has %d", name, attr(m, name), want))
	}
}

func (c *moduleCheck) conv(v any, where string, stride, padding int) {
	m := c.is(v, where, conv2d)
	c.setting(m, where, "stride", stride)
	c.setting(m, where, "padding", padding)
	c.setting(m, where, "dilation", 1)
	c.setting(m, where, "groups", 1)
	if m != nil && c.err == nil && attr(m, "padding_mode") != "zeros" {
		c.fail(where, conv2d, fmt.Sprintf("padding_mode %v, not zeros", attr(m, "padding_mode")))
	}
}

func (c *moduleCheck) batchNorm(v any, where, class string) {
	m := c.is(v, where, class)
	if m == nil || c.err != nil {
		return
	}
	eps, ok := tf.Float(attr(m, "eps"))
	if !ok || math.Abs(eps-1e-5) > 1e-12 {
		c.fail(where, class, fmt.Sprintf("eps %v: fastgo's batch norm uses PyTorch's default 1e-5", attr(m, "eps")))
	}
	if attr(m, "affine") != true || attr(m, "track_running_stats") != true {
		c.fail(where, class, "without affine weights or running statistics")
	}
}

// checkModules checks the learner's nn.Sequential(body, head) module by
// module against m (recognised from the same modules' state dict), with
// the strides and paddings of models' layout (Arch.Stem, MaxPool,
// Arch.Blocks).
func checkModules(file string, model *tf.Object, m *Model) error {
	c := &moduleCheck{file: file}
	root := c.children(c.is(model, "model", sequential), "model", "0", "1")
	body := c.is(root["0"], "model[0]", sequential)
	parts := c.children(body, "model[0]", "0", "1", "2", "3", "4", "5", "6", "7")
	stem := m.Arch.Stem()
	c.conv(parts["0"], "model[0][0]", stem.Stride, stem.Padding)
	c.batchNorm(parts["1"], "model[0][1]", batchNorm2d)
	c.is(parts["2"], "model[0][2]", relu)
	if mp := c.is(parts["3"], "model[0][3]", maxPool2d); mp != nil {
		c.setting(mp, "model[0][3]", "kernel_size", models.MaxPool.Kernel)
		c.setting(mp, "model[0][3]", "stride", models.MaxPool.Stride)
		c.setting(mp, "model[0][3]", "padding", models.MaxPool.Padding)
		c.setting(mp, "model[0][3]", "dilation", 1)
		if attr(mp, "ceil_mode") != false {
			c.fail("model[0][3]", maxPool2d, "ceil_mode is set")
		}
	}
	stages := map[int]map[string]any{}
	for s, n := range m.Arch.Layers() {
		where := fmt.Sprintf("model[0][%d]", 4+s)
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprint(i)
		}
		stages[s+1] = c.children(c.is(parts[fmt.Sprint(4+s)], where, sequential), where, names...)
	}
	for _, b := range m.Arch.Blocks() {
		c.block(stages[b.Stage][fmt.Sprint(b.Index)], fmt.Sprintf("model[0][%d][%d]", 3+b.Stage, b.Index), b)
	}
	c.head(root["1"], m)
	return c.err
}

// block checks one BasicBlock or Bottleneck against its plan (torchvision
// ≥ 0.2: the stride on the 3×3 convolution, ResNet v1.5).
func (c *moduleCheck) block(v any, where string, plan models.Block) {
	class := basicBlock
	if plan.Bottleneck {
		class = bottleneck
	}
	b := c.is(v, where, class)
	if b == nil {
		return
	}
	names := []string{"relu"}
	for _, conv := range plan.Convs {
		names = append(names, conv.Conv, conv.BN)
	}
	if plan.Downsample != nil {
		names = append(names, "downsample")
	}
	kids := c.children(b, where, names...)
	for _, conv := range plan.Convs {
		c.conv(kids[conv.Conv], where+"."+conv.Conv, conv.Stride, conv.Padding)
		c.batchNorm(kids[conv.BN], where+"."+conv.BN, batchNorm2d)
	}
	c.is(kids["relu"], where+".relu", relu)
	if d := plan.Downsample; d != nil {
		seq := c.children(c.is(kids["downsample"], where+".downsample", sequential), where+".downsample", "0", "1")
		c.conv(seq["0"], where+".downsample[0]", d.Stride, d.Padding)
		c.batchNorm(seq["1"], where+".downsample[1]", batchNorm2d)
	}
}

// head checks fastai's create_head layout and records the dropouts.
func (c *moduleCheck) head(v any, m *Model) {
	head := c.is(v, "model[1]", sequential)
	if head == nil {
		return
	}
	subs := submodules(head)
	if len(subs) > 9 && c.err == nil {
		extra := tf.ClassName(subs[9].value)
		why := "a layer after the classifier's Linear: " + moduleHint(extra)
		if extra == batchNorm1d {
			why = "a BatchNorm1d after the classifier (bn_final=True); fastgo's head ends with the Linear"
		}
		c.fail("model[1][9]", extra, why)
		return
	}
	want := []string{concatPool, flatten, batchNorm1d, dropout, linear, relu, batchNorm1d, dropout, linear}
	if len(subs) != len(want) && c.err == nil {
		c.fail("model[1]", sequential, fmt.Sprintf("a head of %d layers, fastai's default has %d (%s)", len(subs), len(want), strings.Join(want, ", ")))
		return
	}
	for i, ch := range subs {
		where := fmt.Sprintf("model[1][%d]", i)
		if ch.name != fmt.Sprint(i) {
			c.fail(where, ch.name, "head modules are not numbered 0…8")
			return
		}
		switch want[i] {
		case batchNorm1d:
			c.batchNorm(ch.value, where, batchNorm1d)
		case dropout:
			if d := c.is(ch.value, where, dropout); d != nil {
				m.Dropout[(i-3)/4], _ = tf.Float(attr(d, "p"))
			}
		case concatPool:
			if p := c.is(ch.value, where, concatPool); p != nil {
				if size, _ := tf.Int(attr(p, "size")); size != 1 {
					c.fail(where, concatPool, fmt.Sprintf("size %v: fastgo pools to 1×1", attr(p, "size")))
				}
				pools := c.children(p, where, "ap", "mp")
				for name, class := range map[string]string{"ap": avgPool1, "mp": maxPool1} {
					if pm := c.is(pools[name], where+"."+name, class); pm != nil {
						c.setting(pm, where+"."+name, "output_size", 1)
					}
				}
			}
		case flatten:
			if f := c.is(ch.value, where, flatten); f != nil && attr(f, "full") != false {
				c.fail(where, flatten, "Flatten(full=True)")
			}
		default:
			c.is(ch.value, where, want[i])
		}
	}
}
