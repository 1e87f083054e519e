package vision

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sync"

	exif "github.com/dsoprea/go-exif/v3"
	exifcommon "github.com/dsoprea/go-exif/v3/common"
)

// orientJPEG applies the EXIF orientation of the JPEG data to its decoded
// pixels m (see ApplyEXIFOrientation) when apply is set; m is returned as it
// is when the file has no orientation tag, an unreadable one, or !apply.
func orientJPEG(m Image, data []byte, apply bool) Image {
	if !apply {
		return m
	}
	return Orient(m, jpegOrientation(data))
}

// exifOrientationTag is the TIFF/EXIF Orientation tag of IFD0.
const exifOrientationTag = 0x0112

// jpegOrientation reads the Orientation tag (1 to 8) of a JPEG's EXIF
// segment; 1 (as stored) when there is none or it cannot be read. The
// EXIF data itself is read by github.com/dsoprea/go-exif, IFD0 only: the
// scan stops at the tag (a phone's EXIF block, maker notes and thumbnail
// included, would cost as much as decoding the image).
func jpegOrientation(data []byte) (orientation int) {
	defer func() {
		if recover() != nil { // hostile EXIF data: the image as stored
			orientation = 1
		}
	}()
	payload := exifSegment(data)
	if payload == nil {
		return 1
	}
	eh, err := exif.ParseExifHeader(payload)
	if err != nil {
		return 1
	}
	mapping, err := exifcommon.NewIfdMappingWithStandard()
	if err != nil {
		return 1
	}
	ie := exif.NewIfdEnumerate(mapping, exifTagIndex(), exif.NewExifReadSeekerWithBytes(payload), eh.ByteOrder)
	orientation = 1
	// The visitor's error ends the scan (go-exif reports it back; ignored).
	_, _ = ie.Scan(exifcommon.IfdStandardIfdIdentity, eh.FirstIfdOffset, func(ite *exif.IfdTagEntry) error {
		if ite.IfdPath() != exifcommon.IfdStandardIfdIdentity.String() || ite.TagId() != exifOrientationTag {
			return nil
		}
		if v, err := ite.Value(); err == nil {
			if s, ok := v.([]uint16); ok && len(s) > 0 && s[0] >= 1 && s[0] <= 8 {
				orientation = int(s[0])
			}
		}
		return errOrientationRead
	}, nil)
	return orientation
}

var errOrientationRead = errors.New("orientation read")

// exifTagIndex is go-exif's tag table, loaded once (from YAML: the costly
// part of reading EXIF) and shared; it locks itself.
var exifTagIndex = sync.OnceValue(exif.NewTagIndex)

// exifSegment returns the TIFF data of a JPEG's APP1 "Exif" segment (what
// follows "Exif\0\0"), or nil. It walks the markers before the image data
// (JPEG, ITU T.81 B.1.1.4): each segment is FF xx followed by a big-endian
// length that counts itself.
func exifSegment(data []byte) []byte {
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return nil
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return nil
		}
		marker := data[i+1]
		if marker == 0xFF { // fill byte
			i++
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image: no more metadata
			return nil
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return nil
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xE1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return seg[6:]
		}
		i += 2 + n
	}
	return nil
}

// Orient returns m turned as the EXIF Orientation value o says to display
// it (TIFF 6.0 / EXIF 2.3 tag 274; Pillow's ImageOps.exif_transpose):
// 1 as stored, 2 mirrored left-right, 3 rotated 180°, 4 mirrored top-bottom,
// 5 transposed (mirrored along the main diagonal), 6 rotated 90° clockwise,
// 7 transversed (mirrored along the other diagonal), 8 rotated 90°
// counter-clockwise. Values 5 to 8 swap width and height. Any other value
// returns m unchanged.
func Orient(m Image, o int) Image {
	if o < 2 || o > 8 {
		return m
	}
	w, h := m.W, m.H
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	// src maps an output pixel to the stored pixel shown there.
	src := map[int]func(x, y int) (int, int){
		2: func(x, y int) (int, int) { return w - 1 - x, y },
		3: func(x, y int) (int, int) { return w - 1 - x, h - 1 - y },
		4: func(x, y int) (int, int) { return x, h - 1 - y },
		5: func(x, y int) (int, int) { return y, x },
		6: func(x, y int) (int, int) { return y, h - 1 - x },
		7: func(x, y int) (int, int) { return w - 1 - y, h - 1 - x },
		8: func(x, y int) (int, int) { return w - 1 - y, x },
	}[o]
	out := NewImage(ow, oh)
	for y := range oh {
		row := out.Pix[y*ow*3:][:ow*3]
		for x := range ow {
			sx, sy := src(x, y)
			copy(row[3*x:3*x+3], m.Pix[(sy*w+sx)*3:][:3])
		}
	}
	return out
}
