package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/tools/imports"
)

// writeNotebook writes a notebook with the given code cells (a markdown cell
// first, as in the chapter) into dir.
func writeNotebook(t testing.TB, dir, name string, cells ...string) {
	t.Helper()
	type cell struct {
		CellType string   `json:"cell_type"`
		Source   []string `json:"source"`
	}
	nb := struct {
		Cells []cell `json:"cells"`
	}{Cells: []cell{{CellType: "markdown", Source: []string{"# Title\n"}}}}
	for _, c := range cells {
		nb.Cells = append(nb.Cells, cell{CellType: "code", Source: strings.SplitAfter(c, "\n")})
	}
	data, err := json.Marshal(nb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// chapterNotebook is the start of 01_data.ipynb: the cell that declares path,
// then the one that uses it (the Summary cell of the issue).
func chapterNotebook(t testing.TB, dir string) {
	writeNotebook(t, dir, "01_data.ipynb",
		"import \"github.com/fastgo-ml/fastgo/fastgo/external\"\n\nvar path = external.MustUntarData(external.URLs.Pets)",
		"%%\nfmt.Println(path.Join(\"images\"))",
	)
}

// summaryCell is main.go as GoNB writes it for the Summary cell alone after
// a restart: nothing memorized, no imports yet.
const summaryCell = `package main

func main() {
	fmt.Println(path.Join("images"))
}
`

func TestRefusesPackageForNotebookVariable(t *testing.T) {
	dir := t.TempDir()
	chapterNotebook(t, dir)
	_, err := process(filepath.Join(t.TempDir(), "main.go"), []byte(summaryCell), dir)
	var u undeclaredError
	if !errors.As(err, &u) {
		t.Fatalf("process: %v, want the cell that declares path", err)
	}
	want := []string{
		"main.go:4:14: path is not declared in this kernel session: run the cell that declares it first:",
		"01_data.ipynb, code cell 1: var path = external.MustUntarData(external.URLs.Pets)",
		"Cell > Run All Above",
		`If you meant the package "path", import it in this cell: import "path"`,
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%s", w, err)
		}
	}
	if strings.Contains(err.Error(), "fmt") {
		t.Errorf("fmt is a package no notebook declares, yet the error names it:\n%s", err)
	}
}

func TestUndeclaredNotebookVariable(t *testing.T) {
	dir := t.TempDir()
	writeNotebook(t, dir, "05_pet_breeds.ipynb",
		"var path = fastgo.Path(\"x\")",
		"!echo hi\n%env A=b\nvar dls, err = pets.Dataloaders(path)",
		"%%\ndls.ShowBatch()",
	)
	src := "package main\n\nfunc main() {\n\tdls.ShowBatch()\n}\n"
	_, err := process(filepath.Join(t.TempDir(), "main.go"), []byte(src), dir)
	if err == nil || !strings.Contains(err.Error(), "05_pet_breeds.ipynb, code cell 2: var dls, err = pets.Dataloaders(path)") {
		t.Fatalf("process: %v, want code cell 2 named", err)
	}
	if strings.Contains(err.Error(), "If you meant") {
		t.Errorf("no package was imported for dls, yet the error suggests one:\n%s", err)
	}
}

func TestAsUpstreamWhenNoNotebookDeclaresTheName(t *testing.T) {
	file := filepath.Join(t.TempDir(), "main.go")
	upstream, err := imports.Process(file, []byte(summaryCell), options)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(upstream), `"path"`) {
		t.Fatalf("upstream goimports did not import path (the issue's case):\n%s", upstream)
	}
	other := t.TempDir()
	writeNotebook(t, other, "other.ipynb", "var dls = 1")
	for name, dir := range map[string]string{"no GONB_DIR": "", "no notebook": t.TempDir(), "other names": other} {
		got, err := process(file, []byte(summaryCell), dir)
		if err != nil || string(got) != string(upstream) {
			t.Errorf("%s: got %q, %v; want upstream's %q", name, got, err, upstream)
		}
	}
}

func TestDeclaredNamesAreLeftAlone(t *testing.T) {
	dir := t.TempDir()
	chapterNotebook(t, dir)
	cases := map[string]struct{ src, sibling string }{
		"explicit import": {src: "package main\n\nimport \"path\"\n\nfunc main() { println(path.Join(\"a\")) }\n"},
		"memorized var":   {src: "package main\n\nvar path = \"x\"\n\nfunc main() { println(path) }\n"},
		"local var":       {src: "package main\n\nfunc main() { path := \"x\"; println(path) }\n"},
		"struct key":      {src: "package main\n\ntype T struct{ path string }\n\nfunc main() { println(T{path: \"x\"}.path) }\n"},
		"sibling file":    {src: "package main\n\nfunc main() { println(path) }\n", sibling: "package main\n\nvar path = \"x\"\n"},
		// Package names the path does not tell (found by the new-user trial).
		"package name unlike its path": {src: "package main\n\nimport \"github.com/ajstarks/svgo\"\n\nfunc main() { path.New(nil) }\n"},
		"dot import":                   {src: "package main\n\nimport . \"math\"\n\nfunc main() { println(path(2)) }\n"},
		"file without package clause":  {src: "func main() { x := 1; _ = x }\n"},
	}
	for name, c := range cases {
		code := t.TempDir()
		if c.sibling != "" {
			if err := os.WriteFile(filepath.Join(code, "other.go"), []byte(c.sibling), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := process(filepath.Join(code, "main.go"), []byte(c.src), dir); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The trial's misses and false refusals, each as found.
func TestNotebookEdgeCases(t *testing.T) {
	dir := t.TempDir()
	writeNotebook(t, dir, "a.ipynb",
		"var path = 1\nvar scale = 2",
		"%main\nvar local = 1",
		"//gonb:%%\nvar local2 = 1",
		"var long = \""+strings.Repeat("x", 5000)+"\"",
	)
	// A Python notebook's `type(dls2)` is not a Go declaration.
	py := `{"metadata": {"kernelspec": {"language": "python"}}, "cells": [{"cell_type": "code", "source": "type(dls2)"}]}`
	if err := os.WriteFile(filepath.Join(dir, "py.ipynb"), []byte(py), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(body string) error {
		src := "package main\n\nfunc main() {\n" + body + "\n}\n"
		_, err := process(filepath.Join(t.TempDir(), "main.go"), []byte(src), dir)
		return err
	}
	for _, body := range []string{"println(local)", "println(local2)", "println(dls2)"} {
		if err := run(body); err != nil {
			t.Errorf("%s: refused, but no Go cell declares it at top level: %v", body, err)
		}
	}
	for _, body := range []string{"m := map[string]int{path: 1}; _ = m", "a := [...]string{scale: \"x\"}; _ = a"} {
		if err := run(body); err == nil || !strings.Contains(err.Error(), "a.ipynb, code cell 1") {
			t.Errorf("%s: %v, want the cell named (a map key or array index is an expression)", body, err)
		}
	}
	err := run("println(long)")
	if err == nil || len(err.Error()) > 600 || !strings.Contains(err.Error(), "…") {
		t.Errorf("a 5000-character declaring line should be cut: %d bytes: %.200v", len(fmt.Sprint(err)), err)
	}
}

// In a module, the go command knows each import's package name: a name one
// declares is left alone, and a name none declares is refused although the
// file imports packages.
func TestImportedPackageNamesFromTheGoCommand(t *testing.T) {
	nbDir := t.TempDir()
	writeNotebook(t, nbDir, "a.ipynb", "var svg = 1\nvar dls = 2")
	mod := t.TempDir()
	files := map[string]string{
		"go.mod":       "module example.com/m\n\ngo 1.26\n",
		"svgo/svgo.go": "package svg\n\nfunc New() int { return 1 }\n",
	}
	for name, text := range files {
		p := filepath.Join(mod, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(mod, "main.go")
	src := func(body string) []byte {
		return []byte("package main\n\nimport \"example.com/m/svgo\"\n\nfunc main() {\n\t" + body + "\n}\n")
	}
	if _, err := process(file, src("println(svg.New())"), nbDir); err != nil {
		t.Errorf("svg comes from example.com/m/svgo, yet: %v", err)
	}
	if _, err := process(file, src("println(svg.New(), dls)"), nbDir); err == nil || !strings.Contains(err.Error(), "dls is not declared") || strings.Contains(err.Error(), "svg is") {
		t.Errorf("process: %v, want dls (only) refused", err)
	}
}

func TestFIFONotebookDoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "f.ipynb"), 0o644); err != nil {
		t.Skip("no FIFO here:", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := process(filepath.Join(t.TempDir(), "main.go"), []byte(summaryCell), dir)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("process: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("goimports blocked on a FIFO named *.ipynb")
	}
}

func TestCellDeclarations(t *testing.T) {
	cell := strings.Join([]string{
		"!go get \\",
		"  example.com/x",
		"%env var shadow = 1",
		"import \"fmt\"",
		"",
		"var (",
		"\ta, b = 1, 2",
		")",
		"const c = 3",
		"type T struct{}",
		"func (T) Method() {}",
		"func helper() {}",
		"func main() {}",
		"var _ = fmt.Sprint()",
		"var indented = func() bool {",
		"\t!false", // not a shell line: only column 0 is
		"\treturn true",
		"}()",
		"%%",
		"var local = 1",
	}, "\n")
	got := cellDeclarations(cell)
	want := map[string]string{"indented": "var indented = func() bool {", "a": "a, b = 1, 2", "b": "a, b = 1, 2", "c": "const c = 3", "T": "type T struct{}", "helper": "func helper() {}"}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for name, line := range want {
		if got[name] != line {
			t.Errorf("%s: got line %q, want %q", name, got[name], line)
		}
	}
	// A syntax error keeps what parsed before it.
	if got := cellDeclarations("var ok = 1\nvar broken = \n}"); got["ok"] == "" {
		t.Errorf("partial cell: got %v, want ok declared", got)
	}
}

func TestWriteLeavesARefusedFileAsItWas(t *testing.T) {
	dir := t.TempDir()
	chapterNotebook(t, dir)
	file := filepath.Join(t.TempDir(), "main.go")
	if err := os.WriteFile(file, []byte(summaryCell), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := processFile(file, true, dir); err == nil {
		t.Fatal("processFile: no error for the Summary cell alone")
	}
	if got, _ := os.ReadFile(file); string(got) != summaryCell {
		t.Errorf("the refused file changed:\n%s", got)
	}
	if err := processFile(file, true, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(file); !strings.Contains(string(got), `"fmt"`) {
		t.Errorf("-w did not write the imports:\n%s", got)
	}
}

// FuzzProcess: any cell source and any notebook cell give goimports'
// result or an error, never a panic; a refusal names a cell.
func FuzzProcess(f *testing.F) {
	f.Add(summaryCell, "var path = 1")
	f.Add("package main\nfunc main() { dls.X() }\n", "%%\nvar dls = 2")
	f.Add("package main\nfunc main() { x := T{a: b}; _ = x }\n", "var b, a = 1, 2\n!ls \\")
	f.Fuzz(func(t *testing.T, src, cell string) {
		dir := t.TempDir()
		writeNotebook(t, dir, "nb.ipynb", cell)
		_, err := process(filepath.Join(t.TempDir(), "main.go"), []byte(src), dir)
		var u undeclaredError
		if errors.As(err, &u) && !strings.Contains(err.Error(), "nb.ipynb, code cell 1: ") {
			t.Errorf("a refusal that names no cell:\n%s", err)
		}
	})
}
