package backend

import "testing"

// TestAvailableMemoryOnCUDAAsksNvidiaSMI: on a CUDA backend the memory
// check's figure is the GPU's memory from nvidia-smi. AvailableMemory
// asked an empty env, which never runs nvidia-smi: the figure was never
// known there, and the pre-fit memory check was silently off on GPUs.
func TestAvailableMemoryOnCUDAAsksNvidiaSMI(t *testing.T) {
	m := newFakeMachine(t)
	m.smi = "NVIDIA H100 80GB HBM3, 81559 MiB\n"
	got, ok := availableMemory("cuda", m.env())
	if !ok || !got.GPU || got.Bytes != 81559<<20 || got.Where != "NVIDIA H100 80GB HBM3: 79.65G of GPU memory" {
		t.Errorf("availableMemory(cuda) = %+v, %v; want the GPU's 81559 MiB from nvidia-smi", got, ok)
	}
	if _, ok := availableMemory("cuda", newFakeMachine(t).env()); ok {
		t.Error("availableMemory(cuda) without nvidia-smi says it knows")
	}
}
