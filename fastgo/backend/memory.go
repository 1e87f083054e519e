package backend

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/fastgo-ml/fastgo/display"
)

// Memory is what a program can use for its data: Bytes in all (what it
// holds now included) and Where, in words ("RAM: 3.2 GiB available of
// 4.0 GiB (cgroup limit)").
type Memory struct {
	Bytes int64
	Where string
	// GPU says the figure is a GPU's memory, not the machine's RAM.
	GPU bool
}

// AvailableMemory says how much memory the backend's device offers this
// process: on a CUDA backend the GPU's memory (nvidia-smi), else the RAM
// still available (/proc/meminfo's MemAvailable, capped by a cgroup
// memory limit, v2 or v1, and by ulimit -v) plus what the process itself
// holds. ok is false
// where the system does not say (not Linux): then nothing can be checked.
func AvailableMemory() (m Memory, ok bool) {
	return availableMemory(DefaultChoice().Device, hostEnv())
}

// availableMemory is AvailableMemory for a backend on device, on the
// machine e describes (a fake one in tests).
func availableMemory(device string, e env) (Memory, bool) {
	if device == "cuda" {
		if gpus := e.findGPUs(); len(gpus) > 0 && gpus[0].MemoryMiB > 0 {
			b := int64(gpus[0].MemoryMiB) << 20
			return Memory{Bytes: b, Where: fmt.Sprintf("%s: %s of GPU memory", gpus[0].Name, display.FormatBytes(b)), GPU: true}, true
		}
		return Memory{}, false
	}
	return availableRAM("/")
}

// availableRAM reads the figures under root (a fake one in tests).
func availableRAM(root string) (Memory, bool) {
	info := readKeyValues(root+"proc/meminfo", ":")
	avail, ok := kib(info["MemAvailable"])
	if !ok {
		return Memory{}, false
	}
	status := readKeyValues(root+"proc/self/status", ":")
	own, _ := kib(status["VmRSS"])
	total, _ := kib(info["MemTotal"])
	m := Memory{Bytes: avail + own, Where: fmt.Sprintf("RAM: %s available of %s", display.FormatBytes(avail+own), display.FormatBytes(total))}
	for _, cg := range [][2]string{
		{"sys/fs/cgroup/memory.max", "sys/fs/cgroup/memory.current"},
		{"sys/fs/cgroup/memory/memory.limit_in_bytes", "sys/fs/cgroup/memory/memory.usage_in_bytes"},
	} {
		limit, err1 := readInt(root + cg[0])
		used, err2 := readInt(root + cg[1])
		// A v1 "no limit" is a huge number; v2 says "max" (err1).
		if err1 != nil || err2 != nil || limit <= 0 || limit >= 1<<60 {
			continue
		}
		if left := limit - used + own; left < m.Bytes {
			m = Memory{Bytes: max(left, 0), Where: fmt.Sprintf("RAM: %s available of %s (cgroup limit)", display.FormatBytes(max(left, 0)), display.FormatBytes(limit))}
		}
		break
	}
	// A virtual-memory limit (ulimit -v): the process can grow by what is
	// left of it, and Go's heap takes about twice the address space of
	// what it holds (measured: VmPeak 1.8 × VmHWM training a ResNet50).
	if limit, ok := addressSpaceLimit(); ok {
		size, _ := kib(status["VmSize"])
		if left := (limit-size)/2 + own; left < m.Bytes {
			m = Memory{Bytes: max(left, 0), Where: fmt.Sprintf("%s usable under a virtual-memory limit of %s (ulimit -v; Go reserves about twice what it uses)", display.FormatBytes(max(left, 0)), display.FormatBytes(limit))}
		}
	}
	return m, true
}

func readKeyValues(path, sep string) map[string]string {
	m := map[string]string{}
	f, err := os.Open(path)
	if err != nil {
		return m
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), sep); ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}

// kib parses "123 kB" (as /proc writes it) into bytes.
func kib(s string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(s, "kB")), 10, 64)
	return n << 10, err == nil
}

func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}
