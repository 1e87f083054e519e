package vision

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"strings"

	"github.com/fastgo-ml/fastgo/fastgo"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// MaxPixels bounds the size an image header may claim (width × height)
// before any pixel memory is allocated, so that a corrupt or hostile file
// cannot exhaust memory. The default, DefaultMaxPixels, is Pillow's limit
// (MAX_IMAGE_PIXELS × 2, where Pillow raises DecompressionBombError). Like
// Pillow's Image.MAX_IMAGE_PIXELS it is a setting: raise it (before
// loading data) for real gigapixel scans, e.g. vision.MaxPixels = 2e9
// (each decoded pixel takes 3 bytes), or set it to 0 for no limit
// (Pillow: MAX_IMAGE_PIXELS = None).
var MaxPixels = DefaultMaxPixels

// DefaultMaxPixels is MaxPixels' default: 178,956,970 pixels.
const DefaultMaxPixels = 178_956_970

// ApplyEXIFOrientation makes Decode turn a JPEG the way its EXIF
// Orientation tag says (all eight values: mirrored, rotated by 90°, 180°
// or 270°), so that phone photos come out upright. This is a deliberate
// difference from fastai, which (through Pillow's Image.open) ignores the
// tag: its users see rotated show_batch grids. Set it to false (before
// loading data) to keep the stored orientation, as fastai does; or decide
// per call with [DecodeEXIF] (a cnn.Predictor loaded from a fastai export
// does: it ignores the tag, as the model's training did, whatever this
// setting says).
var ApplyEXIFOrientation = true

// DecodeError says which file could not be decoded and why. Every error of
// [Decode] and [LoadImage] is one (check with errors.As).
type DecodeError struct {
	// File is the file name (or the name given to Decode).
	File string
	// Format is the format found from the content ("JPEG", "PNG", ...),
	// empty when the content matched none.
	Format string
	// Problem says what is wrong, in words.
	Problem string
	// Err is the underlying error, if any.
	Err error
	// Fix says what to do; "replace or remove the file" when empty.
	Fix string
}

// Error names the file, says what is wrong and what to do.
func (e *DecodeError) Error() string {
	what := e.Problem
	if e.Err != nil {
		what += ": " + e.Err.Error()
	}
	fix := e.Fix
	if fix == "" {
		fix = "replace or remove the file"
	}
	return fmt.Sprintf("vision: cannot read image %s: %s; %s", e.File, what, fix)
}

// Unwrap returns the underlying error (for errors.Is(err, fs.ErrNotExist)).
func (e *DecodeError) Unwrap() error { return e.Err }

// format is one image format recognised by its leading bytes.
type format struct {
	name  string
	match func(head []byte) bool
	// end is the marker a complete file ends with (within its last 16
	// bytes), "" when the format has none; a failed decode of a file
	// without it is reported as truncated.
	end    string
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

// formats are tried in order against the file's first bytes; the file's
// extension is never consulted (the pets dataset has GIFs and PNGs named
// .jpg).
var formats = []format{
	{"JPEG", prefix("\xff\xd8"), "\xff\xd9", jpeg.DecodeConfig, jpeg.Decode},
	{"PNG", prefix("\x89PNG\r\n\x1a\n"), "IEND", png.DecodeConfig, png.Decode},
	{"GIF", func(h []byte) bool { return hasPrefix(h, "GIF87a") || hasPrefix(h, "GIF89a") }, ";", gif.DecodeConfig, gif.Decode},
	{"WebP", func(h []byte) bool { return hasPrefix(h, "RIFF") && len(h) >= 12 && string(h[8:12]) == "WEBP" }, "", webp.DecodeConfig, webp.Decode},
	{"BMP", prefix("BM"), "", bmp.DecodeConfig, bmp.Decode},
	{"TIFF", func(h []byte) bool { return hasPrefix(h, "II*\x00") || hasPrefix(h, "MM\x00*") }, "", tiff.DecodeConfig, tiff.Decode},
}

func prefix(p string) func([]byte) bool { return func(h []byte) bool { return hasPrefix(h, p) } }

func hasPrefix(h []byte, p string) bool { return len(h) >= len(p) && string(h[:len(p)]) == p }

// sniff returns the format whose signature starts data, or nil.
func sniff(data []byte) *format {
	for i := range formats {
		if formats[i].match(data) {
			return &formats[i]
		}
	}
	return nil
}

// FormatOf names the image format of encoded data by its content: "JPEG",
// "PNG", "GIF", "WebP", "BMP", "TIFF", or "" when none matches. The pets
// dataset's Abyssinian_34.jpg, for example, is a "GIF".
func FormatOf(data []byte) string {
	if f := sniff(data); f != nil {
		return f.name
	}
	return ""
}

// LoadImage reads and decodes the image file at path (fastai's
// PILImage.create). See [Decode] for formats and colour rules, and
// [ReadImageFile] for the errors of reading.
func LoadImage(path string) (Image, error) {
	data, err := ReadImageFile(path)
	if err != nil {
		return Image{}, err
	}
	return Decode(data, path)
}

// ReadImageFile reads the bytes of the image file at path, for a caller
// that decodes them itself (cnn.Predictor.PrepareFile): the one place
// that reads image files, so that every reader explains a folder, a
// symbolic link to nothing (git-annex, DataLad or DVC content not
// fetched) or an unreadable file the same way. Errors are *DecodeError
// values naming the file (errors.Is(err, fs.ErrNotExist) holds for a
// missing one).
func ReadImageFile(path string) ([]byte, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, &DecodeError{File: path, Problem: "it is a folder, not an image file",
			Fix: "give the path of an image file (fastgo.GetImageFiles lists those in a folder)"}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if de := danglingLink(path); de != nil {
			return nil, de
		}
		return nil, &DecodeError{File: path, Problem: "cannot read the file", Err: err}
	}
	return data, nil
}

// danglingLink is the error for path when it is a symbolic link to
// nothing (git-annex, DataLad or DVC content not fetched), else nil.
func danglingLink(path string) *DecodeError {
	st, err := os.Lstat(path)
	if err != nil || st.Mode()&os.ModeSymlink == 0 {
		return nil
	}
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	target, _ := os.Readlink(path)
	return &DecodeError{File: path, Problem: fmt.Sprintf("it is a symbolic link to %s, which does not exist", target),
		Fix: fastgo.DanglingLinkAdvice + ": fetch the content, or remove the link"}
}

// MustLoadImage is LoadImage for notebook cells: it panics with LoadImage's
// error.
func MustLoadImage(path string) Image {
	m, err := LoadImage(path)
	if err != nil {
		panic(err)
	}
	return m
}

// Decode decodes an encoded image, recognising its format by content, not
// by name: JPEG (progressive ones with restart markers too), PNG, GIF
// (first frame), WebP (the first frame of an animation, on its canvas, as
// Pillow's Image.open gives it; lossy pixels converted as libwebp does, so
// exactly Pillow's), BMP and TIFF. HEIC, AVIF and other ISO-BMFF files are
// refused naming their brand; arithmetic-coded JPEGs (jpegtran
// -arithmetic) are decoded by the -tags libjpeg build only, and the
// default build's error says so and how to convert them. Whatever the
// colour model, the result is RGB (see [FromStd]: alpha is dropped, not
// composited). name is only used in error messages. Bad input — empty,
// truncated, unknown format, absurd dimensions — gives a *DecodeError,
// never a panic.
//
// A JPEG's EXIF orientation is applied unless ApplyEXIFOrientation is
// false (fastai ignores it; see ApplyEXIFOrientation). JPEG colour is
// converted as libjpeg-turbo does (its "fancy" chroma upsampling and its
// fixed-point YCbCr→RGB tables), so decoded pixels match Pillow's; only
// image/jpeg's IDCT still differs from libjpeg's in the last bit of some
// samples: after Resize(224), 3% of the values of the pets sample differ
// from Pillow's, by 1-3 levels (the -tags libjpeg build is exact). Other formats decode identically,
// except a GIF's transparent pixels (black here, their palette colour in
// Pillow) and 16-bit grayscale (scaled to 8 bits here, clipped by Pillow).
func Decode(data []byte, name string) (Image, error) {
	return decode(data, name, MaxPixels, ApplyEXIFOrientation)
}

// DecodeEXIF is [Decode] with a JPEG's EXIF orientation applied or not as
// applyEXIF says, whatever ApplyEXIFOrientation is: for a caller that must
// prepare images as a given library does (cnn.LoadFastai's predictor
// ignores the tag, as fastai does) without changing the setting for the
// rest of the program.
//
// Errors are Decode's: a *DecodeError naming name (empty, truncated or
// undecodable data, an unknown format, more pixels than MaxPixels).
func DecodeEXIF(data []byte, name string, applyEXIF bool) (Image, error) {
	return decode(data, name, MaxPixels, applyEXIF)
}

func decode(data []byte, name string, maxPixels int, applyEXIF bool) (Image, error) {
	if len(data) == 0 {
		return Image{}, &DecodeError{File: name, Problem: "the file is empty (0 bytes)"}
	}
	f := sniff(data)
	if f == nil {
		if problem, fix := isoBMFF(data); problem != "" {
			return Image{}, &DecodeError{File: name, Problem: problem, Fix: fix}
		}
		head := data[:min(len(data), 8)]
		return Image{}, &DecodeError{File: name, Problem: fmt.Sprintf(
			"not a JPEG, PNG, GIF, WebP, BMP or TIFF image (first bytes % x %q)", head, head)}
	}
	fail := func(problem string, err error) (Image, error) {
		if f.name == "JPEG" && err != nil {
			if problem, fix := jpegUnsupported(data); problem != "" {
				return Image{}, &DecodeError{File: name, Format: f.name, Problem: problem, Fix: fix}
			}
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			problem = "truncated " + f.name + " data"
		} else if err != nil && f.end != "" && !bytes.Contains(data[max(len(data)-16, 0):], []byte(f.end)) {
			problem = "truncated " + f.name + " data (the file lacks its end marker)"
		}
		return Image{}, &DecodeError{File: name, Format: f.name, Problem: problem, Err: err}
	}
	if f.name == "JPEG" {
		if m, ok, problem, err := decodeJPEGFast(data, maxPixels); ok {
			if problem != "" {
				return fail(problem, err)
			}
			return orientJPEG(m, data, applyEXIF), nil
		}
	}
	if f.name == "WebP" {
		m, problem, err := decodeWebP(data, maxPixels)
		if problem != "" {
			return fail(problem, err)
		}
		return m, nil
	}
	cfg, err := guard(func() (image.Config, error) { return f.config(bytes.NewReader(data)) })
	if err != nil {
		return fail("corrupt "+f.name+" header", err)
	}
	if problem := checkSize(f.name, cfg.Width, cfg.Height, maxPixels); problem != "" {
		return fail(problem, nil)
	}
	img, err := guard(func() (image.Image, error) { return f.decode(bytes.NewReader(data)) })
	if err != nil && f.name == "JPEG" {
		// A progressive JPEG with restart markers, which image/jpeg
		// miscounts (jpeg_split.go): decoded component by component.
		if ycc, serr := guard(func() (*image.YCbCr, error) { return decodeJPEGSplit(data) }); serr == nil {
			img, err = ycc, nil
		}
	}
	if err != nil {
		return fail("corrupt "+f.name+" data", err)
	}
	if b := img.Bounds(); b.Dx() <= 0 || b.Dy() <= 0 {
		return fail(fmt.Sprintf("%s image has no pixels (%dx%d)", f.name, b.Dx(), b.Dy()), nil)
	}
	if f.name == "JPEG" {
		m := FromStd(img)
		if ycc, ok := img.(*image.YCbCr); ok {
			m = fromJPEGYCbCr(ycc) // libjpeg's chroma interpolation, as Pillow shows it
		}
		return orientJPEG(m, data, applyEXIF), nil
	}
	return FromStd(img), nil
}

// jpegUnsupported names, from its frame header, a valid JPEG whose coding
// process the decoder lacks, with what to do; "" when the frame is one it
// decodes. image/jpeg reads Huffman-coded baseline, extended and
// progressive JPEGs (SOF0-2) and reports the others as "unknown marker";
// libjpeg-turbo (-tags libjpeg) also reads arithmetic coding.
func jpegUnsupported(data []byte) (problem, fix string) {
	for pos := 2; pos+4 <= len(data) && data[pos] == 0xff; {
		m := data[pos+1]
		switch {
		case m == 0xff: // fill byte
			pos++
			continue
		case m == 0xda || m == 0xd9: // a scan, or the end, before any such frame
			return "", ""
		case m >= 0xc9 && m <= 0xcb || m >= 0xcd && m <= 0xcf:
			kind := map[byte]string{0xc9: "sequential", 0xca: "progressive", 0xcb: "lossless"}[m]
			if kind == "" {
				kind = "hierarchical"
			}
			if libjpegBuild {
				break // libjpeg decodes arithmetic coding: its own error stands
			}
			return fmt.Sprintf("an arithmetic-coded JPEG (SOF%d, %s), which is valid, but Go's image/jpeg does not decode arithmetic coding", m-0xc0, kind),
				"convert it without loss to a Huffman-coded JPEG: jpegtran -outfile fixed.jpg FILE (Debian's libjpeg-turbo-progs); or build fastgo with -tags libjpeg (libjpeg-turbo decodes it)"
		case m == 0xc3 || m >= 0xc5 && m <= 0xc7:
			kind := map[byte]string{0xc3: "lossless"}[m]
			if kind == "" {
				kind = "hierarchical"
			}
			return fmt.Sprintf("a %s JPEG (SOF%d), which is valid, but fastgo's JPEG decoders do not read that process", kind, m-0xc0),
				"convert it to PNG or a standard JPEG with a tool that reads it (ImageMagick: convert FILE fixed.png)"
		}
		pos += 2 + int(binary.BigEndian.Uint16(data[pos+2:]))
	}
	return "", ""
}

// isoBMFF names an ISO base media file (HEIC and AVIF photos, MP4 and
// QuickTime videos) by its ftyp box's brands, with what to do; "" when
// data is not one.
func isoBMFF(data []byte) (problem, fix string) {
	if len(data) < 16 || string(data[4:8]) != "ftyp" {
		return "", ""
	}
	major := string(data[8:12])
	brands := []string{major}
	if n := int(binary.BigEndian.Uint32(data[:4])); n > 16 && n <= len(data) {
		for b := data[16:n]; len(b) >= 4; b = b[4:] {
			brands = append(brands, string(b[:4]))
		}
	}
	what := "an ISO base media file (MP4/QuickTime: a video?)"
	for _, b := range brands {
		switch b {
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs":
			what = "a HEIC image (HEIF with HEVC: what iPhones save)"
		case "avif", "avis":
			what = "an AVIF image (HEIF with AV1)"
		case "mif1", "msf1":
			if !strings.HasPrefix(what, "a HEIC") && !strings.HasPrefix(what, "an AVIF") {
				what = "a HEIF image"
			}
		default:
			continue
		}
		if !strings.HasPrefix(what, "a HEIF") {
			break
		}
	}
	return fmt.Sprintf("%s, brand %q: not a format fastgo decodes (JPEG, PNG, GIF, WebP, BMP, TIFF)", what, major),
		"convert it to JPEG or PNG (heif-convert from libheif-examples, ImageMagick's convert, or export it as JPEG: on an iPhone, Settings > Camera > Formats > Most Compatible), or remove it"
}

// checkSize says what is wrong with the size a header claims, or "".
// maxPixels ≤ 0 means no limit.
func checkSize(format string, w, h, maxPixels int) string {
	if w <= 0 || h <= 0 {
		return fmt.Sprintf("%s header claims an unusable size %dx%d", format, w, h)
	}
	if maxPixels > 0 && w > maxPixels/h {
		return fmt.Sprintf("%s header claims an unusable size %dx%d (limit %d pixels: if the image is real, raise vision.MaxPixels)", format, w, h, maxPixels)
	}
	return ""
}

// guard runs a decoder and turns a panic inside it into an error: the
// decoders come from other packages and bad input must never crash a
// training run.
func guard[T any](run func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("decoder panicked: %v", r)
		}
	}()
	return run()
}
