package torchfile

import (
	"fmt"
	"strings"

	"github.com/nlpodyssey/gopickle/types"
)

// A pickle can call any Python function when Python loads it: the classic
// malicious "model" calls os.system. This reader never calls anything (see
// the package documentation), but such a file is no model either: Load
// refuses it by what it would run, so that no reader describes it as a
// model file to load some other way.

// runsCodeModules are modules whose functions run commands or code, or
// reach the file system or the network; a pickle of a model calls none.
var runsCodeModules = map[string]bool{
	"os": true, "posix": true, "nt": true, "subprocess": true, "pty": true, "commands": true, "popen2": true,
	"runpy": true, "importlib": true, "code": true, "codeop": true, "shutil": true, "socket": true,
	"sys": true, "ctypes": true, "webbrowser": true, "pickle": true, "_pickle": true, "marshal": true,
	"multiprocessing": true, "asyncio": true, "timeit": true, "pdb": true, "bdb": true, "platform": true,
}

// runsCodeBuiltins are the builtins that run code or open files
// (builtins.getattr is not one: pickles of enums use it).
var runsCodeBuiltins = map[string]bool{
	"eval": true, "exec": true, "execfile": true, "compile": true, "__import__": true, "open": true,
	"input": true, "breakpoint": true, "apply": true, "globals": true, "locals": true, "vars": true,
	"setattr": true, "delattr": true,
}

// runsCode says whether g is a function that runs code when called.
func runsCode(g *Global) bool {
	module, _, _ := strings.Cut(g.Module, ".")
	if module == "builtins" || module == "__builtin__" {
		return runsCodeBuiltins[g.Name]
	}
	return runsCodeModules[module]
}

// codeCall returns the first call or instance in v (depth first) of a
// function that runs code, or nil. Values shared or cyclic through the
// pickle's memo are visited once.
func codeCall(v any) *Object {
	seen := map[any]bool{}
	var walk func(v any) *Object
	walk = func(v any) *Object {
		switch x := v.(type) {
		case *Object, *types.List, *types.Tuple, *types.Dict, *types.OrderedDict:
			if seen[x] {
				return nil
			}
			seen[x] = true
		default:
			return nil
		}
		var children []any
		switch x := v.(type) {
		case *Object:
			if x.Class != nil && runsCode(x.Class) {
				return x
			}
			children = append(append(append(children, x.Args...), x.State), x.List...)
			for _, e := range x.Items {
				children = append(children, e.Key, e.Value)
			}
		case *types.List:
			children = *x
		case *types.Tuple:
			children = *x
		default:
			entries, _ := Entries(x)
			for _, e := range entries {
				children = append(children, e.Key, e.Value)
			}
		}
		for _, c := range children {
			if o := walk(c); o != nil {
				return o
			}
		}
		return nil
	}
	return walk(v)
}

// CodeCallError is Load's error for a pickle that calls a function that
// runs code (os.system, eval…): a malicious or broken file, not a model.
// Nothing was run.
type CodeCallError struct {
	// Call is the call as Python would make it, e.g.
	// posix.system("touch /tmp/x"): strings quoted (cut at 80 bytes),
	// other arguments by class.
	Call string
}

func (e *CodeCallError) Error() string {
	return "refused: its pickle calls " + e.Call + ", which runs code when Python loads the file (torch.load, fastai's load_learner): a malicious or broken file, not a model; fastgo reads pickles as data and ran nothing: delete the file, and do not open it in Python"
}

// refuseCode is Load's error for a pickle that would run code.
func refuseCode(o *Object) error {
	args := make([]string, len(o.Args))
	for i, a := range o.Args {
		if s, ok := a.(string); ok {
			if len(s) > 80 {
				s = s[:80] + "…"
			}
			args[i] = fmt.Sprintf("%q", s)
		} else {
			args[i] = ClassName(a)
		}
	}
	return &CodeCallError{Call: fmt.Sprintf("%s(%s)", o.Class, strings.Join(args, ", "))}
}
