package display

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strings"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// TitledImage is one cell of an image grid: the image and the title shown
// above it ("" for none; "\n" starts a new line).
type TitledImage struct {
	Image image.Image
	Title string
}

// Grid layout, in pixels.
const (
	gridPad      = 8   // margin and gap between cells
	minCell      = 128 // small images (e.g. 28×28 digits) are enlarged to this
	maxCell      = 256 // large photos are reduced to this
	titleSize    = 14  // cell title font size
	suptitleSize = 18  // grid title font size
	maxTitleRows = 4   // longer titles are cut with "…"
)

// ShowImages shows images in a grid of ncols columns (ncols <= 0: about
// square), each scaled to a common cell size (its longer side between 128 and
// 256 px, aspect kept) with its title (wrapped to the cell width, at most 4
// lines) just above it. In a notebook the grid is shown
// inline as a PNG and "" is returned; in a terminal it is written to
// OutputDir()/name.png, whose path is printed and returned.
func ShowImages(images []TitledImage, ncols int, name string) (string, error) {
	grid, err := renderGrid(images, ncols, "")
	if err != nil {
		return "", fmt.Errorf("display.ShowImages %q: %w", name, err)
	}
	return ShowImage(grid, name)
}

// ShowImage shows one image as it is: inline PNG in a notebook (returns ""),
// or OutputDir()/name.png in a terminal (path printed and returned).
func ShowImage(img image.Image, name string) (string, error) {
	if img == nil {
		return "", fmt.Errorf("display.ShowImage %q: image is nil", name)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("display.ShowImage %q: encode PNG: %w", name, err)
	}
	return showPNG(buf.Bytes(), name)
}

// showPNG displays encoded PNG data inline or writes it to OutputDir().
func showPNG(data []byte, name string) (string, error) {
	if InNotebook() {
		displayPNG(data, name)
		return "", nil
	}
	path, err := writeFile(name, ".png", data)
	if err != nil {
		return "", err
	}
	term.println(path)
	return path, nil
}

// RenderGrid draws images in a grid as ShowImages does, with an optional
// overall title on top (e.g. plot_top_losses' "Prediction/Actual/Loss/
// Probability"), and returns the picture for further use or ShowImage.
func RenderGrid(images []TitledImage, ncols int, title string) (*image.RGBA, error) {
	g, err := renderGrid(images, ncols, title)
	if err != nil {
		return nil, fmt.Errorf("display.RenderGrid: %w", err)
	}
	return g, nil
}

func renderGrid(images []TitledImage, ncols int, title string) (*image.RGBA, error) {
	n := len(images)
	if n == 0 {
		return nil, fmt.Errorf("no images to show")
	}
	for i, im := range images {
		if im.Image == nil || im.Image.Bounds().Empty() {
			return nil, fmt.Errorf("image %d (title %q) is nil or empty", i, im.Title)
		}
	}
	if ncols <= 0 {
		ncols = int(math.Ceil(math.Sqrt(float64(n))))
	}
	ncols = min(ncols, n)
	nrows := (n + ncols - 1) / ncols

	cell := 0
	for _, im := range images {
		b := im.Image.Bounds()
		cell = max(cell, b.Dx(), b.Dy())
	}
	cell = min(max(cell, minCell), maxCell)

	face, err := newFace(titleSize)
	if err != nil {
		return nil, err
	}
	defer face.Close()
	lineH := face.Metrics().Height.Ceil()

	// Each row is as tall as its tallest title and its tallest scaled image;
	// images hang just below their titles.
	titles := make([][]string, n)
	sizes := make([]image.Point, n)
	titleH := make([]int, nrows)
	imageH := make([]int, nrows)
	for i, im := range images {
		r := i / ncols
		titles[i] = wrapText(face, im.Title, cell, maxTitleRows)
		if len(titles[i]) > 0 {
			titleH[r] = max(titleH[r], len(titles[i])*lineH+gridPad/2)
		}
		sizes[i] = fitSize(im.Image.Bounds().Size(), cell)
		imageH[r] = max(imageH[r], sizes[i].Y)
	}

	width := ncols*cell + (ncols+1)*gridPad
	var supFace font.Face
	var supLines []string
	supH := 0
	if title != "" {
		f, err := newFace(suptitleSize)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		supFace = f
		supLines = wrapText(f, title, width-2*gridPad, maxTitleRows)
		supH = len(supLines)*f.Metrics().Height.Ceil() + gridPad
	}
	rowTop := make([]int, nrows)
	height := supH + gridPad
	for r := range nrows {
		rowTop[r] = height
		height += titleH[r] + imageH[r] + gridPad
	}
	dst := image.NewRGBA(image.Rect(0, 0, width, height))
	xdraw.Draw(dst, dst.Bounds(), image.White, image.Point{}, xdraw.Src)

	if supFace != nil {
		drawLines(dst, supFace, supLines, 0, gridPad, width)
	}
	for i, im := range images {
		r, c := i/ncols, i%ncols
		x0 := gridPad + c*(cell+gridPad)
		imgTop := rowTop[r] + titleH[r]
		drawLines(dst, face, titles[i], x0, imgTop-gridPad/2-len(titles[i])*lineH, cell)
		x := x0 + (cell-sizes[i].X)/2
		placeImage(dst, im.Image, image.Rectangle{Min: image.Pt(x, imgTop), Max: image.Pt(x, imgTop).Add(sizes[i])})
	}
	return dst, nil
}

// fitSize scales size to fit a cell×cell square, keeping the aspect ratio.
func fitSize(size image.Point, cell int) image.Point {
	scale := min(float64(cell)/float64(size.X), float64(cell)/float64(size.Y))
	return image.Pt(max(int(math.Round(float64(size.X)*scale)), 1), max(int(math.Round(float64(size.Y)*scale)), 1))
}

// placeImage draws src scaled into box. Enlargements of 2× or more use
// nearest-neighbour so small images (digits) stay crisp, as matplotlib's
// imshow shows them.
func placeImage(dst *image.RGBA, src image.Image, box image.Rectangle) {
	sb := src.Bounds()
	var s xdraw.Scaler = xdraw.CatmullRom
	if box.Dx() >= 2*sb.Dx() {
		s = xdraw.NearestNeighbor
	}
	s.Scale(dst, box, src, sb, xdraw.Over, nil)
}

// newFace returns a Go Regular face of size pixels.
func newFace(size float64) (font.Face, error) {
	f, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("display: parse built-in font: %w", err)
	}
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("display: built-in font face: %w", err)
	}
	return face, nil
}

// drawLines draws lines of text centred in [x0, x0+width), the first line's
// top at y0.
func drawLines(dst *image.RGBA, face font.Face, lines []string, x0, y0, width int) {
	m := face.Metrics()
	lineH := m.Height.Ceil()
	d := &font.Drawer{Dst: dst, Src: image.NewUniform(color.Black), Face: face}
	for i, line := range lines {
		w := measure(face, line)
		d.Dot = fixed.P(x0+(width-w)/2, y0+i*lineH+m.Ascent.Ceil())
		d.DrawString(line)
	}
}

// wrapText splits s into lines no wider than width pixels: at "\n", then
// between words, then inside words too long for a line (after a '/', '_'
// or '-' when possible); more than maxRows
// lines are cut, the last ending in "…".
func wrapText(face font.Face, s string, width, maxRows int) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	fits := func(t string) bool { return measure(face, t) <= width }
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		cur := ""
		for _, word := range strings.Fields(para) {
			if cur != "" && fits(cur+" "+word) {
				cur += " " + word
				continue
			}
			if cur != "" {
				lines = append(lines, cur)
			}
			cur = ""
			for _, r := range word {
				for cur != "" && !fits(cur+string(r)) {
					// Break after the last '/', '_' or '-' if there is one, so
					// that class names split between their parts.
					k := strings.LastIndexAny(cur, "/_-") + 1
					if k <= 0 || k == len(cur) {
						k = len(cur)
					}
					lines = append(lines, cur[:k])
					cur = cur[k:]
				}
				cur += string(r)
			}
		}
		lines = append(lines, cur)
	}
	if len(lines) > maxRows {
		lines = lines[:maxRows]
		last := []rune(lines[maxRows-1])
		for len(last) > 0 && !fits(string(last)+"…") {
			last = last[:len(last)-1]
		}
		lines[maxRows-1] = string(last) + "…"
	}
	return lines
}

// measure is the width of s in pixels.
func measure(face font.Face, s string) int { return font.MeasureString(face, s).Ceil() }
