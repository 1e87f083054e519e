package display_test

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/fastgo-ml/fastgo/display"
)

// In a terminal a table is aligned text; in a notebook the same call shows
// an HTML table.
func ExampleShowTable() {
	os.Setenv(display.EnvDisplay, "terminal")
	defer os.Unsetenv(display.EnvDisplay)
	display.ShowTable(display.Table{
		Columns: []string{"epoch", "train_loss", "valid_loss", "error_rate", "time"},
		Rows:    [][]string{{"0", "1.551305", "0.322132", "0.106225", "01:06"}},
	})
	// Output:
	// epoch     train_loss  valid_loss  error_rate  time
	// 0         1.551305    0.322132    0.106225    01:06
}

// A live table prints its header, then each row as it arrives.
func ExampleLiveTable() {
	os.Setenv(display.EnvDisplay, "terminal")
	defer os.Unsetenv(display.EnvDisplay)
	t := display.NewLiveTable([]string{"epoch", "train_loss", "time"})
	for epoch, loss := range []float64{0.612340, 0.401200} {
		t.Append([]string{fmt.Sprint(epoch), fmt.Sprintf("%.6f", loss), display.FormatDuration(21)})
	}
	// Output:
	// epoch     train_loss  time
	// 0         0.612340    00:21
	// 1         0.401200    00:21
}

// Plots are shown inline in a notebook, or saved under OutputDir() with their
// path printed.
func ExamplePlotFunction() {
	dir, err := os.MkdirTemp("", "display")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	os.Setenv(display.EnvDisplay, "terminal")
	os.Setenv(display.EnvOutputDir, dir)
	defer os.Unsetenv(display.EnvDisplay)
	defer os.Unsetenv(display.EnvOutputDir)
	display.SetOutput(io.Discard) // the printed path varies
	defer display.SetOutput(nil)

	p, err := display.PlotFunction(func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, -4, 4, "sigmoid", "x", "y")
	if err != nil {
		fmt.Println(err)
		return
	}
	path, err := display.ShowPlot(p, "sigmoid")
	fmt.Println(path == filepath.Join(dir, "sigmoid.png"), err)
	// Output:
	// true <nil>
}
