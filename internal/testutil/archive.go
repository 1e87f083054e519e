package testutil

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"testing"
	"time"
)

// TarEntry is one member of a test archive.
type TarEntry struct {
	Name, Body string
	Typ        byte // tar.TypeReg when zero
	Link       string
}

// Tgz builds a gzipped tar archive in memory at the given gzip level
// (gzip.DefaultCompression, or gzip.NoCompression so that a member's bytes
// appear as they are in the archive).
func Tgz(tb testing.TB, level int, entries ...TarEntry) []byte {
	tb.Helper()
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		tb.Fatal(err)
	}
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Mode: 0o644, Typeflag: e.Typ, Linkname: e.Link, ModTime: time.Unix(0, 0)}
		switch e.Typ {
		case 0:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.Body))
		case tar.TypeDir:
			h.Mode = 0o755
		}
		if err := tw.WriteHeader(h); err != nil {
			tb.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(e.Body)); err != nil {
				tb.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
