package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
)

func main() {
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run ./notebooks/check [-images N] EXECUTED.ipynb...")
		flag.PrintDefaults()
	}
	noShot := flag.Bool("no-screenshot", false, "skip the screenshot check (no browser here)")
	images := flag.Int("images", -1, "how many images the notebooks' dataset holds: fills {images} in their expected texts")
	flag.Parse()
	vars := map[string]string{}
	if *images >= 0 {
		vars["images"] = strconv.Itoa(*images)
	}
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	failed := false
	for _, nb := range flag.Args() {
		rep, err := checkNotebook(nb, !*noShot, vars)
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
