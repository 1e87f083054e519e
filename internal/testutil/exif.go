package testutil

import "slices"

// WithEXIFOrientation inserts an APP1 EXIF segment holding only the
// Orientation tag o (1…8; little-endian TIFF, one IFD0 entry) after a
// JPEG's SOI marker: a phone photo's tag, for orientation tests.
func WithEXIFOrientation(jpg []byte, o uint16) []byte {
	tiff := []byte{'I', 'I', 42, 0, 8, 0, 0, 0, // header, IFD0 at offset 8
		1, 0, // one entry
		0x12, 0x01, 3, 0, 1, 0, 0, 0, byte(o), byte(o >> 8), 0, 0, // Orientation, SHORT, count 1, value
		0, 0, 0, 0} // no next IFD
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := append([]byte{0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}, seg...)
	return slices.Concat(jpg[:2], app1, jpg[2:])
}
