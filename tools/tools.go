//go:build tools

// Package tools pins the versions of the programs the fastgo kernel needs
// (GoNB v0.11.5, golang.org/x/tools v0.52.0 for ./goimports, the kernel's
// goimports) and the linter the project runs (staticcheck v0.8.2).
//
// It is a module of its own so that the tools' dependencies never reach the
// library's go.mod. `go run ./kernel install` builds them from here:
//
//	cd tools && go install github.com/janpfeifer/gonb ./goimports honnef.co/go/tools/cmd/staticcheck
//
// (`go install github.com/janpfeifer/gonb@v0.11.5` does not work behind the
// project's module proxy: it asks for the version list, which is refused.)
//
// gopls is not here: gopls v0.23.0 needs the golang.org/x/tools pseudo-version
// its own go.mod names, and fails to compile against x/tools v0.52.0. It is
// built in its own module context with `go install golang.org/x/tools/gopls@v0.23.0`
// (an exact version, which the proxy serves).
package tools

import (
	_ "github.com/janpfeifer/gonb"
	_ "honnef.co/go/tools/cmd/staticcheck"
)
