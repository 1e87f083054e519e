// Command backendinfo prints, as JSON, the GoMLX backend fastgo would choose
// on this machine (backend.Choose), the PJRT plugins and the NVIDIA
// GPUs it found. `go run ./kernel doctor` runs it, with the kernel's
// environment, so the kernel command itself imports nothing of the library.
//
//	go run ./kernel/backendinfo
package main

import (
	"encoding/json"
	"os"

	"github.com/fastgo-ml/fastgo/fastgo/backend"
)

// Info is the printed report; kernel/doctor.go decodes the same fields.
type Info struct {
	Choice  backend.Choice   `json:"choice"`
	Error   string           `json:"error,omitempty"`
	XLA     bool             `json:"xla"`
	Plugins []backend.Plugin `json:"plugins"`
	GPUs    []backend.GPU    `json:"gpus"`
}

func main() {
	info := Info{XLA: backend.XLACompiled(), Plugins: backend.FindPlugins(), GPUs: backend.FindGPUs()}
	choice, err := backend.Choose()
	if err != nil {
		info.Error = err.Error()
	}
	info.Choice = choice
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(info); err != nil {
		os.Exit(1)
	}
}
