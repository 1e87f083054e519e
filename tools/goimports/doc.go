// Command goimports is the goimports the fastgo kernel gives GoNB: the
// upstream golang.org/x/tools/cmd/goimports (same pinned x/tools, same
// output), plus one rule for notebooks.
//
// GoNB runs `goimports -w main.go` on every cell. After a kernel restart the
// notebook's variables are gone, and a cell that uses one (the book's `path`,
// from `var path = external.MustUntarData(external.URLs.Pets)`) either fails with
// "undefined: path" or, worse, gets Go's standard package `path` imported in
// its place and fails with a type error about a package the user never
// imported. This goimports looks at the notebooks in the kernel's folder
// (GoNB's GONB_DIR, the notebook's own folder) and, when the cell uses a name
// that is declared in none of the kernel's code but in a notebook cell, it
// refuses with a message that names the notebook and the cell to run:
//
//	main.go:12:14: path is not declared in this kernel session: run the cell that declares it first:
//	    05_pet_breeds.ipynb, code cell 1: var path = external.MustUntarData(external.URLs.Pets)
//	    (Cell > Run All Above runs every cell above this one.)
//	    If you meant the package "path", import it in this cell: import "path"
//
// Everything else is goimports as upstream (options included; only the -w
// flag and file arguments). `kernel install` builds it into a folder of its
// own, BIN/fastgo-kernel, that only the kernelspec's PATH lists first, so a
// goimports the user's editor runs from $GOBIN is never replaced.
//
// GoNB runs goimports for Tab and Shift+Tab too, so in a cell that uses such
// a name those show nothing until its cell runs (as the cell could not
// compile).
//
// Usage:
//
//	goimports [-w] file.go...
//
// Without -w it prints the result; the exit status is 1 on any error, with
// the errors on stderr as file:line:col: message.
package main
