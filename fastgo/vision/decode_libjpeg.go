//go:build cgo && libjpeg

package vision

/*
#cgo LDFLAGS: -ljpeg
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>

// libjpeg's default error handler exits the process: this one jumps back
// with the message instead, and turns "premature end of file" (a warning
// for libjpeg, which would pad the image with grey) into an error, as
// Pillow does.
typedef struct {
	struct jpeg_error_mgr pub;
	jmp_buf jump;
	char msg[JMSG_LENGTH_MAX];
} fastgo_err;

static void fastgo_error_exit(j_common_ptr c) {
	fastgo_err *e = (fastgo_err *)c->err;
	(*c->err->format_message)(c, e->msg);
	longjmp(e->jump, 1);
}

static void fastgo_emit(j_common_ptr c, int level) {
	if (level < 0 && c->err->msg_code == JWRN_JPEG_EOF) {
		fastgo_error_exit(c);
	}
}

// fastgo_jpeg decodes data to interleaved RGB. With out == NULL it only
// reads the header: *w, *h and *cmyk (1 for CMYK/YCCK, which libjpeg
// cannot convert to RGB). Returns 0, or 1 with the message in msg.
static int fastgo_jpeg(const unsigned char *data, unsigned long n, unsigned char *out,
		int *w, int *h, int *cmyk, char *msg) {
	struct jpeg_decompress_struct c;
	fastgo_err e;
	c.err = jpeg_std_error(&e.pub);
	e.pub.error_exit = fastgo_error_exit;
	e.pub.emit_message = fastgo_emit;
	if (setjmp(e.jump)) {
		strncpy(msg, e.msg, JMSG_LENGTH_MAX);
		jpeg_destroy_decompress(&c);
		return 1;
	}
	jpeg_create_decompress(&c);
	jpeg_mem_src(&c, data, n);
	jpeg_read_header(&c, TRUE);
	*w = c.image_width;
	*h = c.image_height;
	*cmyk = c.jpeg_color_space == JCS_CMYK || c.jpeg_color_space == JCS_YCCK;
	if (out == NULL || *cmyk) {
		jpeg_destroy_decompress(&c);
		return 0;
	}
	c.out_color_space = JCS_RGB;
	jpeg_start_decompress(&c);
	while (c.output_scanline < c.output_height) {
		JSAMPROW row = out + (size_t)c.output_scanline * c.output_width * 3;
		jpeg_read_scanlines(&c, &row, 1);
	}
	jpeg_finish_decompress(&c);
	jpeg_destroy_decompress(&c);
	return 0;
}
*/
import "C"

import (
	"errors"
	"unsafe"
)

// libjpegBuild says whether JPEGs are decoded by libjpeg-turbo.
const libjpegBuild = true

// decodeJPEGFast decodes a JPEG with libjpeg-turbo (the library Pillow
// uses, so pixels match fastai's exactly, and about 4× faster than
// image/jpeg). ok is false for CMYK/YCCK files, which image/jpeg handles.
func decodeJPEGFast(data []byte, maxPixels int) (m Image, ok bool, problem string, err error) {
	var w, h, cmyk C.int
	var msg [C.JMSG_LENGTH_MAX]C.char
	src := (*C.uchar)(unsafe.Pointer(&data[0]))
	if C.fastgo_jpeg(src, C.ulong(len(data)), nil, &w, &h, &cmyk, &msg[0]) != 0 {
		return Image{}, true, "corrupt JPEG header", errors.New(C.GoString(&msg[0]))
	}
	if cmyk != 0 {
		return Image{}, false, "", nil
	}
	if problem := checkSize("JPEG", int(w), int(h), maxPixels); problem != "" {
		return Image{}, true, problem, nil
	}
	m = NewImage(int(w), int(h))
	if C.fastgo_jpeg(src, C.ulong(len(data)), (*C.uchar)(unsafe.Pointer(&m.Pix[0])), &w, &h, &cmyk, &msg[0]) != 0 {
		return Image{}, true, "corrupt JPEG data", errors.New(C.GoString(&msg[0]))
	}
	return m, true, "", nil
}
