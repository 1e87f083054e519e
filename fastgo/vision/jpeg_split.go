package vision

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
)

// Progressive JPEGs with restart markers, in the pure-Go build.
//
// image/jpeg counts restart intervals in MCUs of the whole image even in
// scans of one component, where the JPEG standard (ITU T.81, A.2.2 and
// G.1.1.1) counts them in that component's blocks: a progressive colour
// JPEG with chroma subsampling and a restart interval (cjpeg -progressive
// -restart, many web encoders) fails with "missing 0xff00 sequence",
// although libjpeg, Pillow and browsers read it. Grayscale ones decode.
//
// decodeJPEGSplit therefore rewrites such a file as one grayscale JPEG per
// component, without decoding a single coefficient of the AC scans: each
// gets the frame header of that component alone (its own size, sampling
// 1×1), the tables, and the scans of that component — copied unchanged
// when they hold that component only (their restart intervals already
// count its blocks), re-coded when several components share a scan (only
// DC scans may, in progressive JPEGs). image/jpeg decodes each with its
// own IDCT, and the planes make the *image.YCbCr it would have returned.

// jpegComponent is one component of the frame header.
type jpegComponent struct {
	id, h, v, tq byte
}

// jpegFrame is what decodeJPEGSplit reads of the file.
type jpegFrame struct {
	sof        byte // the SOF marker: 0xc0, 0xc1 or 0xc2
	w, h       int
	comps      []jpegComponent
	hmax, vmax int
}

// blocks is a component's block grid in a scan of it alone: its size in
// samples, ceil(w·h/hmax) × ceil(h·v/vmax), in 8×8 blocks.
func (f *jpegFrame) blocks(c jpegComponent) (bw, bh int) {
	cw := (f.w*int(c.h) + f.hmax - 1) / f.hmax
	ch := (f.h*int(c.v) + f.vmax - 1) / f.vmax
	return (cw + 7) / 8, (ch + 7) / 8
}

// size is a component's size in samples.
func (f *jpegFrame) size(c jpegComponent) (w, h int) {
	return (f.w*int(c.h) + f.hmax - 1) / f.hmax, (f.h*int(c.v) + f.vmax - 1) / f.vmax
}

var errSplit = errors.New("not a JPEG this path decodes")

// decodeJPEGSplit decodes a 3-component YCbCr JPEG component by
// component (see above). It returns errSplit (wrapped) for files it does
// not handle; the caller then reports image/jpeg's own error.
func decodeJPEGSplit(data []byte) (*image.YCbCr, error) {
	var frame *jpegFrame
	var outs [][]byte // one file per component
	var dht [4]huffTable
	ri := 0
	appendAll := func(seg []byte) {
		for i := range outs {
			outs[i] = append(outs[i], seg...)
		}
	}
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		return nil, fmt.Errorf("%w: no SOI", errSplit)
	}
	var pre [][]byte // tables before the frame header
	pos := 2
	for pos+4 <= len(data) {
		if data[pos] != 0xff {
			return nil, fmt.Errorf("%w: no marker at byte %d", errSplit, pos)
		}
		marker := data[pos+1]
		if marker == 0xff { // fill byte
			pos++
			continue
		}
		if marker == 0xd9 { // EOI
			break
		}
		n := int(binary.BigEndian.Uint16(data[pos+2:]))
		if n < 2 || pos+2+n > len(data) {
			return nil, fmt.Errorf("%w: segment %02x overruns the file", errSplit, marker)
		}
		seg := data[pos : pos+2+n]
		body := seg[4:]
		pos += 2 + n
		switch {
		case marker == 0xc0 || marker == 0xc1 || marker == 0xc2:
			if frame != nil {
				return nil, fmt.Errorf("%w: two frame headers", errSplit)
			}
			f, err := readJPEGFrame(marker, body)
			if err != nil {
				return nil, err
			}
			frame = f
			outs = make([][]byte, len(f.comps))
			for i, c := range f.comps {
				outs[i] = append(outs[i], 0xff, 0xd8)
				for _, p := range pre {
					outs[i] = append(outs[i], p...)
				}
				cw, ch := f.size(c)
				outs[i] = append(outs[i], 0xff, marker, 0, 11, 8, byte(ch>>8), byte(ch), byte(cw>>8), byte(cw), 1, c.id, 0x11, c.tq)
			}
		case marker == 0xdb || marker == 0xc4 || marker == 0xdd:
			if marker == 0xc4 {
				if err := readDHT(body, &dht); err != nil {
					return nil, err
				}
			}
			if marker == 0xdd && len(body) >= 2 {
				ri = int(binary.BigEndian.Uint16(body))
			}
			if frame == nil {
				pre = append(pre, seg)
			} else {
				appendAll(seg)
			}
		case marker == 0xda:
			if frame == nil {
				return nil, fmt.Errorf("%w: a scan before the frame header", errSplit)
			}
			end := scanEnd(data, pos)
			if err := splitScan(frame, body, data[pos:end], ri, &dht, outs); err != nil {
				return nil, err
			}
			pos = end
		case marker >= 0xc3 && marker <= 0xcf:
			return nil, fmt.Errorf("%w: SOF%d (arithmetic, lossless or hierarchical)", errSplit, marker-0xc0)
		}
		// APPn, COM: not needed by the components' files.
	}
	if frame == nil || ri == 0 {
		return nil, fmt.Errorf("%w: no frame header or no restart interval", errSplit)
	}
	planes := make([]*image.Gray, len(outs))
	for i, out := range outs {
		m, err := jpeg.Decode(bytes.NewReader(append(out, 0xff, 0xd9)))
		if err != nil {
			return nil, fmt.Errorf("component %d: %w", i, err)
		}
		g, ok := m.(*image.Gray)
		if !ok {
			return nil, fmt.Errorf("%w: component %d decoded as %T", errSplit, i, m)
		}
		planes[i] = g
	}
	return frame.ycbcr(planes)
}

// readJPEGFrame reads a frame header that decodeJPEGSplit handles: 8-bit
// Y'CbCr with luma at the largest sampling and both chroma components
// alike, in a ratio image.YCbCr has.
func readJPEGFrame(marker byte, b []byte) (*jpegFrame, error) {
	if len(b) < 6 || b[0] != 8 {
		return nil, fmt.Errorf("%w: not an 8-bit frame", errSplit)
	}
	f := &jpegFrame{sof: marker, h: int(binary.BigEndian.Uint16(b[1:])), w: int(binary.BigEndian.Uint16(b[3:]))}
	n := int(b[5])
	if n != 3 || len(b) < 6+3*n || f.w == 0 || f.h == 0 {
		return nil, fmt.Errorf("%w: %d components", errSplit, n)
	}
	for i := range n {
		c := jpegComponent{id: b[6+3*i], h: b[7+3*i] >> 4, v: b[7+3*i] & 15, tq: b[8+3*i]}
		if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.tq > 3 {
			return nil, fmt.Errorf("%w: component %d sampling %dx%d", errSplit, i, c.h, c.v)
		}
		f.comps = append(f.comps, c)
		f.hmax, f.vmax = max(f.hmax, int(c.h)), max(f.vmax, int(c.v))
	}
	y, cb, cr := f.comps[0], f.comps[1], f.comps[2]
	if int(y.h) != f.hmax || int(y.v) != f.vmax || cb.h != cr.h || cb.v != cr.v || cb.h != 1 || cb.v != 1 {
		return nil, fmt.Errorf("%w: sampling %dx%d, %dx%d, %dx%d", errSplit, y.h, y.v, cb.h, cb.v, cr.h, cr.v)
	}
	return f, nil
}

// ycbcr assembles the decoded planes.
func (f *jpegFrame) ycbcr(planes []*image.Gray) (*image.YCbCr, error) {
	var ratio image.YCbCrSubsampleRatio
	switch [2]int{f.hmax, f.vmax} {
	case [2]int{1, 1}:
		ratio = image.YCbCrSubsampleRatio444
	case [2]int{2, 1}:
		ratio = image.YCbCrSubsampleRatio422
	case [2]int{2, 2}:
		ratio = image.YCbCrSubsampleRatio420
	case [2]int{1, 2}:
		ratio = image.YCbCrSubsampleRatio440
	case [2]int{4, 1}:
		ratio = image.YCbCrSubsampleRatio411
	case [2]int{4, 2}:
		ratio = image.YCbCrSubsampleRatio410
	default:
		return nil, fmt.Errorf("%w: sampling %dx%d", errSplit, f.hmax, f.vmax)
	}
	m := image.NewYCbCr(image.Rect(0, 0, f.w, f.h), ratio)
	cw, ch := f.size(f.comps[1])
	for i, p := range planes {
		w, h, dst, stride := f.w, f.h, m.Y, m.YStride
		if i > 0 {
			w, h, dst, stride = cw, ch, m.Cb, m.CStride
			if i == 2 {
				dst = m.Cr
			}
		}
		if p.Rect.Dx() != w || p.Rect.Dy() != h {
			return nil, fmt.Errorf("%w: component %d is %v, want %dx%d", errSplit, i, p.Rect, w, h)
		}
		for y := range h {
			copy(dst[y*stride:y*stride+w], p.Pix[y*p.Stride:])
		}
	}
	return m, nil
}

// scanEnd is where a scan's entropy-coded data starting at pos ends: at
// the first marker that is neither a stuffed 0xff00 nor a restart marker.
func scanEnd(data []byte, pos int) int {
	for i := pos; i+1 < len(data); i++ {
		if data[i] == 0xff && data[i+1] != 0 && (data[i+1] < 0xd0 || data[i+1] > 0xd7) && data[i+1] != 0xff {
			return i
		}
	}
	return len(data)
}

// splitScan appends a scan (header body, entropy-coded data) to the
// files of the components it holds.
func splitScan(f *jpegFrame, hdr, ecs []byte, ri int, dht *[4]huffTable, outs [][]byte) error {
	if len(hdr) < 1 || len(hdr) < 1+2*int(hdr[0])+3 {
		return fmt.Errorf("%w: short scan header", errSplit)
	}
	ns := int(hdr[0])
	ss, se, ah, al := hdr[1+2*ns], hdr[2+2*ns], hdr[3+2*ns]>>4, hdr[3+2*ns]&15
	comps := make([]int, ns)
	tds := make([]byte, ns)
	for i := range ns {
		comps[i] = -1
		for j, c := range f.comps {
			if c.id == hdr[1+2*i] {
				comps[i] = j
			}
		}
		if comps[i] < 0 {
			return fmt.Errorf("%w: scan of unknown component %d", errSplit, hdr[1+2*i])
		}
		tds[i] = hdr[2+2*i] >> 4
	}
	header := func(c int, table byte) []byte {
		return []byte{0xff, 0xda, 0, 8, 1, f.comps[c].id, table, ss, se, ah<<4 | al}
	}
	if ns == 1 {
		// Already one component: its restart intervals count its blocks.
		// A DC scan's table is defined again before it: a re-coded scan
		// before it may have replaced DC table 0 with the standard one.
		c := comps[0]
		if ss == 0 && ah == 0 {
			outs[c] = append(outs[c], dht[tds[0]].segment(tds[0])...)
		}
		outs[c] = append(append(outs[c], header(c, hdr[2])...), ecs...)
		return nil
	}
	if ss != 0 || se != 0 {
		return fmt.Errorf("%w: an interleaved scan with AC coefficients", errSplit)
	}
	// An interleaved DC scan: decode each block's DC value (or refinement
	// bit) in MCU order, then code each component's blocks in its own
	// raster order, with the standard DC table (every category).
	values := make([][]int, ns)
	grids := make([][2]int, ns)
	for i, c := range comps {
		bw, bh := f.blocks(f.comps[c])
		grids[i] = [2]int{bw, bh}
		values[i] = make([]int, bw*bh)
	}
	r := &bitReader{data: ecs}
	mxx, myy := (f.w+8*f.hmax-1)/(8*f.hmax), (f.h+8*f.vmax-1)/(8*f.vmax)
	pred := make([]int, ns)
	for mcu := range mxx * myy {
		if ri > 0 && mcu > 0 && mcu%ri == 0 {
			if err := r.restart(); err != nil {
				return err
			}
			clear(pred)
		}
		mx, my := mcu%mxx, mcu/mxx
		for i, c := range comps {
			comp := f.comps[c]
			for j := range int(comp.h) * int(comp.v) {
				bx, by := mx*int(comp.h)+j%int(comp.h), my*int(comp.v)+j/int(comp.h)
				var v int
				if ah == 0 {
					s, err := dht[tds[i]].decode(r)
					if err != nil {
						return err
					}
					diff, err := r.receiveExtend(s)
					if err != nil {
						return err
					}
					pred[i] += diff
					v = pred[i]
				} else {
					bit, err := r.bits(1)
					if err != nil {
						return err
					}
					v = bit
				}
				if bx < grids[i][0] && by < grids[i][1] {
					values[i][by*grids[i][0]+bx] = v
				}
			}
		}
	}
	for i, c := range comps {
		w := &bitWriter{}
		prev := 0
		for b, v := range values[i] {
			if ri > 0 && b > 0 && b%ri == 0 {
				w.restart()
				prev = 0
			}
			if ah == 0 {
				w.dc(v - prev)
				prev = v
			} else {
				w.put(uint32(v), 1)
			}
		}
		w.flush()
		out := outs[c]
		if ah == 0 {
			out = append(out, standardDCTable...)
		}
		outs[c] = append(append(out, header(c, 0)...), w.buf...)
	}
	return nil
}

// huffTable is a DHT table: its codes by length.
type huffTable struct {
	set    bool
	counts [17]int // codes of each length
	values []byte
}

// readDHT reads a DHT segment's DC tables (AC tables are only used by
// scans copied as they are).
func readDHT(b []byte, tables *[4]huffTable) error {
	for len(b) >= 17 {
		class, id := b[0]>>4, b[0]&15
		var t huffTable
		total := 0
		for i := 1; i <= 16; i++ {
			t.counts[i] = int(b[i])
			total += t.counts[i]
		}
		if id > 3 || total > 256 || len(b) < 17+total {
			return fmt.Errorf("%w: bad DHT", errSplit)
		}
		t.values, t.set = b[17:17+total], true
		if class == 0 {
			tables[id] = t
		}
		b = b[17+total:]
	}
	return nil
}

// segment is the table as a DHT segment defining DC table id.
func (t *huffTable) segment(id byte) []byte {
	if !t.set {
		return nil
	}
	n := 2 + 17 + len(t.values)
	seg := []byte{0xff, 0xc4, byte(n >> 8), byte(n), id}
	for l := 1; l <= 16; l++ {
		seg = append(seg, byte(t.counts[l]))
	}
	return append(seg, t.values...)
}

// decode reads one symbol, bit by bit (canonical Huffman codes: T.81 C.2).
func (t *huffTable) decode(r *bitReader) (int, error) {
	if !t.set {
		return 0, fmt.Errorf("%w: a scan uses an undefined DC table", errSplit)
	}
	code, first, index := 0, 0, 0
	for l := 1; l <= 16; l++ {
		bit, err := r.bits(1)
		if err != nil {
			return 0, err
		}
		code = code<<1 | bit
		n := t.counts[l]
		if code-first < n {
			return int(t.values[index+code-first]), nil
		}
		index += n
		first = (first + n) << 1
	}
	return 0, fmt.Errorf("%w: bad Huffman code", errSplit)
}

// bitReader reads entropy-coded data: 0xff00 is a 0xff byte; a restart
// marker ends an interval.
type bitReader struct {
	data  []byte
	pos   int
	acc   uint32
	nbits int
}

func (r *bitReader) bits(n int) (int, error) {
	for r.nbits < n {
		if r.pos >= len(r.data) {
			return 0, fmt.Errorf("%w: scan data ends early", errSplit)
		}
		c := r.data[r.pos]
		if c == 0xff {
			if r.pos+1 >= len(r.data) || r.data[r.pos+1] != 0 {
				return 0, fmt.Errorf("%w: a marker inside a restart interval", errSplit)
			}
			r.pos++
		}
		r.pos++
		r.acc = r.acc<<8 | uint32(c)
		r.nbits += 8
	}
	r.nbits -= n
	return int(r.acc>>r.nbits) & (1<<n - 1), nil
}

// receiveExtend reads s bits as a signed value (T.81 F.2.2.1).
func (r *bitReader) receiveExtend(s int) (int, error) {
	if s == 0 {
		return 0, nil
	}
	if s > 11 { // beyond 8-bit samples' DC differences, and Table K.3
		return 0, fmt.Errorf("%w: DC category %d", errSplit, s)
	}
	v, err := r.bits(s)
	if err != nil {
		return 0, err
	}
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v, nil
}

// restart drops the bits left in the byte and reads a restart marker.
func (r *bitReader) restart() error {
	r.acc, r.nbits = 0, 0
	if r.pos+1 >= len(r.data) || r.data[r.pos] != 0xff || r.data[r.pos+1] < 0xd0 || r.data[r.pos+1] > 0xd7 {
		return fmt.Errorf("%w: missing restart marker", errSplit)
	}
	r.pos += 2
	return nil
}

// bitWriter writes entropy-coded data, stuffing 0xff bytes.
type bitWriter struct {
	buf   []byte
	acc   uint32
	nbits int
	rst   byte
}

func (w *bitWriter) put(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		w.acc = w.acc<<1 | (v>>i)&1
		w.nbits++
		if w.nbits == 8 {
			w.buf = append(w.buf, byte(w.acc))
			if byte(w.acc) == 0xff {
				w.buf = append(w.buf, 0)
			}
			w.acc, w.nbits = 0, 0
		}
	}
}

// flush pads the last byte with 1 bits (T.81 F.1.2.3).
func (w *bitWriter) flush() {
	if w.nbits > 0 {
		w.put(1<<(8-w.nbits)-1, 8-w.nbits)
	}
}

func (w *bitWriter) restart() {
	w.flush()
	w.buf = append(w.buf, 0xff, 0xd0+w.rst)
	w.rst = (w.rst + 1) % 8
}

// dc writes a DC difference with the standard luminance DC table (T.81
// Table K.3): category s's code, then s bits.
func (w *bitWriter) dc(diff int) {
	v, s := diff, 0
	for a := max(diff, -diff); a > 0; a >>= 1 {
		s++
	}
	if diff < 0 {
		v = diff - 1
	}
	code := standardDCCodes[s]
	w.put(uint32(code[0]), code[1])
	w.put(uint32(v)&(1<<s-1), s)
}

// standardDCCodes are Table K.3's codes (code, length) for categories
// 0-11, and standardDCTable its DHT segment, as DC table 0.
var (
	standardDCCodes = [12][2]int{{0b00, 2}, {0b010, 3}, {0b011, 3}, {0b100, 3}, {0b101, 3}, {0b110, 3}, {0b1110, 4}, {0b11110, 5}, {0b111110, 6}, {0b1111110, 7}, {0b11111110, 8}, {0b111111110, 9}}
	standardDCTable = []byte{0xff, 0xc4, 0, 31, 0x00, 0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
)
