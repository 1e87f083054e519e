package testutil

import (
	"os"
	"sync"

	"github.com/gomlx/compute"
	_ "github.com/gomlx/compute/gobackend" // the pure-Go backend
)

// Backend is the pure-Go backend the tests share, created once per test
// binary with parallelism=-1 (its default can deadlock on 2 cores) and
// quietly: the backend prints its parallelism setting on stdout, which
// would end up in Example outputs.
var Backend = sync.OnceValue(func() compute.Backend {
	stdout := os.Stdout
	if devnull, err := os.Open(os.DevNull); err == nil {
		os.Stdout = devnull
		defer func() { os.Stdout = stdout; devnull.Close() }()
	}
	b, err := compute.NewWithConfig("go:parallelism=-1")
	if err != nil {
		panic(err)
	}
	return b
})
