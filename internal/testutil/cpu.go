package testutil

import "syscall"

// CPUSeconds is the user+system CPU time of this process so far:
// benchmarks report work per CPU-second, the figure a shared machine's
// load does not change.
func CPUSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
