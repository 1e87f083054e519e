// Command backendinfo prints, as JSON, the GoMLX backend fastgo would choose
// on this machine (fastgo.ChooseBackend), the PJRT plugins and the NVIDIA
// GPUs it found. `go run ./kernel doctor` runs it, with the kernel's
// environment, so the kernel command itself imports nothing of the library.
//
//	go run ./kernel/backendinfo
package main

import (
	"encoding/json"
	"os"

	"github.com/fastgo-ml/fastgo/fastgo"
)

// Info is the printed report; kernel/doctor.go decodes the same fields.
type Info struct {
	Choice  fastgo.Choice   `json:"choice"`
	Error   string          `json:"error,omitempty"`
	XLA     bool            `json:"xla"`
	Plugins []fastgo.Plugin `json:"plugins"`
	GPUs    []fastgo.GPU    `json:"gpus"`
}

func main() {
	info := Info{XLA: fastgo.XLACompiled(), Plugins: fastgo.FindPlugins(), GPUs: fastgo.FindGPUs()}
	choice, err := fastgo.ChooseBackend()
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
