package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// use is the first place a file uses a name.
type use struct {
	Name      string
	Line, Col int
}

// undeclaredUses are the names f (parsed from file with object resolution)
// uses that nothing it can see declares (not the file, the other Go files of
// its folder, its imports nor Go's universe), each at its first use, in
// source order. These are the names goimports would resolve to a package,
// and what a compiler would call undefined.
func undeclaredUses(fset *token.FileSet, f *ast.File, file string) []use {
	declared := siblingDeclarations(file)
	for _, imp := range f.Imports {
		declared[importName(imp)] = true
	}
	unresolved := append(slices.Clone(f.Unresolved), expressionKeys(f)...)
	slices.SortStableFunc(unresolved, func(a, b *ast.Ident) int { return int(a.Pos() - b.Pos()) })
	var uses []use
	seen := map[string]bool{}
	for _, id := range unresolved {
		if seen[id.Name] || declared[id.Name] || types.Universe.Lookup(id.Name) != nil {
			continue
		}
		seen[id.Name] = true
		p := fset.Position(id.Pos())
		uses = append(uses, use{Name: id.Name, Line: p.Line, Col: p.Column})
	}
	return uses
}

// expressionKeys are the unresolved identifiers used as keys of map,
// slice and array literals (`map[string]int{path: 1}`). The parser leaves
// every composite-literal key out of Unresolved, since it may be a struct
// field; these are expressions, and go with the other uses.
func expressionKeys(f *ast.File) []*ast.Ident {
	var ids []*ast.Ident
	ast.Inspect(f, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		switch lit.Type.(type) {
		case *ast.MapType, *ast.ArrayType:
			for _, e := range lit.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					if id, ok := kv.Key.(*ast.Ident); ok && id.Obj == nil {
						ids = append(ids, id)
					}
				}
			}
		}
		return true
	})
	return ids
}

// siblingDeclarations are the top-level names the other Go files of file's
// folder declare (GoNB may write more than main.go).
func siblingDeclarations(file string) map[string]bool {
	declared := map[string]bool{}
	others, _ := filepath.Glob(filepath.Join(filepath.Dir(file), "*.go"))
	for _, other := range others {
		if filepath.Base(other) == filepath.Base(file) {
			continue
		}
		src, err := os.ReadFile(other)
		if err != nil {
			continue
		}
		f, _ := parser.ParseFile(token.NewFileSet(), other, src, parser.SkipObjectResolution)
		if f == nil {
			continue
		}
		for _, name := range topLevelNames(f) {
			declared[name] = true
		}
	}
	return declared
}

// topLevelNames are the package-level names f declares: functions (not
// methods), variables, constants and types.
func topLevelNames(f *ast.File) []string {
	var names []string
	for _, d := range f.Decls {
		for _, id := range declaredIdents(d) {
			names = append(names, id.Name)
		}
	}
	return names
}

// importName is the name an import declares: its explicit name, else the
// name goimports assumes from the path (the last element, without a
// version suffix, a "go-" prefix or anything after a '.' or '-').
func importName(imp *ast.ImportSpec) string {
	if imp.Name != nil {
		return imp.Name.Name
	}
	p, err := strconv.Unquote(imp.Path.Value)
	if err != nil {
		return ""
	}
	return assumedName(p)
}

func assumedName(importPath string) string {
	parts := strings.Split(importPath, "/")
	name := parts[len(parts)-1]
	if len(parts) > 1 && isMajorVersion(name) {
		name = parts[len(parts)-2]
	}
	name = strings.TrimPrefix(name, "go-")
	if i := strings.IndexAny(name, ".-"); i >= 0 {
		name = name[:i]
	}
	return name
}

// isMajorVersion reports whether s is a module major-version suffix: v2, v3, ...
func isMajorVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	n, err := strconv.Atoi(s[1:])
	return err == nil && n >= 2
}

// importedNames are the package names a file's imports declare, as the go
// command finds them from dir (the module the file builds in); complete is
// false when some import's names cannot be known (a dot import, a package
// the go command cannot find). Called only before a refusal: it takes a
// go list (a fraction of a second).
func importedNames(dir string, imports []*ast.ImportSpec) (names map[string]bool, complete bool) {
	names = map[string]bool{}
	var paths []string
	for _, imp := range imports {
		switch {
		case imp.Name != nil && imp.Name.Name == ".":
			return names, false
		case imp.Name != nil:
			names[imp.Name.Name] = true
		default:
			p, _ := strconv.Unquote(imp.Path.Value)
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		return names, true
	}
	cmd := exec.Command("go", append([]string{"list", "-e", "-f", "{{.ImportPath}}\t{{.Name}}"}, paths...)...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return names, false
	}
	found := 0
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		if _, name, ok := strings.Cut(line, "\t"); ok && name != "" {
			names[name] = true
			found++
		}
	}
	return names, found == len(paths)
}

// addedImports maps the name of each import out has and the file's imports
// (before) had not to its path: what goimports added.
func addedImports(before []*ast.ImportSpec, out []byte) map[string]string {
	had := map[string]bool{}
	for _, imp := range before {
		p, _ := strconv.Unquote(imp.Path.Value)
		had[p] = true
	}
	added := map[string]string{}
	f, _ := parser.ParseFile(token.NewFileSet(), "", out, parser.ImportsOnly)
	if f == nil {
		return added
	}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		if !had[p] {
			added[importName(imp)] = p
		}
	}
	return added
}
