package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// healthcheckCmd asks a running `fastgo serve` for GET /healthz and exits 0
// when it answers 200 "ok", 1 otherwise: the HEALTHCHECK of the serving
// image (docker/serve.Dockerfile), whose scratch base has no curl, and a
// liveness probe anywhere else.
func healthcheckCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fastgo healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "the server's address, as given to serve -addr (a wildcard host, \":8080\" or \"0.0.0.0:8080\", is asked on loopback)")
	timeout := fs.Duration("timeout", 3*time.Second, "longest wait for the answer")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: fastgo healthcheck [flags]\n\nExits 0 when the fastgo serve at -addr answers GET /healthz with 200 \"ok\", else 1 (and says why on stderr).")
		fs.PrintDefaults()
	}
	pos, ok, status := parseArgs(fs, args)
	if !ok {
		return status
	}
	if len(pos) != 0 {
		return badArgs(fs, stderr, "takes no arguments: give the server's address with -addr host:port", pos)
	}
	var bad flagProblems
	bad.check(*timeout > 0, "-timeout %v: give a duration > 0, e.g. 3s", *timeout)
	if bad.report(fs, stderr) {
		return 2
	}
	url, err := healthURL(*addr)
	if err != nil {
		fmt.Fprintf(stderr, "fastgo healthcheck: %v\n", err)
		return 2
	}
	client := &http.Client{Timeout: *timeout}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintf(stderr, "fastgo healthcheck: %v\n", err)
		return 1
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256))
	if err != nil {
		fmt.Fprintf(stderr, "fastgo healthcheck: %s: reading the answer: %v\n", url, err)
		return 1
	}
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "ok" {
		fmt.Fprintf(stderr, "fastgo healthcheck: %s answered %s %q, want 200 \"ok\"\n", url, resp.Status, strings.TrimSpace(string(body)))
		return 1
	}
	fmt.Fprintf(stdout, "ok %s\n", url)
	return 0
}

// healthURL is the /healthz URL of a server listening on addr (serve's
// -addr), reached as serve's own banner says (serveURL: a wildcard host is
// asked on 127.0.0.1).
func healthURL(addr string) (string, error) {
	tcp, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("-addr %q: want host:port, as given to serve -addr: %v", addr, err)
	}
	url, _ := serveURL(tcp)
	return url + "/healthz", nil
}
