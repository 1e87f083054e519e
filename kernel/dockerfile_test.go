package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction with its continuation lines
// joined.
type instruction struct {
	Line int
	Cmd  string // upper case: FROM, RUN, ...
	Args string
}

func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	var out []instruction
	var cur *instruction
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if cur == nil && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if cur != nil && strings.HasPrefix(line, "#") {
			continue // comments inside a continued instruction
		}
		cont := strings.HasSuffix(line, "\\")
		line = strings.TrimSuffix(line, "\\")
		if cur == nil {
			cmd, args, _ := strings.Cut(line, " ")
			cur = &instruction{Line: n, Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)}
		} else {
			cur.Args += " " + strings.TrimSpace(line)
		}
		if !cont {
			out = append(out, *cur)
			cur = nil
		}
	}
	if cur != nil {
		t.Errorf("Dockerfile ends inside a continued instruction (line %d)", cur.Line)
	}
	return out
}

func repoFile(t *testing.T, name string) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	repo, err := findRepo(wd)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(repo, name)
}

// TestDockerfile lints the Dockerfile (make docker-lint). Debian has no
// hadolint, so this checks the rules that matter here; when hadolint is
// installed it runs too.
func TestDockerfile(t *testing.T) {
	path := repoFile(t, "Dockerfile")
	ins := parseDockerfile(t, path)
	if len(ins) == 0 {
		t.Fatal("empty Dockerfile")
	}
	var froms, users, runs []instruction
	has := map[string][]instruction{}
	for _, in := range ins {
		has[in.Cmd] = append(has[in.Cmd], in)
		switch in.Cmd {
		case "FROM":
			froms = append(froms, in)
		case "USER":
			users = append(users, in)
		case "RUN":
			runs = append(runs, in)
		}
	}

	// A pinned CUDA base image.
	if len(froms) != 1 {
		t.Fatalf("want one FROM, got %d", len(froms))
	}
	image := strings.Fields(froms[0].Args)[0]
	name, tag, ok := strings.Cut(image, ":")
	if !ok || tag == "" || tag == "latest" || strings.Contains(image, "$") {
		t.Errorf("line %d: FROM %s: pin the image's tag (not latest, not a variable)", froms[0].Line, image)
	}
	if name != "nvidia/cuda" || !strings.Contains(tag, "runtime") || !strings.Contains(tag, "ubuntu") {
		t.Errorf("line %d: FROM %s: want an nvidia/cuda runtime image on Ubuntu", froms[0].Line, image)
	}

	all, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`(:|@)latest\b`).Match(all) {
		t.Error("Dockerfile uses `latest`: pin every version")
	}

	// Go: the toolchain every fastgo build uses.
	if want := "GO_VERSION=" + strings.TrimPrefix(goToolchain, "go"); !strings.Contains(string(all), want) {
		t.Errorf("Dockerfile does not install fastgo's Go %s (ARG %s)", goToolchain, want)
	}

	// A non-root user at the end, and nothing run as root after it.
	if len(users) == 0 {
		t.Error("no USER: the notebook server must not run as root")
	} else if u := users[len(users)-1].Args; u == "root" || u == "0" || strings.HasPrefix(u, "0:") {
		t.Errorf("final USER is %s, want a non-root user", u)
	}

	// The same make target as everywhere else, and no hand-made kernel setup.
	var makeInstall bool
	for _, r := range runs {
		if strings.Contains(r.Args, "make install") {
			makeInstall = true
		}
		if strings.Contains(r.Args, "gonb --install") || strings.Contains(r.Args, "kernel.json") {
			t.Errorf("line %d: sets up the kernel by hand: use make install", r.Line)
		}
		if strings.Contains(r.Args, "apt-get install") {
			if !strings.Contains(r.Args, "-y") || !strings.Contains(r.Args, "--no-install-recommends") {
				t.Errorf("line %d: apt-get install needs -y and --no-install-recommends", r.Line)
			}
			if !strings.Contains(r.Args, "apt-get update") || !strings.Contains(r.Args, "rm -rf /var/lib/apt/lists") {
				t.Errorf("line %d: apt-get install must update and clean its lists in the same RUN", r.Line)
			}
		}
		if strings.Contains(r.Args, "pip install") {
			if !strings.Contains(r.Args, "--no-cache-dir") {
				t.Errorf("line %d: pip install needs --no-cache-dir", r.Line)
			}
			for _, pkg := range regexp.MustCompile(`"(jax[^"]*)"`).FindAllStringSubmatch(r.Args, -1) {
				if !strings.Contains(pkg[1], "==") {
					t.Errorf("line %d: pin %s with ==", r.Line, pkg[1])
				}
			}
		}
		if strings.Contains(r.Args, "|") && len(has["SHELL"]) == 0 {
			t.Errorf("line %d: a pipe in RUN needs SHELL [..., \"-o\", \"pipefail\", ...]", r.Line)
		}
		if regexp.MustCompile(`\bsudo\b`).MatchString(r.Args) {
			t.Errorf("line %d: no sudo in a Dockerfile", r.Line)
		}
	}
	if !makeInstall {
		t.Error("no RUN make install: the image must install the kernel the way users and CI do")
	}
	if mk, err := os.ReadFile(repoFile(t, "Makefile")); err == nil && !regexp.MustCompile(`(?m)^install:`).Match(mk) {
		t.Error("Dockerfile runs make install but the Makefile has no install target")
	}

	// The PJRT CUDA plugin.
	if !strings.Contains(string(all), "jax-cuda12-pjrt") && !strings.Contains(string(all), "jax-cuda13-pjrt") {
		t.Error("no PJRT CUDA plugin (jax-cuda12-pjrt / jax-cuda13-pjrt)")
	}

	// The notebooks, the port, the server.
	copied := false
	for _, c := range has["COPY"] {
		f := strings.Fields(c.Args)
		for _, src := range f[:len(f)-1] {
			if src == "." || strings.HasPrefix(src, "notebooks") {
				copied = true
			}
		}
	}
	if !copied {
		t.Error("the notebooks are not copied into the image (COPY . or COPY notebooks)")
	}
	if e := has["EXPOSE"]; len(e) != 1 || strings.TrimSpace(e[0].Args) != "8888" {
		t.Errorf("want EXPOSE 8888, got %v", e)
	}
	if c := has["CMD"]; len(c) != 1 || !strings.Contains(c[0].Args, "jupyter") || !strings.Contains(c[0].Args, "notebook") ||
		!strings.HasPrefix(c[0].Args, "[") {
		t.Errorf("want CMD [\"/usr/bin/jupyter\", \"notebook\", ...] in exec form, got %v", c)
	}
	if len(has["HEALTHCHECK"]) != 1 {
		t.Error("want a HEALTHCHECK on the notebook server")
	}
	if len(has["MAINTAINER"]) > 0 {
		t.Error("MAINTAINER is deprecated (use a LABEL)")
	}

	if hadolint, err := exec.LookPath("hadolint"); err == nil {
		if out, err := exec.Command(hadolint, path).CombinedOutput(); err != nil {
			t.Errorf("hadolint: %v\n%s", err, out)
		}
	}
}

// TestDockerRunNeedsNoSharedFolder: the README's `docker run` line works
// for someone who has only the repository: it mounts no shared folder, and
// its volume is the image's FASTGO_HOME, where UntarData(URLs.Pets) keeps
// the dataset it downloads.
func TestDockerRunNeedsNoSharedFolder(t *testing.T) {
	readme, err := os.ReadFile(repoFile(t, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var home string
	for _, in := range parseDockerfile(t, repoFile(t, "Dockerfile")) {
		if m := regexp.MustCompile(`\bFASTGO_HOME=(\S+)`).FindStringSubmatch(in.Args); in.Cmd == "ENV" && m != nil {
			home = m[1]
		}
	}
	if home == "" {
		t.Fatal("the Dockerfile sets no FASTGO_HOME: the data volume has no fixed place")
	}
	runs := regexp.MustCompile(`(?m)^docker run .*$`).FindAllString(string(readme), -1)
	if len(runs) == 0 {
		t.Fatal("README has no `docker run` line")
	}
	for _, line := range runs {
		if strings.Contains(line, "shared") {
			t.Errorf("README: %q mounts a shared folder users do not have", line)
		}
		if !strings.Contains(line, ":"+home+" ") {
			t.Errorf("README: %q does not keep the data in a volume at FASTGO_HOME (%s)", line, home)
		}
	}
}
