package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/fastgo-ml/fastgo/fastgo/backend"
)

const usage = `fastgo classifies images with a model exported by learner.Export, or by
fastai's learn.export (export.pkl: a ResNet18/34/50 vision learner).

Usage:
  fastgo predict MODEL IMAGE... [-k 3] [-json]
  fastgo serve MODEL [-addr 127.0.0.1:8080] [-max-batch 16] [-max-wait 5ms] [-max-body 20MiB] [-k 5]
  fastgo export-onnx MODEL OUT.onnx
  fastgo healthcheck [-addr 127.0.0.1:8080] [-timeout 3s]

Run "fastgo predict -h", "fastgo serve -h", "fastgo export-onnx -h" or "fastgo healthcheck -h" for every flag.
`

func main() {
	setGCTarget(os.LookupEnv)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// setGCTarget gives this process — fastgo's own program, not a library
// caller's — the garbage collector's target backend.GoGCPercent unless
// GOGC is set: the backend's pooled tensors count as live, so at Go's
// default the garbage of decoded images may grow to their size before a
// collection (make bench-serve, ResNet18 at 128 px: peak 940 MiB at GOGC
// 100, 524 at 25, at the same requests/s).
func setGCTarget(lookup func(string) (string, bool)) {
	if _, set := lookup("GOGC"); !set {
		debug.SetGCPercent(backend.GoGCPercent)
	}
}

// run is the command with its arguments; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "predict":
		return predictCmd(args[1:], stdout, stderr)
	case "serve":
		return serveCmd(args[1:], stdout, stderr)
	case "export-onnx":
		return exportONNXCmd(args[1:], stdout, stderr)
	case "healthcheck":
		return healthcheckCmd(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "fastgo: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// parseArgs parses fs's flags wherever they are among args (Go's flag
// package stops at the first argument that is not one) and returns the
// other arguments. When !ok the command ends with exit status (0 after
// -h, 2 after a bad flag; the flag package has said why).
func parseArgs(fs *flag.FlagSet, args []string) (rest []string, ok bool, status int) {
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, false, 0
			}
			return nil, false, 2
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, true, 0
		}
		rest, args = append(rest, args[0]), args[1:]
	}
}

// badArgs ends a command whose arguments (those that are not flags) are
// wrong: it says what the command wants and what it got, then prints the
// usage; the exit status is 2.
func badArgs(fs *flag.FlagSet, stderr io.Writer, want string, got []string) int {
	fmt.Fprintf(stderr, "%s: %s; got %s\n\n", fs.Name(), want, describeArgs(got))
	fs.Usage()
	return 2
}

// describeArgs is args for an error: their count and each one quoted.
func describeArgs(args []string) string {
	if len(args) == 0 {
		return "none"
	}
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	return fmt.Sprintf("%d: %s", len(args), strings.Join(q, " "))
}

// flagProblems collects what is wrong with a command's flag values, one
// line each that names the flag and its value and says what to give
// ("-k 0: give a number ≥ 1").
type flagProblems []string

// check adds the problem format describes unless ok.
func (p *flagProblems) check(ok bool, format string, args ...any) {
	if !ok {
		*p = append(*p, fmt.Sprintf(format, args...))
	}
}

// report writes every problem under the command's name and says whether
// there was any (the command then ends with exit status 2).
func (p flagProblems) report(fs *flag.FlagSet, stderr io.Writer) bool {
	for _, line := range p {
		fmt.Fprintf(stderr, "%s: %s\n", fs.Name(), line)
	}
	return len(p) > 0
}
