package display

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// docPackages are the short names Doc accepts for fastgo's packages.
var docPackages = map[string]string{
	"fastgo":   "github.com/fastgo-ml/fastgo/fastgo",
	"external": "github.com/fastgo-ml/fastgo/fastgo/external",
	"backend":  "github.com/fastgo-ml/fastgo/fastgo/backend",
	"device":   "github.com/fastgo-ml/fastgo/fastgo/device",
	"vision":   "github.com/fastgo-ml/fastgo/fastgo/vision",
	"augment":  "github.com/fastgo-ml/fastgo/fastgo/vision/augment",
	"models":   "github.com/fastgo-ml/fastgo/fastgo/vision/models",
	"cnn":      "github.com/fastgo-ml/fastgo/fastgo/vision/cnn",
	"learner":  "github.com/fastgo-ml/fastgo/fastgo/learner",
	"interp":   "github.com/fastgo-ml/fastgo/fastgo/interp",
	"tensor":   "github.com/fastgo-ml/fastgo/fastgo/tensor",
	"fastbook": "github.com/fastgo-ml/fastgo/fastgo/fastbook",
	"display":  "github.com/fastgo-ml/fastgo/display",
}

// Doc shows the documentation of name as `go doc` prints it — fastai's
// `doc(learn.fine_tune)` and Jupyter's `?`; in a notebook it is what
// Shift+Tab would show, and works where the classic notebook's tooltip
// stays empty. name is "cnn.Learner", "learner.Learner.FineTune",
// "fastgo.GetImageFiles" (fastgo's packages by their last element) or
// anything `go doc` takes ("strings.Fields"); flags go to go doc ("-src"
// for fastai's `??`, "-all"). It needs the go command, which a notebook
// kernel has. Errors carry go doc's message (no such symbol, no go).
func Doc(name string, flags ...string) error {
	target := name
	if pkg, rest, ok := strings.Cut(name, "."); ok {
		if full, known := docPackages[pkg]; known {
			target = full + "." + rest
		}
	} else if full, known := docPackages[name]; known {
		target = full
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append(append([]string{"doc"}, flags...), target)...)
	// In a notebook, GoNB's module (which requires fastgo) resolves the names.
	if dir := os.Getenv("GONB_TMP_DIR"); dir != "" {
		cmd.Dir = dir
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return fmt.Errorf("display.Doc(%q): go doc %s: %s", name, target, msg)
	}
	ShowText(strings.TrimRight(string(out), "\n"))
	return nil
}
