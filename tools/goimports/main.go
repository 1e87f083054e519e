package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/tools/imports"
)

func main() {
	write := flag.Bool("w", false, "write the result to the file instead of standard output")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: goimports [-w] file.go...\n\ngoimports as golang.org/x/tools/cmd/goimports, plus the fastgo kernel's rule: a cell that uses a name only a notebook cell in $GONB_DIR declares is refused with the cell to run.")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	failed := false
	for _, file := range flag.Args() {
		if err := processFile(file, *write, os.Getenv("GONB_DIR")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}

// processFile runs goimports on file and either writes the result back
// (write) or prints it; notebookDir is the folder whose notebooks declare
// the kernel's names ("" for none).
func processFile(file string, write bool, notebookDir string) error {
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	out, err := process(file, src, notebookDir)
	if err != nil {
		return err
	}
	if !write {
		_, err = os.Stdout.Write(out)
		return err
	}
	if bytes.Equal(src, out) {
		return nil
	}
	fi, err := os.Stat(file)
	if err != nil {
		return err
	}
	return os.WriteFile(file, out, fi.Mode().Perm())
}

// options are cmd/goimports' defaults (Fragment: a file without a package
// clause is accepted, as upstream does).
var options = &imports.Options{Comments: true, TabIndent: true, TabWidth: 8, Fragment: true}

// process is goimports on one file's source, refusing a source that uses a
// name only a notebook in notebookDir declares (see undeclaredError).
func process(file string, src []byte, notebookDir string) ([]byte, error) {
	out, err := imports.Process(file, src, options)
	if err != nil {
		return nil, err
	}
	if notebookDir == "" {
		return out, nil
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, 0)
	if err != nil {
		// A fragment without a package clause, as upstream accepts it:
		// no GoNB cell.
		return out, nil
	}
	uses := undeclaredUses(fset, f, file)
	if len(uses) == 0 {
		return out, nil
	}
	decls := notebookDeclarations(notebookDir)
	added := addedImports(f.Imports, out)
	var missing []missingName
	for _, u := range uses {
		if d, ok := decls[u.Name]; ok {
			missing = append(missing, missingName{use: u, Decls: d, Import: added[u.Name]})
		}
	}
	// A name goimports imported nothing for may still come from an import
	// whose package name is not its path's (github.com/ajstarks/svgo is
	// package svg) or from a dot import: ask the go command, and refuse
	// only what is surely missing.
	if slices.ContainsFunc(missing, func(m missingName) bool { return m.Import == "" }) {
		names, complete := importedNames(filepath.Dir(file), f.Imports)
		missing = slices.DeleteFunc(missing, func(m missingName) bool {
			return m.Import == "" && (!complete || names[m.Name])
		})
	}
	if len(missing) == 0 {
		return out, nil
	}
	return nil, undeclaredError{File: filepath.Base(file), Missing: missing}
}
