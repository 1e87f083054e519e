package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

func main() {
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run ./notebooks/check EXECUTED.ipynb...")
		flag.PrintDefaults()
	}
	noShot := flag.Bool("no-screenshot", false, "skip the screenshot check (no browser here)")
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	failed := false
	for _, nb := range flag.Args() {
		rep, err := checkNotebook(nb, !*noShot)
		if err != nil {
			fmt.Fprintf(os.Stderr, "FAIL %s: %v\n", nb, err)
			failed = true
			continue
		}
		if len(rep.Problems) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL %s:\n  %s\n", nb, strings.Join(rep.Problems, "\n  "))
			failed = true
			continue
		}
		fmt.Printf("ok   %s: %s\n", nb, rep.Summary())
	}
	if failed {
		os.Exit(1)
	}
}
