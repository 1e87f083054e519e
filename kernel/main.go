package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

const usage = `usage:
  go run ./kernel install [-bin DIR] [-skip-jupyter] [-skip-warm] [-xla auto|on|off] [-repo DIR]
  go run ./kernel doctor  [-bin DIR] [-repo DIR]
`

func main() {
	if err := runMain(hostSystem(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "kernel:", err)
		os.Exit(1)
	}
}

func runMain(s system, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("a command is needed\n%s", usage)
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(s.out)
	bin := fs.String("bin", "", "folder for gonb, goimports and gopls (default $GOBIN, else ~/.fastgo/bin)")
	repo := fs.String("repo", "", "the fastgo checkout (default: found from the current folder)")
	var o installOptions
	if args[0] == "install" {
		fs.BoolVar(&o.SkipJupyter, "skip-jupyter", false, "do not install Debian's Jupyter when it is missing")
		fs.BoolVar(&o.SkipWarm, "skip-warm", false, "do not pre-build fastgo")
		fs.StringVar(&o.XLA, "xla", "auto", "build notebook cells with -tags xla: on, off, or auto (when a PJRT plugin is found and gcc exists)")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	root := *repo
	if root == "" {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		if root, err = findRepo(wd); err != nil {
			return err
		}
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	binDir := s.binDir(*bin)

	switch args[0] {
	case "install":
		if o.XLA != "auto" && o.XLA != "on" && o.XLA != "off" {
			return fmt.Errorf("-xla=%q: use auto, on or off", o.XLA)
		}
		o.Repo, o.BinDir = root, binDir
		return install(s, o)
	case "doctor":
		fmt.Fprintf(s.out, "fastgo doctor: checkout %s, tools in %s\n\n", root, binDir)
		if !printReport(s.out, doctor(s, root, binDir)) {
			return fmt.Errorf("doctor found missing pieces")
		}
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", args[0], usage)
	}
}
