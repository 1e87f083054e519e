// Package backend chooses the GoMLX compute backend a fastgo process runs
// on, and says what the machine offers it: PJRT plugins, NVIDIA GPUs and
// the memory a fit may use.
//
// [Default] creates the backend once per process — GOMLX_BACKEND when set,
// else XLA on a CUDA or CPU PJRT plugin (in builds with -tags xla), else
// GoMLX's pure-Go backend, which needs nothing installed — and prints the
// choice once (in a notebook, once per kernel session). [Choose] says what
// it would choose and why, without creating anything; `go run ./kernel
// doctor` prints it.
//
//	b := backend.Default() // "fastgo: backend go:parallelism=-1 (pure Go on the CPU, 2 threads) — no NVIDIA GPU, no PJRT plugin found"
//	c, err := backend.Choose()
//	fmt.Println(c.Device, c.Reason)
//
// GoMLX's own default links XLA, downloads plugins from the internet and
// panics on an unknown name; this package validates GOMLX_BACKEND, keeps
// plugin downloads off unless FASTGO_AUTO_INSTALL is set, and falls back
// visibly (the error, then the next candidate), never silently.
//
// Machine facts: [FindPlugins] lists the PJRT plugin files it can load,
// [FindGPUs] the GPUs the NVIDIA driver reports, [AvailableMemory] what the
// backend's device offers this process (a GPU's memory, or the RAM left
// under cgroup and ulimit limits). They only read files, variables and
// nvidia-smi: no cgo, no XLA.
//
// Errors: Choose returns an error that says what to do for a GOMLX_BACKEND
// this build cannot honour; Default never fails (the pure-Go backend is
// always there) but prints what it skipped.
package backend
