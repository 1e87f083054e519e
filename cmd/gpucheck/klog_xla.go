//go:build xla

package main

import (
	"flag"
	"os"

	"k8s.io/klog/v2"
)

// GPUCHECK_XLA_LOG=1 turns on go-xla's V(1) log (to stderr): "Compiled in
// …" for every XLA compilation, which the device run's summary reads to
// split a first step into compilation and the rest. It also logs every
// execution: for the compile part only.
func init() {
	v := os.Getenv("GPUCHECK_XLA_LOG")
	if v == "" {
		return
	}
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("v", v)
	_ = fs.Set("logtostderr", "true")
}
