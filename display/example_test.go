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

// fastai's epoch table as fastprogress prints it in a console.
func ExampleTable_Text() {
	t := display.Table{
		Columns: []string{"epoch", "train_loss", "valid_loss", "error_rate", "time"},
		Rows: [][]string{
			{"0", "1.551305", "0.322132", "0.106225", "01:06"},
			{"1", "0.529473", "0.312148", "0.095399", "01:07"},
		},
	}
	fmt.Println(t.Text())
	// Output:
	// epoch     train_loss  valid_loss  error_rate  time
	// 0         1.551305    0.322132    0.106225    01:06
	// 1         0.529473    0.312148    0.095399    01:07
}

// Columns widen to their longest value, so long class names stay aligned.
func ExampleTable_Text_wide() {
	t := display.Table{
		Columns: []string{"actual", "predicted", "count"},
		Rows: [][]string{
			{"american_pit_bull_terrier", "staffordshire_bull_terrier", "10"},
			{"Ragdoll", "Birman", "8"},
		},
	}
	fmt.Println(t.Text())
	// Output:
	// actual                     predicted                   count
	// american_pit_bull_terrier  staffordshire_bull_terrier  10
	// Ragdoll                    Birman                      8
}

// fastprogress' bar as a terminal shows it: prefix, bar, percentage, done
// of total, elapsed<remaining (mm:ss) and the comment (fastai's smoothed
// loss). Redraws are throttled to about five a second; Done draws the last
// Update.
func ExampleProgressBar_Text() {
	display.SetOutput(io.Discard) // the bar's own `\r` line; this example prints its text
	defer display.SetOutput(nil)
	bar := display.NewProgressBar(64, "Epoch 1/3 :")
	for i := 1; i <= 29; i++ {
		bar.Update(i, "0.5432")
	}
	bar.Done()
	fmt.Println(bar.Text())
	// Output:
	// Epoch 1/3 : |██████████████████----------------------| 45.31% [29/64 00:00<00:00 0.5432]
}
