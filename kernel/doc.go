// Command kernel installs and checks the fastgo Jupyter kernel: GoNB with
// fastgo ready to import.
//
//	go run ./kernel install   # tools, Jupyter, the "Go (fastgo)" kernelspec, a warm build cache
//	go run ./kernel doctor    # what is present, what is missing, and the fix for each
//
// install builds GoNB v0.11.5 and the kernel's goimports (tools/goimports:
// golang.org/x/tools v0.52.0's, plus a rule that names the cell to run when a
// cell uses a notebook variable the kernel has not declared, as after a
// restart; into BIN/fastgo-kernel, which only the kernelspec's PATH lists
// first) from the pinned tools module (tools/go.mod) and gopls v0.23.0 by
// exact version into a bin folder BIN
// (-bin, default $GOBIN or ~/.fastgo/bin); installs Debian's Jupyter with
// apt-get when /usr/bin/jupyter is missing (-skip-jupyter to leave it);
// writes the kernelspec "fastgo" into the Jupyter data folder
// ($JUPYTER_DATA_DIR or ~/.local/share/jupyter); and builds fastgo the way a
// notebook cell does, so the first cell of a notebook is fast.
//
// The kernelspec starts GoNB with `--go_work=<this checkout>`: every notebook
// gets a go.work that uses this checkout, so
// `import "github.com/fastgo-ml/fastgo/fastgo"` resolves here with no setup
// cell, and edits to the library are seen by the next cell. Its environment
// puts the bin folder and Go on PATH, sets GOTOOLCHAIN=go1.27.3 (cells
// build with the library's Go; an older go command fetches it),
// GOEXPERIMENT=simd (the pure-Go backend's SIMD kernels) and
// GOMLX_NO_AUTO_INSTALL; a small sh launcher appends -ldflags=-w (cells link
// faster without DWARF) to the GOFLAGS Jupyter was started with, rather
// than replacing them; with -xla (default: when a PJRT plugin is found and
// cgo works) it appends -tags=xla too, so notebooks can run on XLA/CUDA
// (see backend.Choose), and -tags=libjpeg when libjpeg-turbo's headers are
// there (decoding at a GPU's rate). `doctor` shows the flags cells are
// built with.
//
// The kernel command imports nothing of the library, so it works even while
// the library does not build; doctor asks a small helper program
// (kernel/backendinfo) for the backend fastgo would choose.
package main
