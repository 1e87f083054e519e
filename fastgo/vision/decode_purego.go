//go:build !cgo || !libjpeg

package vision

// libjpegBuild says whether JPEGs are decoded by libjpeg-turbo: not in this
// build (build with -tags libjpeg and cgo for that).
const libjpegBuild = false

// decodeJPEGFast is the libjpeg-turbo path, absent from this build: ok is
// always false, so image/jpeg decodes.
func decodeJPEGFast(data []byte, maxPixels int) (m Image, ok bool, problem string, err error) {
	return Image{}, false, "", nil
}
