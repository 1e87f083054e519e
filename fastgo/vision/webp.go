package vision

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"

	"golang.org/x/image/webp"
)

// WebP as Pillow shows it (through libwebp's WebPAnimDecoder, which it
// uses for every WebP file): golang.org/x/image/webp decodes the
// bitstreams; this file reads the container around them — extended
// (VP8X) files with metadata, and animations, of which the first frame is
// decoded, on its canvas, as Pillow's Image.open gives it — and converts
// lossy (VP8) pixels to RGB as libwebp does. Container layout: the WebP
// Container Specification (RIFF chunks: VP8X, ANIM, ANMF, ALPH, VP8, VP8L).

// webpFrame is the one frame decoded: its bitstream chunks and where it
// lies on the canvas.
type webpFrame struct {
	x, y   int    // offset on the canvas
	alpha  []byte // the ALPH chunk's payload, or nil
	fourcc string // "VP8 " or "VP8L"
	data   []byte // the bitstream chunk's payload
}

var errWebPContainer = errors.New("webp: invalid container")

// webpChunks splits RIFF chunk data into (fourcc, payload) pairs.
func webpChunks(b []byte, each func(fourcc string, payload []byte) (stop bool, err error)) error {
	for len(b) >= 8 {
		fourcc := string(b[:4])
		n := binary.LittleEndian.Uint32(b[4:8])
		if uint64(n) > uint64(len(b)-8) {
			return fmt.Errorf("%w: chunk %q of %d bytes overruns the file", errWebPContainer, fourcc, n)
		}
		stop, err := each(fourcc, b[8:8+n])
		if stop || err != nil {
			return err
		}
		next := 8 + int(n) + int(n&1) // chunks are padded to even sizes
		if next > len(b) {
			return nil
		}
		b = b[next:]
	}
	return nil
}

// u24 reads a 24-bit little-endian number.
func u24(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }

// parseWebP finds the frame to decode: the image of a still file, the
// first frame of an animation. canvasW and canvasH are 0 for a simple
// (non-VP8X) file, whose size is its bitstream's.
func parseWebP(data []byte) (f webpFrame, canvasW, canvasH int, animated bool, err error) {
	if len(data) < 12 || string(data[:4]) != "RIFF" || string(data[8:12]) != "WEBP" {
		return f, 0, 0, false, fmt.Errorf("%w: no RIFF WEBP header", errWebPContainer)
	}
	body := data[12:]
	if size := binary.LittleEndian.Uint32(data[4:8]); uint64(size) >= 4 && uint64(size)-4 < uint64(len(body)) {
		body = body[:size-4] // ignore what follows the RIFF chunk
	}
	// frameChunks reads a frame's ALPH and bitstream chunks.
	frameChunks := func(fourcc string, payload []byte) (bool, error) {
		switch fourcc {
		case "ALPH":
			f.alpha = payload
		case "VP8 ", "VP8L":
			f.fourcc, f.data = fourcc, payload
			return true, nil
		}
		return false, nil
	}
	err = webpChunks(body, func(fourcc string, payload []byte) (bool, error) {
		switch fourcc {
		case "VP8X":
			if len(payload) < 10 {
				return true, fmt.Errorf("%w: VP8X chunk of %d bytes", errWebPContainer, len(payload))
			}
			animated = payload[0]&0x02 != 0
			canvasW, canvasH = u24(payload[4:])+1, u24(payload[7:])+1
			return false, nil
		case "ANMF":
			if len(payload) < 16 {
				return true, fmt.Errorf("%w: ANMF chunk of %d bytes", errWebPContainer, len(payload))
			}
			f.x, f.y = 2*u24(payload[0:]), 2*u24(payload[3:])
			return true, webpChunks(payload[16:], frameChunks)
		}
		return frameChunks(fourcc, payload)
	})
	if err == nil && f.data == nil {
		err = fmt.Errorf("%w: no image data (VP8 or VP8L chunk)", errWebPContainer)
	}
	return f, canvasW, canvasH, animated, err
}

// still is the frame as a file x/image/webp reads: the bitstream alone,
// or, for lossy with alpha, in a VP8X container of the frame's size.
func (f webpFrame) still(w, h int) []byte {
	var b bytes.Buffer
	chunk := func(fourcc string, payload []byte) {
		b.WriteString(fourcc)
		b.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(payload))))
		b.Write(payload)
		if len(payload)%2 == 1 {
			b.WriteByte(0)
		}
	}
	b.WriteString("RIFF\x00\x00\x00\x00WEBP")
	if f.alpha != nil && f.fourcc == "VP8 " {
		vp8x := make([]byte, 10)
		vp8x[0] = 0x10 // alpha
		w1, h1 := w-1, h-1
		vp8x[4], vp8x[5], vp8x[6] = byte(w1), byte(w1>>8), byte(w1>>16)
		vp8x[7], vp8x[8], vp8x[9] = byte(h1), byte(h1>>8), byte(h1>>16)
		chunk("VP8X", vp8x)
		chunk("ALPH", f.alpha)
	}
	chunk(f.fourcc, f.data)
	out := b.Bytes()
	binary.LittleEndian.PutUint32(out[4:8], uint32(len(out)-8))
	return out
}

// decodeWebP decodes a still WebP, or the first frame of an animation on
// its canvas (black where the frame does not cover it: libwebp's canvas
// starts transparent black, which Pillow's convert("RGB") shows black).
// Alpha is dropped, not composited, as everywhere in Decode. problem says
// what failed, for the caller's DecodeError.
func decodeWebP(data []byte, maxPixels int) (m Image, problem string, err error) {
	f, canvasW, canvasH, animated, err := parseWebP(data)
	if err != nil {
		return Image{}, "corrupt WebP container", err
	}
	if canvasW > 0 {
		if p := checkSize("WebP", canvasW, canvasH, maxPixels); p != "" {
			return Image{}, p, nil
		}
	}
	// The frame's own size, from its bitstream's header.
	probe := webpFrame{fourcc: f.fourcc, data: f.data}.still(0, 0)
	cfg, err := guard(func() (image.Config, error) { return webp.DecodeConfig(bytes.NewReader(probe)) })
	if err != nil {
		return Image{}, "corrupt WebP header", err
	}
	if p := checkSize("WebP", cfg.Width, cfg.Height, maxPixels); p != "" {
		return Image{}, p, nil
	}
	img, err := guard(func() (image.Image, error) { return webp.Decode(bytes.NewReader(f.still(cfg.Width, cfg.Height))) })
	if err != nil {
		return Image{}, "corrupt WebP data", err
	}
	frame := webpRGB(img)
	if !animated {
		return frame, "", nil
	}
	if f.x+frame.W > canvasW || f.y+frame.H > canvasH {
		return Image{}, fmt.Sprintf("corrupt animated WebP: its first frame (%dx%d at %d,%d) lies outside the %dx%d canvas", frame.W, frame.H, f.x, f.y, canvasW, canvasH), nil
	}
	canvas := NewImage(canvasW, canvasH)
	for y := range frame.H {
		copy(canvas.Pix[((f.y+y)*canvasW+f.x)*3:], frame.Pix[y*frame.W*3:(y+1)*frame.W*3])
	}
	return canvas, "", nil
}

// webpRGB converts a decoded WebP bitstream to RGB: lossless (VP8L) as
// stored, lossy (VP8: Y'CbCr 4:2:0, BT.601 limited range) as libwebp's
// default output does it — "fancy" chroma upsampling and its fixed-point
// YUV→RGB — so that the pixels are Pillow's, not image/color's (JPEG's
// full-range conversion, with chroma repeated: 11 levels off on average).
func webpRGB(img image.Image) Image {
	var ycc *image.YCbCr
	switch m := img.(type) {
	case *image.YCbCr:
		ycc = m
	case *image.NYCbCrA:
		ycc = &m.YCbCr
	}
	if ycc == nil || ycc.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return FromStd(img)
	}
	b := ycc.Rect
	w, h := b.Dx(), b.Dy()
	out := NewImage(w, h)
	yRow := func(r int) []uint8 { return ycc.Y[ycc.YOffset(b.Min.X, b.Min.Y+r):][:w] }
	cRow := func(plane []uint8, r int) []uint8 {
		return plane[ycc.COffset(b.Min.X, b.Min.Y+2*r):][:(w+1)/2]
	}
	// libwebp's rows: row 0 from chroma row 0 alone; then each pair of
	// rows (2k-1, 2k) between chroma rows k-1 and k; an even height's last
	// row from the last chroma row alone.
	for r := range h {
		k := (r + 1) / 2
		near, far := k, k-1 // row 2k: nearer chroma row k
		if r%2 == 1 {
			near, far = k-1, k
		}
		if r == 0 || far > (h-1)/2 {
			far = near
		}
		upsampleRow(yRow(r), cRow(ycc.Cb, near), cRow(ycc.Cr, near), cRow(ycc.Cb, far), cRow(ycc.Cr, far), out.Pix[r*w*3:(r+1)*w*3])
	}
	return out
}

// upsampleRow is one output row of libwebp's UpsampleRgbLinePair: the
// chroma of pixel x interpolated from the nearer chroma row (weight 3)
// and the further one (weight 1), then horizontally the same way, with
// libwebp's roundings.
func upsampleRow(y, nearU, nearV, farU, farV []uint8, dst []uint8) {
	w := len(y)
	// v is one chroma channel's value at pixel x.
	v := func(near, far []uint8, x int) int {
		// Column c's vertical mix, times 4: 3·near + far.
		col := func(c int) int { return 3*int(near[c]) + int(far[c]) }
		if x == 0 || (w%2 == 0 && x == w-1) {
			return (col(x/2) + 2) >> 2 // the edge columns: no horizontal mix
		}
		// x = 2c-1 or 2c: between chroma columns c-1 and c.
		c := (x + 1) / 2
		tl, t, l, cur := int(far[c-1]), int(far[c]), int(near[c-1]), int(near[c])
		// libwebp's diagonals (row pair "top" = far, "bottom" = near are
		// symmetric here: near is the row this one is closer to).
		avg := tl + t + l + cur + 8
		diag12 := (avg + 2*(t+l)) >> 3
		diag03 := (avg + 2*(tl+cur)) >> 3
		if x%2 == 1 { // nearer chroma column c-1
			return (diag03 + l) >> 1
		}
		return (diag12 + cur) >> 1
	}
	for x := range w {
		yy, u, vv := int(y[x]), v(nearU, farU, x), v(nearV, farV, x)
		dst[3*x] = webpClip(mulHi(yy, 19077) + mulHi(vv, 26149) - 14234)
		dst[3*x+1] = webpClip(mulHi(yy, 19077) - mulHi(u, 6419) - mulHi(vv, 13320) + 8708)
		dst[3*x+2] = webpClip(mulHi(yy, 19077) + mulHi(u, 33050) - 17685)
	}
}

func mulHi(v, coeff int) int { return (v * coeff) >> 8 }

// webpClip is libwebp's VP8Clip8: a 6-bit fixed-point value to 0-255.
func webpClip(v int) uint8 {
	if v&^(256<<6-1) == 0 {
		return uint8(v >> 6)
	}
	if v < 0 {
		return 0
	}
	return 255
}
