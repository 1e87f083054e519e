package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	s, _ := fakeServer(t, 1<<20, 4, nil)
	live := httptest.NewServer(s.routes())
	defer live.Close()
	stopping := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "stopping", http.StatusServiceUnavailable)
	}))
	defer stopping.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	_ = ln.Close()

	for _, c := range []struct {
		name       string
		args       []string
		status     int
		out, inErr string
	}{
		{"serving", []string{"-addr", live.Listener.Addr().String()}, 0, "ok http://" + live.Listener.Addr().String() + "/healthz", ""},
		{"wildcard host", []string{"-addr", ":" + port(t, live.Listener.Addr())}, 0, "ok http://127.0.0.1:", ""},
		{"not ok", []string{"-addr", stopping.Listener.Addr().String()}, 1, "", `answered 503 Service Unavailable "stopping"`},
		{"nothing listening", []string{"-addr", closed, "-timeout", "1s"}, 1, "", "connection refused"},
		{"no port", []string{"-addr", "localhost"}, 2, "", "want host:port"},
		{"argument", []string{"extra"}, 2, "", "takes no arguments"},
		{"no timeout", []string{"-timeout", "0s"}, 2, "", "-timeout 0s: give a duration > 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			if got := run(append([]string{"healthcheck"}, c.args...), &stdout, &stderr); got != c.status {
				t.Errorf("exit status %d, want %d; stdout %q stderr %q", got, c.status, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), c.out) || (c.inErr != "" && !strings.Contains(stderr.String(), c.inErr)) {
				t.Errorf("stdout %q (want %q), stderr %q (want %q)", stdout.String(), c.out, stderr.String(), c.inErr)
			}
		})
	}
}

func port(t *testing.T, a net.Addr) string {
	t.Helper()
	_, p, err := net.SplitHostPort(a.String())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHealthURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080/healthz",
		":8080":          "http://127.0.0.1:8080/healthz",
		"0.0.0.0:8080":   "http://127.0.0.1:8080/healthz",
		"[::]:8080":      "http://127.0.0.1:8080/healthz", // serve listens dual-stack there
		"10.1.2.3:80":    "http://10.1.2.3:80/healthz",
		"[::1]:9000":     "http://[::1]:9000/healthz",
	} {
		if got, err := healthURL(addr); err != nil || got != want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	if _, err := healthURL("8080"); err == nil {
		t.Error(`healthURL("8080"): no error`)
	}
}
