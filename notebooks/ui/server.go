package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a classic Jupyter Notebook server that this program started.
type server struct {
	cmd   *exec.Cmd
	done  chan struct{} // closed when the process has exited
	url   string        // http://127.0.0.1:PORT
	token string
	log   string // its log file
}

// startServer starts `jupyter notebook` serving dir on 127.0.0.1 with a free
// port and a random token. Its config and runtime folders are under work
// (JUPYTER_CONFIG_DIR, JUPYTER_RUNTIME_DIR); JUPYTER_DATA_DIR, where the
// kernelspec is, comes from the environment (scripts/notebook-env.sh sets
// it under build/). It returns once the server answers.
func startServer(ctx context.Context, jupyter, work, dir string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	s := &server{url: fmt.Sprintf("http://127.0.0.1:%d", port), token: hex.EncodeToString(b),
		log: filepath.Join(work, "server.log"), done: make(chan struct{})}
	for _, d := range []string{"config", "runtime"} {
		if err := os.MkdirAll(filepath.Join(work, d), 0o755); err != nil {
			return nil, err
		}
	}
	logf, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	args := []string{"notebook", "--no-browser", "--ip=127.0.0.1", "--port=" + strconv.Itoa(port),
		"--port-retries=0", "--notebook-dir=" + dir, "--NotebookApp.token=" + s.token,
		"--NotebookApp.password=", "--MappingKernelManager.cull_idle_timeout=0"}
	if os.Getuid() == 0 {
		args = append(args, "--allow-root")
	}
	s.cmd = exec.Command(jupyter, args...)
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.Env = append(os.Environ(),
		"JUPYTER_CONFIG_DIR="+filepath.Join(work, "config"),
		"JUPYTER_RUNTIME_DIR="+filepath.Join(work, "runtime"),
		"BROWSER=true", // never a browser of the user's
	)
	// Its own process group (a Ctrl-C in the terminal reaches this program,
	// which stops the server in order), and a SIGTERM from the kernel should
	// this program die without stopping it: the server then shuts its kernels
	// down itself.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", jupyter, err)
	}
	go func() {
		s.cmd.Wait()
		logf.Close()
		close(s.done)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var status map[string]any
		if err := s.api(ctx, http.MethodGet, "/api/status", &status); err == nil {
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("jupyter notebook exited at start; last lines of %s:\n%s", s.log, tail(s.log, 20))
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("jupyter notebook did not answer on %s within 60 s; see %s", s.url, s.log)
		}
	}
}

// freePort asks the system for a free TCP port on 127.0.0.1.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// api calls the server's REST API; out (when not nil) receives the JSON reply.
func (s *server) api(ctx context.Context, method, path string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.url+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "token "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// notebookURL is the page of the notebook file name (in the served folder).
func (s *server) notebookURL(name string) string {
	return s.url + "/notebooks/" + name + "?token=" + s.token
}

// shutdownKernels asks the server to shut every kernel down (the sessions of
// the notebooks opened).
func (s *server) shutdownKernels(ctx context.Context) error {
	var kernels []struct {
		ID string `json:"id"`
	}
	if err := s.api(ctx, http.MethodGet, "/api/kernels", &kernels); err != nil {
		return err
	}
	var errs []error
	for _, k := range kernels {
		errs = append(errs, s.api(ctx, http.MethodDelete, "/api/kernels/"+k.ID, nil))
	}
	return errors.Join(errs...)
}

// stop shuts the kernels down, then the server (SIGTERM to its group, which
// makes it stop its remaining kernels too; SIGKILL after 15 s).
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s.shutdownKernels(ctx)
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// killLeftovers kills the processes whose command line names a path under
// work's server folders — the server (--notebook-dir=WORK/nb) and its kernels
// (the connection file WORK/runtime/kernel-*.json) — and every process in a
// kernel's session (its gopls, the programs its cells run). Kernels start in
// sessions of their own, so a server that died hard can leave them behind.
// It returns what it killed.
func killLeftovers(work string) []string {
	markers := [][]byte{
		[]byte("--notebook-dir=" + filepath.Join(work, "nb")),
		[]byte(filepath.Join(work, "runtime") + "/"),
	}
	type proc struct {
		pid, sid int
		args     string
	}
	var procs []proc
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		procs = append(procs, proc{pid, sessionOf(pid), string(bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))})
		if !slices.ContainsFunc(markers, func(m []byte) bool { return bytes.Contains(cmdline, m) }) {
			procs[len(procs)-1].args = ""
		}
	}
	leaders := map[int]bool{} // sessions of matched processes that lead their own
	var killed []string
	for _, p := range procs {
		if p.args == "" {
			continue
		}
		if p.sid == p.pid {
			leaders[p.pid] = true
		}
		killed = append(killed, fmt.Sprintf("%d %s", p.pid, truncate(strings.TrimSpace(p.args), 120)))
		syscall.Kill(p.pid, syscall.SIGKILL)
	}
	for _, p := range procs {
		if p.args == "" && leaders[p.sid] && p.pid != self {
			syscall.Kill(p.pid, syscall.SIGKILL)
			killed = append(killed, fmt.Sprintf("%d (in session %d)", p.pid, p.sid))
		}
	}
	return killed
}

// sessionOf is the session id of process pid (-1 when unknown), from
// /proc/PID/stat: "pid (comm) state ppid pgrp session ...".
func sessionOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 4 {
		return -1
	}
	sid, err := strconv.Atoi(f[3])
	if err != nil {
		return -1
	}
	return sid
}

// tail is the last n lines of the file at path.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// truncate cuts s to n runes, marking the cut with "…".
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
