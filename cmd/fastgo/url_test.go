package main

import (
	"net"
	"testing"
)

// -addr 0.0.0.0:PORT printed "http://[::]:PORT" and no warning (a user
// trial): the URL is one a browser opens, and the caller warns.
func TestServeURL(t *testing.T) {
	for _, tc := range []struct {
		addr       net.Addr
		want       string
		everywhere bool
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "http://127.0.0.1:8080", false},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 36659}, "http://127.0.0.1:36659", true},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 80}, "http://127.0.0.1:80", true},
		{&net.TCPAddr{IP: net.ParseIP("192.168.1.5"), Port: 9000}, "http://192.168.1.5:9000", false},
	} {
		if got, every := serveURL(tc.addr); got != tc.want || every != tc.everywhere {
			t.Errorf("serveURL(%v) = %q, %v; want %q, %v", tc.addr, got, every, tc.want, tc.everywhere)
		}
	}
}
