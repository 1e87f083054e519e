package main

import "testing"

func TestByteSize(t *testing.T) {
	for in, want := range map[string]int64{
		"20MiB": 20 << 20, "20mib": 20 << 20, "20M": 20 << 20, "20MB": 20e6,
		"512KiB": 512 << 10, "1.5GiB": 3 << 29, "1048576": 1 << 20, "100 bytes": 100, "7B": 7,
	} {
		var b byteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, b, err, want)
		}
	}
	for _, bad := range []string{"", "3Q", "-1MiB", "MiB", "1e30GiB"} {
		var b byteSize
		if err := b.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted: %d", bad, b)
		}
	}
	for b, want := range map[byteSize]string{20 << 20: "20MiB", 64 << 10: "64KiB", 1 << 30: "1GiB", 1000: "1000 bytes"} {
		if got := b.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int64(b), got, want)
		}
	}
}
