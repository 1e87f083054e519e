// Command gencheckpoint writes the tiny PyTorch checkpoint the tests use,
// testdata/weights/tiny_resnet.pth: torchvision's resnet18 topology and
// state-dict keys at width 4 instead of 64, with seeded random values, in
// the zip format torch.save writes (torch ≥ 1.6):
//
//	<name>/data.pkl    pickle (protocol 2) of an OrderedDict of tensors; each
//	                   tensor is torch._utils._rebuild_tensor_v2(storage,
//	                   offset, size, stride, requires_grad, hooks) and each
//	                   storage a persistent id ("storage", torch.FloatStorage,
//	                   "<record>", "cpu", numel)
//	<name>/data/<n>    the storages, raw little-endian
//	<name>/byteorder   "little"
//	<name>/version     "3"
//
// Usage (from the repository root):
//
//	go run ./internal/cmd/gencheckpoint -out testdata/weights/tiny_resnet.pth
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/fastgo-ml/fastgo/fastgo/vision/models"
)

func main() {
	out := flag.String("out", "testdata/weights/tiny_resnet.pth", "checkpoint to write")
	width := flag.Int("width", 4, "stem width (torchvision: 64)")
	classes := flag.Int("classes", 10, "outputs of the fc layer (skipped on import, present as in torchvision)")
	seed := flag.Uint64("seed", 1, "random seed of the values")
	legacy := flag.Bool("legacy", false, "write the pre-1.6 (non-zip) format")
	flag.Parse()
	arch := models.ResNet18.Scaled(*width)
	var data []byte
	var err error
	if *legacy {
		data = LegacyCheckpoint(arch, *classes, *seed)
	} else {
		data, err = Checkpoint(arch, *classes, *seed)
	}
	if err == nil {
		err = os.WriteFile(*out, data, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencheckpoint:", err)
		os.Exit(1)
	}
}
