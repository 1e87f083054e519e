package torchfile

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/nlpodyssey/gopickle/types"
)

// Global is a class or function the pickle references by name (pickle's
// GLOBAL opcode), e.g. fastai.layers.Flatten. It is never looked up or
// called: building an instance with it gives an [*Object].
type Global struct {
	Module, Name string
}

// String is the Python name, "module.Name".
func (g *Global) String() string { return g.Module + "." + g.Name }

// PyNew is what NEWOBJ (cls.__new__(cls, *args)) and copyreg's
// _reconstructor make of the class: an inert [*Object].
func (g *Global) PyNew(args ...any) (any, error) { return &Object{Class: g, Args: args}, nil }

// Call is what REDUCE (callable(*args)) makes of the reference: an inert
// [*Object] recording the call, with Reduced set.
func (g *Global) Call(args ...any) (any, error) {
	return &Object{Class: g, Args: args, Reduced: true}, nil
}

// Object is an instance the pickle built, as data: Class and Args are what
// the pickle passed to NEWOBJ or REDUCE, State what BUILD set (the
// instance's __dict__ as a *types.Dict, or what __getstate__ returned),
// Items and List what SETITEMS and APPENDS added (dict and list
// subclasses, e.g. collections.defaultdict).
type Object struct {
	Class   *Global
	Args    []any
	Reduced bool
	State   any
	Items   []DictItem
	List    []any
}

// DictItem is one key/value pair added to an [Object] by SETITEMS.
type DictItem struct{ Key, Value any }

// PySetState records BUILD's state.
func (o *Object) PySetState(state any) error {
	o.State = state
	return nil
}

// Set records a SETITEMS pair.
func (o *Object) Set(key, value any) { o.Items = append(o.Items, DictItem{key, value}) }

// Append records an APPENDS value.
func (o *Object) Append(v any) { o.List = append(o.List, v) }

// Is says whether the object's class is one of names ("module.Name").
func (o *Object) Is(names ...string) bool {
	return o != nil && slices.Contains(names, o.Class.String())
}

// Attr returns the attribute name of the object's __dict__ (its BUILD
// state, a dict or a (dict, slots) pair).
func (o *Object) Attr(name string) (any, bool) {
	if o == nil {
		return nil, false
	}
	state := o.State
	if t, ok := state.(*types.Tuple); ok && t.Len() == 2 {
		if v, ok := Get(t.Get(1), name); ok {
			return v, true
		}
		state = t.Get(0)
	}
	return Get(state, name)
}

// Get looks key up in a dict (*types.Dict, *types.OrderedDict, or an
// [*Object] filled by SETITEMS).
func Get(dict any, key string) (any, bool) {
	switch d := dict.(type) {
	case *types.Dict:
		for _, e := range *d {
			if k, ok := e.Key.(string); ok && k == key {
				return e.Value, true
			}
		}
	case *types.OrderedDict:
		if e, ok := d.Map[key]; ok {
			return e.Value, true
		}
	case *Object:
		for _, e := range d.Items {
			if k, ok := e.Key.(string); ok && k == key {
				return e.Value, true
			}
		}
	}
	return nil, false
}

// Entries returns a dict's pairs in the file's order (nil and false for
// anything else).
func Entries(dict any) ([]DictItem, bool) {
	var out []DictItem
	switch d := dict.(type) {
	case *types.Dict:
		for _, e := range *d {
			out = append(out, DictItem{e.Key, e.Value})
		}
	case *types.OrderedDict:
		for el := d.List.Front(); el != nil; el = el.Next() {
			e := el.Value.(*types.OrderedDictEntry)
			out = append(out, DictItem{e.Key, e.Value})
		}
	case *Object:
		return d.Items, true
	default:
		return nil, false
	}
	return out, true
}

// Seq returns the elements of a list or tuple.
func Seq(v any) ([]any, bool) {
	switch s := v.(type) {
	case *types.List:
		return *s, true
	case *types.Tuple:
		return *s, true
	}
	return nil, false
}

// Float reads a Python number (int, float or bool) as a float64.
func Float(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	if f, ok := NumpyScalar(v); ok {
		return Float(f)
	}
	return 0, false
}

// Int reads a Python int (or a whole float) as an int.
func Int(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x), true
		}
	}
	return 0, false
}

// ClassName names what a value is, for error messages: the class of an
// [*Object], the name of a [Global], else the Go type.
func ClassName(v any) string {
	switch x := v.(type) {
	case *Object:
		if x.Reduced && (x.Class.Name == "getattr") && len(x.Args) == 2 {
			return fmt.Sprintf("%s.%v", ClassName(x.Args[0]), x.Args[1])
		}
		return x.Class.String()
	case *Global:
		return x.String()
	case nil:
		return "None"
	case *Tensor:
		return "torch.Tensor"
	case string:
		return "str"
	case *types.Dict, *types.OrderedDict:
		return "dict"
	case *types.List:
		return "list"
	case *types.Tuple:
		return "tuple"
	}
	return fmt.Sprintf("%T", v)
}

// errNotScalar is returned by numpy decoding for unsupported dtypes.
var errNotScalar = errors.New("not a numpy scalar this reader decodes")
