package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// check is one line of doctor's report.
type check struct {
	Name   string
	OK     bool
	Detail string // what was found, or what is missing
	Fix    string // how to fix it; "" when OK
	// Optional checks (the GPU, the browser for `make notebooks`) do not fail
	// the doctor.
	Optional bool
}

// backendInfo is what kernel/backendinfo prints (the same JSON fields).
type backendInfo struct {
	Choice struct {
		Config  string
		Backend string
		Device  string
		Reason  string
		Skipped []string
	} `json:"choice"`
	Error   string `json:"error"`
	XLA     bool   `json:"xla"`
	Plugins []struct {
		Name, Path, Source, NvidiaDir string
	} `json:"plugins"`
	GPUs []struct {
		Name      string
		MemoryMiB int
	} `json:"gpus"`
}

// probeBackend runs kernel/backendinfo in the checkout with the given
// variables (the kernel's, so the answer is what a notebook would get).
func probeBackend(s system, repo string, env []string) (backendInfo, error) {
	var info backendInfo
	out, err := s.run(repo, env, "go", "run", "./kernel/backendinfo")
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &info); err != nil {
		return info, fmt.Errorf("backendinfo printed something that is not its JSON report: %w\n%s", err, out)
	}
	return info, nil
}

// doctor collects the report for the checkout repo and bin folder binDir.
func doctor(s system, repo, binDir string) []check {
	var checks []check
	add := func(c check) { checks = append(checks, c) }
	install := "go run ./kernel install"

	if p, err := s.lookPath("go"); err != nil {
		add(check{Name: "go", Detail: "not on PATH", Fix: "install Go (1.26.8 or newer: it fetches the " + goToolchain + " fastgo builds with) from https://go.dev/dl and put its bin folder on PATH"})
	} else {
		// The Go cells are built with: the toolchain the go command fetches.
		v, err := s.run("", buildEnv, "go", "env", "GOVERSION")
		if err != nil || strings.TrimSpace(v) != goToolchain {
			add(check{Name: "go", Detail: fmt.Sprintf("%s cannot run %s: %s", p, goToolchain, firstLine(v+" "+errString(err))),
				Fix: "GOTOOLCHAIN=" + goToolchain + " go version (it downloads the toolchain from the module proxy; set GOPROXY if that is blocked)"})
		} else {
			add(check{Name: "go", OK: true, Detail: goToolchain + " (through " + p + ")"})
		}
	}

	for _, t := range tools {
		p, err := s.findTool(t.dir(binDir), t.Name)
		if err != nil {
			add(check{Name: t.Name, Detail: err.Error(), Fix: install})
			continue
		}
		v := s.toolVersion(p, t)
		c := check{Name: t.Name, OK: true, Detail: v + " (" + p + ")"}
		if v != t.Version {
			c.OK, c.Detail = false, fmt.Sprintf("%s is %q, want %s", p, v, t.Version)
			if v == "" {
				c.Detail = fmt.Sprintf("%s is not %s built with %s (go version -m %s)", p, t.Pkg, t.Module, p)
			}
			c.Fix = install + " (rebuilds it)"
		}
		add(c)
	}

	if _, err := os.Stat(s.jupyter); err != nil {
		add(check{Name: "jupyter", Detail: s.jupyter + " missing", Fix: install + " (as root; or apt-get install -y " + strings.Join(jupyterPackages, " ") + ")"})
	} else {
		missing := []string{}
		for _, sub := range []string{"notebook", "nbconvert"} {
			if _, err := os.Stat(s.jupyter + "-" + sub); err != nil {
				missing = append(missing, s.jupyter+"-"+sub)
			}
		}
		if len(missing) > 0 {
			add(check{Name: "jupyter", Detail: "missing " + strings.Join(missing, ", "), Fix: install})
		} else {
			add(check{Name: "jupyter", OK: true, Detail: s.jupyter + " (notebook, nbconvert)"})
		}
	}

	specPath := kernelSpecPath(s.jupyterDataDir())
	spec, err := readKernelSpec(s.jupyterDataDir())
	specOK := err == nil
	switch {
	case err != nil && os.IsNotExist(err):
		add(check{Name: "kernelspec", Detail: specPath + " missing", Fix: install})
	case err != nil:
		add(check{Name: "kernelspec", Detail: err.Error(), Fix: install + " (rewrites it)"})
	default:
		add(checkSpec(spec, specPath, repo))
	}

	var env []string
	if specOK {
		env = spec.envList(s.getenv("PATH"))
	}
	env = append(env, buildEnv...) // every fastgo build sets them
	info, err := probeBackend(s, repo, env)
	if err != nil {
		add(check{Name: "backend", Detail: "fastgo does not build, so its backend choice is unknown: " + firstLine(err.Error()),
			Fix: "go build ./fastgo/ shows the error (GOEXPERIMENT=simd)"})
		return checks
	}
	checks = append(checks, backendChecks(info)...)

	if p, err := s.lookPath("chromium"); err != nil {
		add(check{Name: "chromium", Optional: true, Detail: "not installed (only `make notebooks` needs it)", Fix: "apt-get install -y chromium (scripts/run-notebooks.sh does it)"})
	} else {
		add(check{Name: "chromium", Optional: true, OK: true, Detail: p})
	}
	return checks
}

func checkSpec(spec kernelSpec, specPath, repo string) check {
	// The user's GOFLAGS as this shell has it: a Jupyter started from here
	// passes it on, and the kernel appends its own.
	c := check{Name: "kernelspec", OK: true, Detail: fmt.Sprintf("%q at %s; cells are built with GOFLAGS=%q", spec.DisplayName, specPath, spec.goflags(os.Getenv("GOFLAGS")))}
	var problems []string
	if g := spec.gonb(); g == "" {
		problems = append(problems, "no argv")
	} else if _, err := os.Stat(g); err != nil {
		problems = append(problems, "its gonb "+g+" is missing")
	}
	if w := spec.goWork(); w == "" {
		problems = append(problems, "no --go_work (fastgo imports would not resolve)")
	} else if abs, _ := filepath.Abs(repo); filepath.Clean(w) != abs {
		problems = append(problems, "it uses the checkout "+w+", not "+abs)
	}
	if spec.Env["GOEXPERIMENT"] != "simd" {
		problems = append(problems, "GOEXPERIMENT is not simd")
	}
	if spec.Env["GOTOOLCHAIN"] != goToolchain {
		problems = append(problems, fmt.Sprintf("GOTOOLCHAIN is %q, not %s (cells would build with another Go)", spec.Env["GOTOOLCHAIN"], goToolchain))
	}
	if len(problems) > 0 {
		c.OK = false
		c.Detail = specPath + ": " + strings.Join(problems, "; ")
		c.Fix = "go run ./kernel install (from this checkout)"
	}
	return c
}

func backendChecks(info backendInfo) []check {
	var checks []check
	if info.Error != "" {
		checks = append(checks, check{Name: "backend", Detail: info.Error, Fix: "unset GOMLX_BACKEND or fix its value"})
	} else {
		detail := info.Choice.Config + " — " + info.Choice.Reason
		if len(info.Choice.Skipped) > 0 {
			detail += "; " + strings.Join(info.Choice.Skipped, "; ")
		}
		checks = append(checks, check{Name: "backend", OK: true, Detail: detail})
	}

	gpu := check{Name: "gpu", Optional: true}
	if len(info.GPUs) == 0 {
		gpu.Detail = "no NVIDIA GPU (/proc/driver/nvidia/gpus, nvidia-smi): training runs on the CPU"
		gpu.Fix = "none needed; on a GPU machine install the NVIDIA driver"
	} else {
		var names []string
		for _, g := range info.GPUs {
			n := g.Name
			if g.MemoryMiB > 0 {
				n += fmt.Sprintf(" (%d MiB)", g.MemoryMiB)
			}
			names = append(names, n)
		}
		gpu.OK, gpu.Detail = true, strings.Join(names, ", ")
	}
	checks = append(checks, gpu)

	plugins := check{Name: "pjrt plugins", Optional: true}
	if len(info.Plugins) == 0 {
		plugins.Detail = "none found (PJRT_PLUGIN_LIBRARY_PATH, ~/.local/lib/go-xla, /usr/local/lib/go-xla, jax_plugins in Python site-packages)"
		if len(info.GPUs) > 0 {
			plugins.Optional = false
			plugins.Fix = "pip install jax-cuda13-pjrt 'jax-cuda13-plugin[with_cuda]' (CUDA 13, driver 580 or newer; jax-cuda12-pjrt for older drivers) to use the GPU, then go run ./kernel install"
		} else {
			plugins.Fix = "none needed: the pure-Go backend runs everywhere"
		}
	} else {
		var ps []string
		for _, p := range info.Plugins {
			s := p.Name + " " + p.Path + " (" + p.Source + ")"
			if p.NvidiaDir != "" {
				s += ", CUDA libraries in " + p.NvidiaDir
			}
			ps = append(ps, s)
		}
		plugins.OK, plugins.Detail = true, strings.Join(ps, "; ")
		if !info.XLA {
			plugins.OK = false
			plugins.Fix = "notebooks are built without XLA: go run ./kernel install -xla=on (needs gcc)"
		}
	}
	return append(checks, plugins)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// printReport writes the checks as a table and returns whether every
// required check passed.
func printReport(w io.Writer, checks []check) bool {
	ok := true
	for _, c := range checks {
		status := "ok"
		switch {
		case !c.OK && c.Optional:
			status = "note"
		case !c.OK:
			status, ok = "MISSING", false
		}
		fmt.Fprintf(w, "%-8s %-13s %s\n", status, c.Name, c.Detail)
		if !c.OK && c.Fix != "" {
			fmt.Fprintf(w, "%-8s %-13s fix: %s\n", "", "", c.Fix)
		}
	}
	if ok {
		fmt.Fprintln(w, "\nThe fastgo kernel is ready.")
	} else {
		fmt.Fprintln(w, "\nSomething is missing: run the fixes above.")
	}
	return ok
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
