package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
)

// declaration is where a notebook cell declares a top-level name.
type declaration struct {
	Notebook string // file name, e.g. 05_pet_breeds.ipynb
	CodeCell int    // 1-based among the notebook's code cells
	Line     string // the declaring line, trimmed
}

func (d declaration) String() string {
	return fmt.Sprintf("%s, code cell %d: %s", d.Notebook, d.CodeCell, d.Line)
}

// maxNotebookBytes skips notebooks too large to read on every cell (a
// notebook is megabytes with its images; this is far above any we ship).
const maxNotebookBytes = 64 << 20

// notebookDeclarations maps each top-level name the code cells of the
// notebooks (*.ipynb) in dir declare to where they declare it, in file
// order. A notebook that cannot be read or parsed adds nothing: the rule is
// a hint, never a reason for a cell to fail.
func notebookDeclarations(dir string) map[string][]declaration {
	decls := map[string][]declaration{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.ipynb"))
	for _, file := range files {
		// Only regular files: a FIFO would block every cell.
		if fi, err := os.Stat(file); err != nil || !fi.Mode().IsRegular() || fi.Size() > maxNotebookBytes {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		var nb struct {
			Cells []struct {
				CellType string          `json:"cell_type"`
				Source   json.RawMessage `json:"source"`
			} `json:"cells"`
			Metadata struct {
				Kernelspec struct {
					Language string `json:"language"`
				} `json:"kernelspec"`
			} `json:"metadata"`
		}
		if json.Unmarshal(data, &nb) != nil {
			continue
		}
		if lang := nb.Metadata.Kernelspec.Language; lang != "" && lang != "go" {
			continue // a Python notebook beside the Go ones
		}
		code := 0
		for _, c := range nb.Cells {
			if c.CellType != "code" {
				continue
			}
			code++
			for name, line := range cellDeclarations(cellSource(c.Source)) {
				decls[name] = append(decls[name], declaration{Notebook: filepath.Base(file), CodeCell: code, Line: line})
			}
		}
	}
	return decls
}

// cellSource is a cell's source: nbformat stores a string or a list of lines.
func cellSource(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var lines []string
	if json.Unmarshal(raw, &lines) == nil {
		return strings.Join(lines, "")
	}
	return ""
}

// cellDeclarations maps each top-level name a GoNB cell declares to its
// declaring line. GoNB cells are Go declarations, except lines that start
// with % or ! in the first column (special commands, continued by a
// trailing \) and everything after a %%, %main or //gonb:%% line (the body
// of main, whose names are local).
func cellDeclarations(src string) map[string]string {
	lines := strings.Split(src, "\n")
	kept := make([]string, 0, len(lines))
	continued := false
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if isMainStart(t) {
			break
		}
		special := continued || strings.HasPrefix(l, "%") || strings.HasPrefix(l, "!")
		continued = special && strings.HasSuffix(t, `\`)
		if special {
			l = "" // keep the line numbers
		}
		kept = append(kept, l)
	}
	fset := token.NewFileSet()
	// A cell with a syntax error still declares what parsed before it.
	f, _ := parser.ParseFile(fset, "cell.go", "package main\n"+strings.Join(kept, "\n"), parser.SkipObjectResolution)
	if f == nil {
		return nil
	}
	names := map[string]string{}
	for _, d := range f.Decls {
		for _, id := range declaredIdents(d) {
			if id.Name == "_" || id.Name == "main" || id.Name == "init" {
				continue
			}
			if _, ok := names[id.Name]; !ok {
				line := fset.Position(id.Pos()).Line - 2 // the package clause is line 1
				if line >= 0 && line < len(lines) {
					names[id.Name] = shorten(strings.TrimSpace(lines[line]), maxLineRunes)
				}
			}
		}
	}
	return names
}

// isMainStart reports whether a cell line (trimmed) starts the body of
// main: GoNB's %%, %main and //gonb:%%, with or without arguments.
func isMainStart(t string) bool {
	for _, m := range []string{"%%", "%main", "//gonb:%%"} {
		if t == m || strings.HasPrefix(t, m+" ") || (m == "%%" && strings.HasPrefix(t, m)) {
			return true
		}
	}
	return false
}

// maxLineRunes bounds a declaring line in the message.
const maxLineRunes = 100

// shorten cuts s to at most n runes, marking the cut with "…".
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// declaredIdents are the names one top-level declaration declares.
func declaredIdents(d ast.Decl) []*ast.Ident {
	var ids []*ast.Ident
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Recv == nil {
			ids = append(ids, d.Name)
		}
	case *ast.GenDecl:
		for _, s := range d.Specs {
			switch s := s.(type) {
			case *ast.ValueSpec:
				ids = append(ids, s.Names...)
			case *ast.TypeSpec:
				ids = append(ids, s.Name)
			}
		}
	}
	return ids
}

// missingName is a name a cell uses that only notebook cells declare.
type missingName struct {
	use
	Decls  []declaration
	Import string // the package goimports would have imported for it, if any
}

// undeclaredError explains each missing name, as a compiler error at its
// first use (GoNB shows file:line:col errors on the cell's line).
type undeclaredError struct {
	File    string
	Missing []missingName
}

// maxListed bounds the declarations listed per name.
const maxListed = 3

func (e undeclaredError) Error() string {
	var b strings.Builder
	for i, m := range e.Missing {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s:%d:%d: %s is not declared in this kernel session: run the cell that declares it first:\n",
			e.File, m.Line, m.Col, m.Name)
		for j, d := range m.Decls {
			if j == maxListed {
				fmt.Fprintf(&b, "    (and %d more)\n", len(m.Decls)-maxListed)
				break
			}
			fmt.Fprintf(&b, "    %s\n", d)
		}
		b.WriteString("    (After a kernel restart nothing is declared: Cell > Run All Above runs every cell above this one.)")
		if m.Import != "" {
			fmt.Fprintf(&b, "\n    If you meant the package %q, import it in this cell: import %q", m.Import, m.Import)
		}
	}
	return b.String()
}
