package vision

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastgo-ml/fastgo/internal/testutil"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// testImages is the folder of real pet photos bundled with the repository.
const testImages = "../../testdata/images"

// gradient is a smooth w×h NRGBA test pattern whose pixels all differ.
func gradient(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / max(w-1, 1)), uint8(y * 255 / max(h-1, 1)), uint8(128 + x - y), 255})
		}
	}
	return m
}

func encode(t testing.TB, enc func(*bytes.Buffer, image.Image) error, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := enc(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encPNG(b *bytes.Buffer, m image.Image) error  { return png.Encode(b, m) }
func encGIF(b *bytes.Buffer, m image.Image) error  { return gif.Encode(b, m, nil) }
func encBMP(b *bytes.Buffer, m image.Image) error  { return bmp.Encode(b, m) }
func encTIFF(b *bytes.Buffer, m image.Image) error { return tiff.Encode(b, m, nil) }
func encJPEG(b *bytes.Buffer, m image.Image) error {
	return jpeg.Encode(b, m, &jpeg.Options{Quality: 95})
}

// writeFile writes data to a temporary file named name and returns its path.
func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// referenceRGB is the documented colour rule written the slow way: every
// pixel through At() and the colour models (YCbCr through the same 8-bit
// formula as the JPEG decoder's).
func referenceRGB(src image.Image) Image {
	b := src.Bounds()
	out := NewImage(b.Dx(), b.Dy())
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := src.At(x, y)
			var r, g, bl uint8
			switch c := c.(type) {
			case color.YCbCr:
				r, g, bl = color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
			case color.NYCbCrA:
				r, g, bl = color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
			case color.CMYK:
				r, g, bl = color.CMYKToRGB(c.C, c.M, c.Y, c.K)
			case color.NRGBA64, color.RGBA64, color.Gray16:
				n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
				r, g, bl = uint8(n.R>>8), uint8(n.G>>8), uint8(n.B>>8)
			default:
				n := color.NRGBAModel.Convert(c).(color.NRGBA)
				r, g, bl = n.R, n.G, n.B
			}
			out.Pix[i], out.Pix[i+1], out.Pix[i+2] = r, g, bl
			i += 3
		}
	}
	return out
}

func assertSameImage(t *testing.T, what string, got, want Image) {
	t.Helper()
	if got.W != want.W || got.H != want.H {
		t.Fatalf("%s: size %dx%d, want %dx%d", what, got.W, got.H, want.W, want.H)
	}
	for i := range want.Pix {
		if got.Pix[i] != want.Pix[i] {
			p := i / 3
			t.Fatalf("%s: pixel (%d,%d) channel %d = %d, want %d", what, p%want.W, p/want.W, i%3, got.Pix[i], want.Pix[i])
		}
	}
}

// TestFromStdMatchesReference checks every fast path of FromStd (and the
// generic fallback) against the per-pixel colour models, on whole images
// and on sub-images whose odd origin shifts the chroma planes.
func TestFromStdMatchesReference(t *testing.T) {
	base := gradient(21, 13)
	decodeJPEG := func(sub image.YCbCrSubsampleRatio) image.Image {
		m := image.NewYCbCr(base.Rect, sub)
		for y := range 13 {
			for x := range 21 {
				c := base.NRGBAAt(x, y)
				yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
				m.Y[m.YOffset(x, y)] = yy
				m.Cb[m.COffset(x, y)], m.Cr[m.COffset(x, y)] = cb, cr
			}
		}
		return m
	}
	alpha := image.NewNRGBA(base.Rect)
	copy(alpha.Pix, base.Pix)
	for i := 3; i < len(alpha.Pix); i += 4 {
		alpha.Pix[i] = uint8(i * 5)
	}
	premul := image.NewRGBA(base.Rect)
	for y := range 13 {
		for x := range 21 {
			premul.Set(x, y, alpha.At(x, y))
		}
	}
	gray16 := image.NewGray16(base.Rect)
	nrgba64 := image.NewNRGBA64(base.Rect)
	rgba64 := image.NewRGBA64(base.Rect)
	cmyk := image.NewCMYK(base.Rect)
	gray := image.NewGray(base.Rect)
	pal := image.NewPaletted(base.Rect, color.Palette{color.RGBA{10, 20, 30, 255}, color.NRGBA{200, 100, 50, 128}, color.Gray{77}})
	nycc := image.NewNYCbCrA(base.Rect, image.YCbCrSubsampleRatio420)
	for y := range 13 {
		for x := range 21 {
			c := alpha.NRGBAAt(x, y)
			gray16.SetGray16(x, y, color.Gray16{uint16(x*3000 + y*17)})
			nrgba64.SetNRGBA64(x, y, color.NRGBA64{uint16(c.R)<<8 | 0x7f, uint16(c.G) << 8, uint16(c.B)<<8 | 0xff, uint16(c.A) << 8})
			rgba64.Set(x, y, nrgba64.At(x, y))
			cmyk.SetCMYK(x, y, color.CMYK{c.R, c.G, c.B, c.A})
			gray.SetGray(x, y, color.Gray{c.B})
			pal.SetColorIndex(x, y, uint8((x+y)%3))
			nycc.Y[nycc.YOffset(x, y)] = c.R
			nycc.Cb[nycc.COffset(x, y)], nycc.Cr[nycc.COffset(x, y)] = c.G, c.B
			nycc.A[nycc.AOffset(x, y)] = c.A
		}
	}
	cases := map[string]image.Image{
		"YCbCr444": decodeJPEG(image.YCbCrSubsampleRatio444),
		"YCbCr422": decodeJPEG(image.YCbCrSubsampleRatio422),
		"YCbCr420": decodeJPEG(image.YCbCrSubsampleRatio420),
		"YCbCr440": decodeJPEG(image.YCbCrSubsampleRatio440),
		"YCbCr411": decodeJPEG(image.YCbCrSubsampleRatio411),
		"NYCbCrA":  nycc,
		"Gray":     gray,
		"Gray16":   gray16,
		"NRGBA":    alpha,
		"NRGBA64":  nrgba64,
		"RGBA":     premul,
		"RGBA64":   rgba64,
		"CMYK":     cmyk,
		"Paletted": pal,
	}
	type subImager interface {
		SubImage(image.Rectangle) image.Image
	}
	for name, m := range cases {
		assertSameImage(t, name, FromStd(m), referenceRGB(m))
		sub := m.(subImager).SubImage(image.Rect(3, 1, 18, 12))
		assertSameImage(t, name+" sub-image at (3,1)", FromStd(sub), referenceRGB(sub))
	}
}

func TestFromStdColourRules(t *testing.T) {
	// Alpha is dropped: a half-transparent red stays pure red (Pillow's
	// convert("RGB")), it is not darkened by compositing over black.
	n := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	n.SetNRGBA(0, 0, color.NRGBA{255, 0, 0, 128})
	if got := FromStd(n).At(0, 0); got != (color.RGBA{255, 0, 0, 255}) {
		t.Errorf("NRGBA {255,0,0,128} became %v, want opaque red", got)
	}
	g := image.NewGray16(image.Rect(0, 0, 1, 1))
	g.SetGray16(0, 0, color.Gray16{0xabff})
	if got := FromStd(g).At(0, 0); got != (color.RGBA{0xab, 0xab, 0xab, 255}) {
		t.Errorf("Gray16 0xabff became %v, want the high byte 0xab on all channels", got)
	}
}

// TestDecodeByContent writes images of every format under misleading
// names and checks that each decodes to the pixels that were encoded.
func TestDecodeByContent(t *testing.T) {
	src := gradient(9, 7)
	want := FromStd(src)
	gray := image.NewGray(src.Rect)
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 3)
	}
	gray16 := image.NewGray16(src.Rect)
	for i := range gray16.Pix {
		gray16.Pix[i] = uint8(i * 5)
	}
	rgba := image.NewNRGBA(src.Rect)
	copy(rgba.Pix, src.Pix)
	for i := 3; i < len(rgba.Pix); i += 4 {
		rgba.Pix[i] = uint8(i)
	}
	pal := image.NewPaletted(src.Rect, color.Palette{color.RGBA{0, 0, 0, 255}, color.RGBA{250, 128, 3, 255}})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 2)
	}
	tests := []struct {
		name string
		data []byte
		want Image
	}{
		{"png_named.jpg", encode(t, encPNG, src), want},
		{"gif_named.jpg", encode(t, encGIF, pal), FromStd(pal)},
		{"bmp_named.png", encode(t, encBMP, src), want},
		{"tiff_named.jpg", encode(t, encTIFF, src), want},
		{"gray.png", encode(t, encPNG, gray), FromStd(gray)},
		{"gray16.png", encode(t, encPNG, gray16), FromStd(gray16)},
		{"rgba.png", encode(t, encPNG, rgba), want}, // alpha dropped
		{"one_pixel.jpg", encode(t, encPNG, src.SubImage(image.Rect(4, 4, 5, 5))), FromStd(src.SubImage(image.Rect(4, 4, 5, 5)))},
	}
	for _, tt := range tests {
		got, err := LoadImage(writeFile(t, tt.name, tt.data))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		assertSameImage(t, tt.name, got, tt.want)
	}
	// Grayscale really becomes three equal channels.
	g, err := Decode(encode(t, encPNG, gray), "gray.png")
	if err != nil {
		t.Fatal(err)
	}
	if c := g.At(2, 1); c.R != gray.GrayAt(2, 1).Y || c.G != c.R || c.B != c.R {
		t.Errorf("gray pixel (2,1) = %v, want R=G=B=%d", c, gray.GrayAt(2, 1).Y)
	}
}

func TestDecodeJPEG(t *testing.T) {
	src := gradient(40, 30)
	data := encode(t, encJPEG, src)
	got, err := Decode(data, "x.jpg")
	if err != nil {
		t.Fatal(err)
	}
	// JPEG is lossy: the gradient comes back within a few levels.
	want := FromStd(src)
	for i := range want.Pix {
		if d := int(got.Pix[i]) - int(want.Pix[i]); d < -12 || d > 12 {
			t.Fatalf("byte %d = %d, encoded %d", i, got.Pix[i], want.Pix[i])
		}
	}
	// A one-channel (grayscale) JPEG becomes three equal channels.
	gray := image.NewGray(image.Rect(0, 0, 17, 9))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 2)
	}
	g, err := Decode(encode(t, encJPEG, gray), "gray.jpg")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(g.Pix); i += 3 {
		if g.Pix[i] != g.Pix[i+1] || g.Pix[i] != g.Pix[i+2] || absDiff(g.Pix[i], gray.Pix[i/3]) > 8 {
			t.Fatalf("gray JPEG pixel %d = %v, want three copies of about %d", i/3, g.Pix[i:i+3], gray.Pix[i/3])
		}
	}
}

// cmykJPEG encodes, by hand, a baseline Adobe CMYK JPEG (APP14 transform 0,
// inverted samples, as Photoshop writes them) of 8×8 blocks of flat
// colour, one block per entry of colours, left to right. image/jpeg can
// decode such files but not write them.
func cmykJPEG(colours []color.CMYK) []byte {
	var b bytes.Buffer
	seg := func(marker byte, payload ...byte) {
		b.Write([]byte{0xff, marker})
		_ = binary.Write(&b, binary.BigEndian, uint16(len(payload)+2))
		b.Write(payload)
	}
	b.Write([]byte{0xff, 0xd8})
	seg(0xee, append([]byte("Adobe"), 0, 100, 0, 0, 0, 0, 0)...) // transform 0: CMYK
	seg(0xdb, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...)...)
	w := 8 * len(colours)
	sof := []byte{8, 0, 8, byte(w >> 8), byte(w), 4}
	for c := byte(1); c <= 4; c++ {
		sof = append(sof, c, 0x11, 0)
	}
	seg(0xc0, sof...)
	// DC table: categories 0-11 as 4-bit codes 0000…1011. AC table: only
	// end-of-block, code "0".
	dht := []byte{0x00, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	dht = append(dht, 0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00)
	seg(0xc4, dht...)
	seg(0xda, 4, 1, 0, 2, 0, 3, 0, 4, 0, 0, 63, 0)
	var acc uint64
	var n uint
	put := func(v uint64, size uint) {
		acc, n = acc<<size|v&(1<<size-1), n+size
		for n >= 8 {
			by := byte(acc >> (n - 8))
			b.WriteByte(by)
			if by == 0xff {
				b.WriteByte(0)
			}
			n -= 8
		}
	}
	var pred [4]int
	for _, c := range colours {
		for k, v := range []uint8{c.C, c.M, c.Y, c.K} {
			dc := 8 * (int(255-v) - 128) // flat block: DC = 8·(sample−128), inverted by Adobe convention
			diff := dc - pred[k]
			pred[k] = dc
			mag := diff
			if mag < 0 {
				mag = -mag
			}
			s := uint(bits.Len(uint(mag)))
			put(uint64(s), 4)
			if diff < 0 {
				diff += 1<<s - 1
			}
			put(uint64(diff), s)
			put(0, 1) // end of block
		}
	}
	if n > 0 {
		put(1<<(8-n)-1, 8-n)
	}
	b.Write([]byte{0xff, 0xd9})
	return b.Bytes()
}

func TestDecodeCMYKJPEG(t *testing.T) {
	colours := []color.CMYK{{0, 255, 255, 0}, {30, 60, 90, 120}, {0, 0, 0, 255}}
	data := cmykJPEG(colours)
	std, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the hand-made CMYK JPEG does not decode: %v", err)
	}
	if _, ok := std.(*image.CMYK); !ok {
		t.Fatalf("the hand-made JPEG decodes to %T, want *image.CMYK", std)
	}
	got, err := Decode(data, "cmyk.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if got.W != 24 || got.H != 8 {
		t.Fatalf("size %dx%d, want 24x8", got.W, got.H)
	}
	for i, c := range colours {
		r, g, b := color.CMYKToRGB(c.C, c.M, c.Y, c.K)
		for _, p := range [][2]int{{8 * i, 0}, {8*i + 7, 7}} {
			px := got.At(p[0], p[1])
			if absDiff(px.R, r) > 2 || absDiff(px.G, g) > 2 || absDiff(px.B, b) > 2 {
				t.Errorf("CMYK %v at %v became %v, want about (%d,%d,%d)", c, p, px, r, g, b)
			}
		}
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

// pngWithSize is a valid 1×1 PNG whose header claims w×h.
func pngWithSize(t *testing.T, w, h uint32) []byte {
	data := encode(t, encPNG, image.NewGray(image.Rect(0, 0, 1, 1)))
	// IHDR: 8-byte signature, length, "IHDR", then width and height.
	binary.BigEndian.PutUint32(data[16:], w)
	binary.BigEndian.PutUint32(data[20:], h)
	binary.BigEndian.PutUint32(data[29:], crc32.ChecksumIEEE(data[12:29]))
	return data
}

func TestDecodeErrors(t *testing.T) {
	jpegData, err := os.ReadFile(filepath.Join(testImages, "Bengal_153.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	pngData := encode(t, encPNG, gradient(30, 30))
	tests := []struct {
		name, format string
		data         []byte
		want         string
	}{
		{"empty.jpg", "", nil, "the file is empty (0 bytes)"},
		{"text.jpg", "", []byte("<!DOCTYPE html>"), "not a JPEG, PNG, GIF, WebP, BMP or TIFF image"},
		{"truncated.jpg", "JPEG", jpegData[:len(jpegData)/2], "truncated JPEG data"},
		{"header_only.jpg", "JPEG", jpegData[:2], "JPEG"},
		{"truncated.png", "PNG", pngData[:len(pngData)-30], "truncated PNG data"},
		{"bomb.png", "PNG", pngWithSize(t, 100000, 100000), "claims an unusable size 100000x100000"},
	}
	for _, tt := range tests {
		p := writeFile(t, tt.name, tt.data)
		_, err := LoadImage(p)
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: error %v, want a *DecodeError", tt.name, err)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, p) || !strings.Contains(msg, tt.want) || de.Format != tt.format {
			t.Errorf("%s: error %q (format %q), want the path, %q and format %q", tt.name, msg, de.Format, tt.want, tt.format)
		}
	}
	_, err = LoadImage(filepath.Join(t.TempDir(), "missing.jpg"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "missing.jpg") {
		t.Errorf("missing file: %v, want a not-exist error naming it", err)
	}
}

func TestFormatOf(t *testing.T) {
	gif := encode(t, encGIF, image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.Black}))
	for _, tt := range []struct {
		data []byte
		want string
	}{{gif, "GIF"}, {encode(t, encPNG, gradient(2, 2)), "PNG"}, {[]byte("RIFF\x00\x00\x00\x00WEBPVP8 "), "WebP"}, {[]byte("hello"), ""}, {nil, ""}} {
		if got := FormatOf(tt.data); got != tt.want {
			t.Errorf("FormatOf(%q) = %q, want %q", tt.data[:min(len(tt.data), 8)], got, tt.want)
		}
	}
}

func TestDecodeTestdata(t *testing.T) {
	sizes := map[string][2]int{
		"Abyssinian_1.jpg": {600, 400}, "Abyssinian_34.jpg": {250, 202}, "Bengal_153.jpg": {300, 225},
		"Persian_258.jpg": {259, 194}, "Sphynx_247.jpg": {250, 201}, "american_pit_bull_terrier_156.jpg": {215, 216},
		"chihuahua_122.jpg": {300, 225}, "great_pyrenees_158.jpg": {500, 375}, "pug_166.jpg": {225, 300},
	}
	for name, size := range sizes {
		m, err := LoadImage(filepath.Join(testImages, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if m.W != size[0] || m.H != size[1] || len(m.Pix) != m.W*m.H*3 {
			t.Errorf("%s: %dx%d with %d bytes, want %dx%d", name, m.W, m.H, len(m.Pix), size[0], size[1])
		}
	}
	data, err := os.ReadFile(filepath.Join(testImages, "Abyssinian_34.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	if f := FormatOf(data); f != "GIF" {
		t.Errorf("Abyssinian_34.jpg is %q by content, want GIF", f)
	}
}

// TestDecodeJPEGLikePillow checks, in builds with libjpeg-turbo (-tags
// libjpeg), that JPEG pixels are exactly Pillow's: the hashes are the first
// 8 bytes of SHA-256 of Image.open(path).convert("RGB").tobytes() with
// Pillow 9.4 on Debian's libjpeg62-turbo.
func TestDecodeJPEGLikePillow(t *testing.T) {
	if !libjpegBuild {
		t.Skip("image/jpeg decodes this build; pixels differ from Pillow's by a few levels (build with -tags libjpeg for exact ones)")
	}
	for name, want := range map[string]string{
		"great_pyrenees_158.jpg": "5d3c0883b7887374",
		"Abyssinian_1.jpg":       "5d54187e47bccf4a",
		"pug_166.jpg":            "02b2547003961ce0",
	} {
		sum := sha256.Sum256(loadTestImage(t, name).Pix)
		if got := hex.EncodeToString(sum[:8]); got != want {
			t.Errorf("%s: pixels hash to %s…, Pillow's to %s…", name, got, want)
		}
	}
}

// FuzzDecode feeds arbitrary bytes to the decoder: it must return an image
// whose buffer matches its size, or a *DecodeError naming the file, and
// never panic.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"Abyssinian_34.jpg", "Persian_258.jpg"} {
		if data, err := os.ReadFile(filepath.Join(testImages, name)); err == nil {
			f.Add(data)
		}
	}
	f.Add(encode(f, encPNG, gradient(5, 3)))
	f.Add(encode(f, encGIF, image.NewPaletted(image.Rect(0, 0, 3, 2), color.Palette{color.Black, color.White})))
	f.Add(encode(f, encBMP, gradient(3, 3)))
	f.Add(encode(f, encTIFF, gradient(3, 3)))
	f.Add(encode(f, encJPEG, gradient(9, 9)))
	f.Add(cmykJPEG([]color.CMYK{{1, 2, 3, 4}}))
	f.Add([]byte("RIFF\x10\x00\x00\x00WEBPVP8L"))
	// The web images: animated WebP containers, progressive JPEGs with
	// restart markers (jpeg_split.go re-codes their DC scans), ISO-BMFF.
	for _, name := range []string{"anim_offset_alpha.webp", "anim.webp", "still.webp", "progressive_restart_420.jpg", "progressive_restart_422.jpg", "arithmetic_420.jpg", "arithmetic_progressive_420.jpg"} {
		if data, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// A small pixel limit keeps the fuzzer from allocating gigabytes
		// for headers that claim huge sizes.
		m, err := decode(data, "fuzz.jpg", 1<<16, true)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) || !strings.Contains(err.Error(), "fuzz.jpg") {
				t.Fatalf("error %v is not a *DecodeError naming the file", err)
			}
			return
		}
		if m.W <= 0 || m.H <= 0 || len(m.Pix) != m.W*m.H*3 {
			t.Fatalf("decoded %dx%d with %d bytes", m.W, m.H, len(m.Pix))
		}
	})
}

// TestJPEGChromaUpsampling: subsampled chroma is interpolated as
// libjpeg's fancy upsampling does — 3/4 of the nearer and 1/4 of the
// further sample along each subsampled axis (h2v2, h2v1, h1v2), edges
// repeated, replication for the other ratios and for chroma 1-2 samples
// wide — computed here in float64 from that definition and rounded with
// libjpeg's biases, then converted with jdcolor.c's formulas. image/jpeg's
// own conversion repeats each chroma sample and rounds differently.
func TestJPEGChromaUpsampling(t *testing.T) {
	for _, tc := range []struct {
		ratio  image.YCbCrSubsampleRatio
		hs, vs int
		w, h   int
	}{
		{image.YCbCrSubsampleRatio420, 2, 2, 7, 5},
		{image.YCbCrSubsampleRatio420, 2, 2, 4, 3}, // chroma 2 wide: replicated
		{image.YCbCrSubsampleRatio422, 2, 1, 9, 3},
		{image.YCbCrSubsampleRatio440, 1, 2, 5, 7},
		{image.YCbCrSubsampleRatio444, 1, 1, 5, 4},
		{image.YCbCrSubsampleRatio411, 4, 1, 10, 3},
		{image.YCbCrSubsampleRatio410, 4, 2, 9, 5},
	} {
		w, h := tc.w, tc.h
		m := image.NewYCbCr(image.Rect(0, 0, w, h), tc.ratio)
		for i := range m.Y {
			m.Y[i] = uint8(60 + 7*i%120)
		}
		for i := range m.Cb {
			m.Cb[i] = uint8(40 + 29*i%180)
			m.Cr[i] = uint8(200 - 23*i%170)
		}
		cw, ch := (w+tc.hs-1)/tc.hs, (h+tc.vs-1)/tc.vs
		fancyH := tc.hs == 2 && cw > 2
		fancyV := tc.vs == 2 && (tc.hs == 1 || fancyH)
		sample := func(plane []uint8, r, c int) float64 {
			r, c = min(max(r, 0), ch-1), min(max(c, 0), cw-1)
			return float64(plane[r*m.CStride+c])
		}
		horizontal := func(plane []uint8, r, x int) float64 {
			if !fancyH {
				return sample(plane, r, x/tc.hs)
			}
			c := x / 2
			return 0.75*sample(plane, r, c) + 0.25*sample(plane, r, c-1+2*(x%2))
		}
		upsampled := func(plane []uint8, x, y int) int {
			var v float64
			if fancyV {
				r := y / 2
				v = 0.75*horizontal(plane, r, x) + 0.25*horizontal(plane, r-1+2*(y%2), x)
			} else {
				v = horizontal(plane, y/tc.vs, x)
			}
			switch {
			case fancyH && fancyV: // h2v2: sixteenths, +8 on even columns, +7 on odd
				return int(math.Floor((16*v + 8 - float64(x%2)) / 16))
			case fancyH: // h2v1: quarters, +1 on even columns, +2 on odd
				return int(math.Floor((4*v + 1 + float64(x%2)) / 4))
			case fancyV: // h1v2: quarters, +1 on even rows, +2 on odd
				return int(math.Floor((4*v + 1 + float64(y%2)) / 4))
			}
			return int(v)
		}
		got := fromJPEGYCbCr(m)
		for y := range h {
			for x := range w {
				yy := float64(m.Y[y*m.YStride+x])
				cb, cr := float64(upsampled(m.Cb, x, y)-128), float64(upsampled(m.Cr, x, y)-128)
				want := [3]float64{
					yy + math.Floor(1.402*cr+0.5),
					yy + math.Floor(-0.34414*cb-0.71414*cr+0.5),
					yy + math.Floor(1.772*cb+0.5),
				}
				for c := range 3 {
					wv := uint8(min(max(want[c], 0), 255))
					if g := got.Pix[(y*w+x)*3+c]; g != wv {
						t.Fatalf("%v %dx%d: pixel (%d,%d) channel %d = %d, libjpeg's formula gives %d", tc.ratio, w, h, x, y, c, g, wv)
					}
				}
			}
		}
	}
}

// TestDecodeEXIFOrientation: a JPEG stored 40×20 with each EXIF
// Orientation value decodes as Pillow's ImageOps.exif_transpose shows it
// (corners, from Pillow 9.4: R G B W are the stored top-left, top-right,
// bottom-left and bottom-right quadrants). A phone photo with orientation 6
// once loaded 40×20 instead of 20×40. ApplyEXIFOrientation = false keeps
// the stored orientation, as fastai does.
func TestDecodeEXIFOrientation(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 40, 20))
	colours := map[byte]color.RGBA{'R': {255, 0, 0, 255}, 'G': {0, 255, 0, 255}, 'B': {0, 0, 255, 255}, 'W': {255, 255, 255, 255}}
	for y := range 20 {
		for x := range 40 {
			q := map[[2]bool]byte{{false, false}: 'R', {true, false}: 'G', {false, true}: 'B', {true, true}: 'W'}[[2]bool{x >= 20, y >= 10}]
			src.Set(x, y, colours[q])
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	nearest := func(m Image, x, y int) byte {
		p := m.At(x, y)
		best, bestD := byte(0), 1<<30
		for name, c := range colours {
			d := abs(int(p.R)-int(c.R)) + abs(int(p.G)-int(c.G)) + abs(int(p.B)-int(c.B))
			if d < bestD {
				best, bestD = name, d
			}
		}
		return best
	}
	for o, want := range map[uint16]string{1: "RGBW", 2: "GRWB", 3: "WBGR", 4: "BWRG", 5: "RBGW", 6: "BRWG", 7: "WGBR", 8: "GWRB"} {
		m, err := Decode(testutil.WithEXIFOrientation(buf.Bytes(), o), "phone.jpg")
		if err != nil {
			t.Fatalf("orientation %d: %v", o, err)
		}
		w, h := 40, 20
		if o >= 5 {
			w, h = 20, 40
		}
		got := string([]byte{nearest(m, 2, 2), nearest(m, m.W-3, 2), nearest(m, 2, m.H-3), nearest(m, m.W-3, m.H-3)})
		if m.W != w || m.H != h || got != want {
			t.Errorf("orientation %d: %dx%d with corners %s, want %dx%d with %s (Pillow's exif_transpose)", o, m.W, m.H, got, w, h, want)
		}
	}
	// DecodeEXIF decides per call, whatever the setting.
	if m, err := DecodeEXIF(testutil.WithEXIFOrientation(buf.Bytes(), 6), "phone.jpg", false); err != nil || m.W != 40 || m.H != 20 {
		t.Errorf("DecodeEXIF(…, false): %dx%d, %v; want the stored 40x20", m.W, m.H, err)
	}
	ApplyEXIFOrientation = false
	defer func() { ApplyEXIFOrientation = true }()
	if m, err := Decode(testutil.WithEXIFOrientation(buf.Bytes(), 6), "phone.jpg"); err != nil || m.W != 40 || m.H != 20 {
		t.Errorf("ApplyEXIFOrientation=false: %dx%d, %v; want the stored 40x20", m.W, m.H, err)
	}
	if m, err := DecodeEXIF(testutil.WithEXIFOrientation(buf.Bytes(), 6), "phone.jpg", true); err != nil || m.W != 20 || m.H != 40 {
		t.Errorf("DecodeEXIF(…, true) with the setting off: %dx%d, %v; want 20x40", m.W, m.H, err)
	}
}

func abs(v int) int { return max(v, -v) }

// TestMaxPixelsSetting: MaxPixels is a setting (Pillow's MAX_IMAGE_PIXELS):
// an image over it is refused with an error naming the limit, and raising
// it lets the image through.
func TestMaxPixelsSetting(t *testing.T) {
	data := encode(t, encPNG, gradient(300, 200)) // 60,000 pixels
	old := MaxPixels
	defer func() { MaxPixels = old }()
	MaxPixels = 50_000
	if _, err := Decode(data, "scan.png"); err == nil || !strings.Contains(err.Error(), "50000") || !strings.Contains(err.Error(), "raise vision.MaxPixels") {
		t.Errorf("60,000 pixels with MaxPixels 50,000: err = %v, want one naming the limit and the setting", err)
	}
	MaxPixels = 60_000
	if m, err := Decode(data, "scan.png"); err != nil || m.W != 300 {
		t.Errorf("MaxPixels raised to 60,000: %v", err)
	}
	MaxPixels = 0 // no limit, as Pillow's MAX_IMAGE_PIXELS = None
	if m, err := Decode(data, "scan.png"); err != nil || m.W != 300 {
		t.Errorf("MaxPixels 0 (no limit): %v", err)
	}
}

// TestLoadImageOfAFolder: the error says it is a folder, not to replace a
// file.
func TestLoadImageOfAFolder(t *testing.T) {
	_, err := LoadImage(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "is a folder") || strings.Contains(err.Error(), "replace or remove") {
		t.Errorf("LoadImage(folder): %v", err)
	}
}

// FuzzEXIFOrientation: any bytes in a JPEG's EXIF segment give an
// orientation from 1 to 8 (1 when unreadable), never a panic (make fuzz).
func FuzzEXIFOrientation(f *testing.F) {
	jpg := encode(f, encJPEG, gradient(4, 3))
	for o := range uint16(9) {
		f.Add(testutil.WithEXIFOrientation(jpg, o)[4:])
	}
	f.Add([]byte("Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x06\x00\x00"))
	f.Fuzz(func(t *testing.T, seg []byte) {
		if len(seg) > 65000 {
			return
		}
		data := append([]byte{0xFF, 0xD8, 0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}, seg...)
		data = append(data, jpg[2:]...)
		if o := jpegOrientation(data); o < 1 || o > 8 {
			t.Fatalf("orientation %d", o)
		}
	})
}

// Web images the default build refused, decoded as Pillow decodes them
// (scripts/decode-testdata.sh wrote them and Pillow's pixels): a
// progressive JPEG with restart markers (before: "corrupt JPEG data: …
// missing 0xff00 sequence") decodes to exactly the pixels of the same
// coefficients without restart markers, which image/jpeg reads, and so
// within the pure-Go build's usual 3 levels of Pillow's (its IDCT; exact
// with -tags libjpeg); an animated WebP (before: "corrupt WebP data")
// gives its first frame on the canvas, and lossy WebP converts as libwebp
// does: both exactly Pillow's pixels.
func TestDecodeWebImagesLikePillow(t *testing.T) {
	load := func(name string) (Image, []byte) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		m, err := Decode(data, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ref, err := os.ReadFile(filepath.Join("testdata", name+".pillow.rgb"))
		if err != nil {
			t.Fatal(err)
		}
		if len(ref) != len(m.Pix) {
			t.Fatalf("%s: %dx%d, Pillow's has %d values", name, m.W, m.H, len(ref))
		}
		return m, ref
	}
	for _, name := range []string{"still.webp", "anim.webp", "anim_lossless.webp", "anim_offset_alpha.webp"} {
		m, ref := load(name)
		if !bytes.Equal(m.Pix, ref) {
			t.Errorf("%s: pixels differ from Pillow's", name)
		}
	}
	for _, sub := range []string{"420", "422"} {
		restart, ref := load("progressive_restart_" + sub + ".jpg")
		plain, _ := load("progressive_" + sub + ".jpg")
		if !bytes.Equal(restart.Pix, plain.Pix) {
			t.Errorf("%s: with restart markers the pixels differ from the same JPEG's without", sub)
		}
		worst := 0
		for i := range ref {
			worst = max(worst, int(ref[i])-int(restart.Pix[i]), int(restart.Pix[i])-int(ref[i]))
		}
		if limit := map[bool]int{true: 0, false: 3}[libjpegBuild]; worst > limit {
			t.Errorf("%s: a value %d levels from Pillow's, limit %d", sub, worst, limit)
		}
	}
}

// HEIC and AVIF files (ISO-BMFF) are named by their brand, with what to
// do, instead of "not a JPEG, PNG…" and their first bytes.
func TestDecodeNamesISOBMFFBrands(t *testing.T) {
	box := func(major string, compatible ...string) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(16+4*len(compatible)))
		b = append(b, "ftyp"+major+"\x00\x00\x00\x00"...)
		for _, c := range compatible {
			b = append(b, c...)
		}
		return append(b, "\x00\x00\x00\x08meta"...)
	}
	for _, tc := range []struct {
		data []byte
		want []string
	}{
		{box("heic", "mif1", "heic"), []string{`brand "heic"`, "HEIC", "convert it to JPEG"}},
		{box("mif1", "mif1", "heic"), []string{`brand "mif1"`, "HEIC"}},
		{box("avif", "mif1", "avif"), []string{`brand "avif"`, "AVIF"}},
		{box("isom", "isom", "mp41"), []string{`brand "isom"`, "video"}},
	} {
		_, err := Decode(tc.data, "IMG_0001.HEIC")
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Fatalf("%q: %v, want a *DecodeError", tc.data[8:12], err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v\nwant it to say %q", err, w)
			}
		}
	}
}

// TestDecodeArithmeticJPEG: valid arithmetic-coded JPEGs (jpegtran
// -arithmetic, sequential and progressive; Pillow reads them) were called
// "corrupt JPEG header: unsupported JPEG feature: unknown marker; replace
// or remove the file". image/jpeg has no arithmetic decoding: the error
// says so and how to convert the file losslessly; the -tags libjpeg build
// decodes them, to the pixels of the same coefficients Huffman-coded.
func TestDecodeArithmeticJPEG(t *testing.T) {
	huffman, err := LoadImage(filepath.Join("testdata", "progressive_420.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	for name, process := range map[string]string{"arithmetic_420.jpg": "SOF9", "arithmetic_progressive_420.jpg": "SOF10"} {
		m, err := LoadImage(filepath.Join("testdata", name))
		if libjpegBuild {
			if err != nil || !bytes.Equal(m.Pix, huffman.Pix) {
				t.Errorf("%s with libjpeg: %v; want the Huffman-coded file's pixels", name, err)
			}
			continue
		}
		var de *DecodeError
		if !errors.As(err, &de) || de.Format != "JPEG" {
			t.Fatalf("%s: %v, want a *DecodeError", name, err)
		}
		for _, want := range []string{"arithmetic-coded JPEG (" + process, "image/jpeg does not decode arithmetic coding", "jpegtran -outfile", "-tags libjpeg"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v\nwant it to say %q", name, err, want)
			}
		}
		if strings.Contains(err.Error(), "corrupt") || strings.Contains(err.Error(), "replace or remove") {
			t.Errorf("%s: %v calls a valid file corrupt", name, err)
		}
	}
}
