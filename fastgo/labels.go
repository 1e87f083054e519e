package fastgo

import (
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
)

// Labeller gives an item its label (fastai's get_y functions).
type Labeller func(item Path) (string, error)

// RegexLabeller is fastai's RegexLabeller: it searches the item's path (as a
// string with "/" separators) for pattern, anywhere in it like Python's
// re.search, and returns the text of the first capture group.
//
// The pattern uses Go's RE2 syntax, which is Python's for the usual labelling
// patterns (`(.+)_\d+.jpg$`); back-references and look-arounds are not
// supported. An invalid pattern or one without a group makes every call fail
// with a *PatternError that says so (DataLoaders reports it once, as the
// pattern's error, not an item's); a valid pattern that does not match an
// item fails with fastai's "Failed to find" message.
func RegexLabeller(pattern string) Labeller {
	re, err := regexp.Compile(pattern)
	if err == nil && re.NumSubexp() < 1 {
		err = fmt.Errorf("it has no capture group: put the part that is the label in parentheses, e.g. `(.+)_\\d+.jpg$`")
	}
	if err != nil {
		perr := &PatternError{Pattern: pattern, Err: err}
		return func(Path) (string, error) { return "", perr }
	}
	return func(item Path) (string, error) {
		s := filepath.ToSlash(string(item))
		m := re.FindStringSubmatchIndex(s)
		if m == nil {
			//lint:ignore ST1005 fastai's message, word for word
			return "", fmt.Errorf(`Failed to find "%s" in "%s"`, pattern, s)
		}
		if m[2] < 0 {
			return "", fmt.Errorf(`RegexLabeller: "%s" matched "%s" but its first group took no part in the match`, pattern, s)
		}
		return s[m[2]:m[3]], nil
	}
}

// PatternError is RegexLabeller's error for a pattern that cannot label
// any item: invalid RE2 syntax, or no capture group. It is the pattern's
// fault, not an item's.
type PatternError struct {
	// Pattern is the pattern as given.
	Pattern string
	// Err is regexp's error, or the missing group.
	Err error
}

// Error names the pattern, says what is wrong and to fix it.
func (e *PatternError) Error() string {
	return fmt.Sprintf("RegexLabeller: invalid pattern %q: %v: fix the pattern", e.Pattern, e.Err)
}

// Unwrap returns regexp's error.
func (e *PatternError) Unwrap() error { return e.Err }

// UsingName is fastai's using_attr(labeller, 'name'): it applies labeller to
// the item's file name instead of its whole path.
func UsingName(labeller Labeller) Labeller {
	return func(item Path) (string, error) {
		return labeller(Path(item.Name()))
	}
}

// ParentLabel is fastai's parent_label: the name of the folder holding the
// item ("cats/1.jpg" → "cats"). It never fails: the error is a Labeller's.
func ParentLabel(item Path) (string, error) {
	return item.Parent().Name(), nil
}

// closureSuffix matches the names Go gives closures: "func1", "2".
var closureSuffix = regexp.MustCompile(`^(func)?[0-9]+$`)

// funcName is the short name of a Go function for Summary's pipeline lines:
// "UsingName" for a closure made by fastgo.UsingName, "labelFunc" for
// main.labelFunc. fastai prints the Python name, e.g. "partial".
func funcName(f any) string {
	v := reflect.ValueOf(f)
	if v.Kind() != reflect.Func || v.IsNil() {
		return "noop"
	}
	rf := runtime.FuncForPC(v.Pointer())
	if rf == nil {
		return "func"
	}
	// "github.com/x/pkg.Outer.func1.2" → "Outer"; when Outer was inlined the
	// caller's name comes first ("pkg.caller.UsingName.func1"), so the last
	// name before the closure suffixes is the one to show.
	name := rf.Name()
	name = strings.TrimSuffix(name[strings.LastIndex(name, "/")+1:], "-fm")
	parts := strings.Split(name, ".")[1:]
	for len(parts) > 1 {
		last := parts[len(parts)-1]
		if !closureSuffix.MatchString(last) {
			break
		}
		parts = parts[:len(parts)-1]
	}
	if len(parts) == 0 {
		return "func"
	}
	return parts[len(parts)-1]
}
