package backend

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestAvailableRAMHonoursTheCgroupLimit(t *testing.T) {
	root := t.TempDir() + "/"
	write := func(p, s string) {
		if err := os.MkdirAll(filepath.Dir(root+p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(root+p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("proc/meminfo", "MemTotal:       25165824 kB\nMemFree:         1000 kB\nMemAvailable:   20971520 kB\n")
	write("proc/self/status", "Name:\tx\nVmRSS:\t  1048576 kB\n")
	m, ok := availableRAM(root)
	if !ok || m.Bytes != 21<<30 || !strings.Contains(m.Where, "of 24.00G") {
		t.Errorf("no cgroup: %+v %v, want 21 GiB (20 available + 1 held) of 24", m, ok)
	}
	write("sys/fs/cgroup/memory.max", "4294967296\n") // a 4 GB container
	write("sys/fs/cgroup/memory.current", "2147483648\n")
	m, ok = availableRAM(root)
	if !ok || m.Bytes != 3<<30 || !strings.Contains(m.Where, "cgroup limit") || !strings.Contains(m.Where, "of 4.00G") {
		t.Errorf("cgroup v2 limit: %+v, want 3 GiB (4 - 2 used + 1 held) of the 4 GiB limit", m)
	}
	write("sys/fs/cgroup/memory.max", "max\n")
	if m, _ = availableRAM(root); m.Bytes != 21<<30 {
		t.Errorf(`memory.max "max": %+v, want no limit`, m)
	}
	if _, ok := availableRAM(t.TempDir() + "/"); ok {
		t.Error("no /proc/meminfo: want ok=false")
	}
}
