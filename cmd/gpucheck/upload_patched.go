//go:build xla && goxla_patched

package main

import (
	"fmt"
	"unsafe"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/go-xla/pjrt"
)

// Built only against go-xla with bench/upstream's
// go-xla-v0.4.13-async-dma-serialize.patch (scripts/gpu-bundle.sh's
// second gpucheck): transfers from DMA-mapped (pinned) host memory, the
// copy XLA makes into its staging buffer skipped (PyTorch's pin_memory).

// pinned is a page-aligned C allocation registered with the device.
type pinned struct {
	ptr  unsafe.Pointer
	data []byte
}

func newPinned(client *pjrt.Client, size int) (*pinned, error) {
	ptr := pjrt.AlignedAlloc(uintptr(size), 4096)
	if err := client.DmaMap(ptr, size); err != nil {
		pjrt.AlignedFree(ptr)
		return nil, fmt.Errorf("DmaMap of %d bytes: %w", size, err)
	}
	return &pinned{ptr: ptr, data: unsafe.Slice((*byte)(ptr), size)}, nil
}

func patchedUploadWays(be backendT) []uploadWay {
	withClient, ok := be.(interface{ PJRTClient() *pjrt.Client })
	if !ok {
		return nil
	}
	client := withClient.PJRTClient()
	// One mapped buffer per size, mapped once (as a loader's pool would
	// be), not timed: the process ends after the part.
	mapped := map[int]*pinned{}
	way := func(async bool) func(backendT, []byte, []int) error {
		return func(_ backendT, data []byte, dims []int) error {
			p := mapped[len(data)]
			if p == nil {
				var err error
				if p, err = newPinned(client, len(data)); err != nil {
					return err
				}
				mapped[len(data)] = p
				copy(p.data, data) // the loader would collate here directly
			}
			cfg := client.BufferFromHost().FromRawData(p.data, dtypes.Uint8, dims)
			if !async {
				buf, err := cfg.Done()
				if err == nil {
					err = buf.Destroy()
				}
				return err
			}
			buf, done, err := cfg.DoneAsync()
			if err != nil {
				return err
			}
			if err := done.AwaitAndFree(); err != nil {
				return err
			}
			return buf.Destroy()
		}
	}
	return []uploadWay{{"dma-mapped", way(false)}, {"dma-mapped async", way(true)}}
}
