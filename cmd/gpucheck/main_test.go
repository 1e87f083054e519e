package main

import (
	"strings"
	"testing"
)

func TestPrintTableRatios(t *testing.T) {
	ours := []result{
		{Part: "train", DType: "float32", ImgPerS: 900},
		{Part: "train", DType: "bfloat16", ImgPerS: 1500},
		{Part: "aug", DType: "float32", Note: "failed: boom"},
		{Part: "finetune", DType: "float32", Seconds: 30, Note: "pretrained"},
	}
	theirs := []result{
		{Part: "train", DType: "float32", ImgPerS: 1200},
		{Part: "aug", DType: "float32", ImgPerS: 5000},
		{Part: "finetune", DType: "float32", Seconds: 45},
	}
	var b strings.Builder
	printTable(&b, ours, theirs)
	rows := map[string]string{}
	for _, line := range strings.Split(b.String(), "\n") {
		if f := strings.Fields(line); len(f) > 2 {
			rows[f[0]+"/"+f[1]] = line
		}
	}
	for key, want := range map[string]string{
		"train/float32":    "0.75x", // fastgo at 900 img/s, PyTorch at 1200
		"train/bfloat16":   "—",     // no PyTorch figure: no ratio
		"aug/float32":      "failed: boom",
		"finetune/float32": "1.50x", // 30 s against 45 s: fastgo faster
	} {
		if !strings.Contains(rows[key], want) {
			t.Errorf("row %s = %q, want it to contain %q\n%s", key, rows[key], want, b.String())
		}
	}
}
