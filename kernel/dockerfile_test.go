package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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

// dockerfile is a parsed Dockerfile.
type dockerfile struct {
	name string
	ins  []instruction
	text string
}

func loadDockerfile(t *testing.T, name string) dockerfile {
	t.Helper()
	path := repoFile(t, name)
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := dockerfile{name: name, ins: parseDockerfile(t, path), text: string(text)}
	if len(d.ins) == 0 {
		t.Fatalf("%s is empty", name)
	}
	return d
}

// all is every instruction cmd, in order.
func (d dockerfile) all(cmd string) []instruction {
	var out []instruction
	for _, in := range d.ins {
		if in.Cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

// finalStage is the instructions from the last FROM on.
func (d dockerfile) finalStage() dockerfile {
	last := 0
	for i, in := range d.ins {
		if in.Cmd == "FROM" {
			last = i
		}
	}
	return dockerfile{name: d.name, ins: d.ins[last:], text: d.text}
}

// arg is the default of `ARG name=value` ("" and false when there is none).
func (d dockerfile) arg(name string) (string, bool) {
	for _, in := range d.all("ARG") {
		if k, v, ok := strings.Cut(in.Args, "="); ok && k == name {
			return strings.Trim(v, `"`), true
		}
	}
	return "", false
}

// execForm is an instruction's JSON array (ENTRYPOINT, CMD, HEALTHCHECK
// CMD), nil when it is in shell form.
func execForm(args string) []string {
	var out []string
	if json.Unmarshal([]byte(strings.TrimSpace(args)), &out) != nil {
		return nil
	}
	return out
}

// healthcheckCmd is a HEALTHCHECK's command, after its options.
func healthcheckCmd(args string) string {
	_, cmd, _ := strings.Cut(args, "CMD ")
	return strings.TrimSpace(cmd)
}

// checkBaseArg: ARG BASE's default is a fully qualified, pinned image
// (podman and buildah refuse short names), and the stage starts FROM it.
func checkBaseArg(t *testing.T, d dockerfile) string {
	t.Helper()
	image, ok := d.arg("BASE")
	if !ok {
		t.Fatalf("%s: no ARG BASE=IMAGE (the base image, replaceable with --build-arg BASE=...)", d.name)
	}
	name, tag, tagged := strings.Cut(image, ":")
	if host, _, _ := strings.Cut(name, "/"); !strings.ContainsAny(host, ".:") || !strings.Contains(name, "/") {
		t.Errorf("%s: ARG BASE=%s is a short name: name its registry (docker.io/...), podman and buildah refuse short names", d.name, image)
	}
	if !tagged || tag == "" || tag == "latest" || strings.Contains(image, "$") {
		t.Errorf("%s: ARG BASE=%s: pin the image's tag (not latest, not a variable)", d.name, image)
	}
	if froms := d.all("FROM"); len(froms) == 0 || (froms[0].Args != "${BASE}" && !strings.HasPrefix(froms[0].Args, "${BASE} AS ")) {
		t.Errorf("%s: the first FROM is %v, want FROM ${BASE}", d.name, froms)
	}
	return image
}

// checkRuns: the rules every RUN follows (apt, pip, pipes, sudo).
func checkRuns(t *testing.T, d dockerfile) {
	t.Helper()
	for _, r := range d.all("RUN") {
		if strings.Contains(r.Args, "gonb --install") || strings.Contains(r.Args, "kernel.json") {
			t.Errorf("%s line %d: sets up the kernel by hand: use make install", d.name, r.Line)
		}
		if strings.Contains(r.Args, "apt-get install") {
			if !strings.Contains(r.Args, "-y") || !strings.Contains(r.Args, "--no-install-recommends") {
				t.Errorf("%s line %d: apt-get install needs -y and --no-install-recommends", d.name, r.Line)
			}
			if !strings.Contains(r.Args, "apt-get update") || !strings.Contains(r.Args, "apt-get clean") || !strings.Contains(r.Args, "rm -rf /var/lib/apt/lists") {
				t.Errorf("%s line %d: apt-get install must update, then clean (apt-get clean) and remove its lists in the same RUN", d.name, r.Line)
			}
		}
		if strings.Contains(r.Args, "pip install") {
			if !strings.Contains(r.Args, "--no-cache-dir") {
				t.Errorf("%s line %d: pip install needs --no-cache-dir", d.name, r.Line)
			}
			for _, pkg := range regexp.MustCompile(`"(jax[^"]*)"`).FindAllStringSubmatch(r.Args, -1) {
				if !strings.Contains(pkg[1], "==") {
					t.Errorf("%s line %d: pin %s with ==", d.name, r.Line, pkg[1])
				}
			}
		}
		if strings.Contains(r.Args, "|") && len(d.all("SHELL")) == 0 {
			t.Errorf("%s line %d: a pipe in RUN needs SHELL [..., \"-o\", \"pipefail\", ...]", d.name, r.Line)
		}
		if regexp.MustCompile(`\bsudo\b`).MatchString(r.Args) {
			t.Errorf("%s line %d: no sudo in a Dockerfile", d.name, r.Line)
		}
	}
	if regexp.MustCompile(`(:|@)latest\b`).MatchString(d.text) {
		t.Errorf("%s uses `latest`: pin every version", d.name)
	}
	if len(d.all("MAINTAINER")) > 0 {
		t.Errorf("%s: MAINTAINER is deprecated (use a LABEL)", d.name)
	}
}

// checkGo: Go comes from docker/install-go.sh at fastgo's version.
func checkGo(t *testing.T, d dockerfile) (version, sum string) {
	t.Helper()
	version, _ = d.arg("GO_VERSION")
	if want := strings.TrimPrefix(goToolchain, "go"); version != want {
		t.Errorf("%s: ARG GO_VERSION=%s, want fastgo's Go %s", d.name, version, want)
	}
	sum, _ = d.arg("GO_SHA256")
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(sum) {
		t.Errorf("%s: ARG GO_SHA256=%q is not a SHA-256", d.name, sum)
	}
	if !strings.Contains(d.text, "COPY docker/install-go.sh") || !strings.Contains(d.text, "sh /tmp/install-go.sh") {
		t.Errorf("%s: Go is not installed by docker/install-go.sh", d.name)
	}
	return version, sum
}

// checkHadolint runs hadolint on name when it is installed (Debian has none).
func checkHadolint(t *testing.T, name string) {
	if hadolint, err := exec.LookPath("hadolint"); err == nil {
		if out, err := exec.Command(hadolint, repoFile(t, name)).CombinedOutput(); err != nil {
			t.Errorf("hadolint %s: %v\n%s", name, err, out)
		}
	}
}

// TestDockerfile lints the notebook image's Dockerfile (make docker-lint):
// the rules that matter here, the variants and what issue #28 asked of the
// image; make docker-check builds and runs it.
func TestDockerfile(t *testing.T) {
	d := loadDockerfile(t, "Dockerfile")
	checkRuns(t, d)
	checkGo(t, d)
	checkHadolint(t, "Dockerfile")

	// The GPU variant by default, on a pinned CUDA image.
	image := checkBaseArg(t, d)
	if name, tag, _ := strings.Cut(image, ":"); name != "docker.io/nvidia/cuda" || !strings.Contains(tag, "runtime") || !strings.Contains(tag, "ubuntu") {
		t.Errorf("ARG BASE=%s: want docker.io/nvidia/cuda's runtime image on Ubuntu", image)
	}
	if len(d.all("FROM")) != 1 {
		t.Errorf("want one FROM, got %d", len(d.all("FROM")))
	}
	// The CPU variant: CUDA_PLUGIN=0 leaves out PyPI.
	if v, ok := d.arg("CUDA_PLUGIN"); !ok || v != "1" {
		t.Errorf("want ARG CUDA_PLUGIN=1 (0 builds the CPU variant), got %q", v)
	}
	var plugin bool
	for _, r := range d.all("RUN") {
		if strings.Contains(r.Args, "pip install") || strings.Contains(r.Args, "python3-venv") {
			if !strings.Contains(r.Args, `"$CUDA_PLUGIN" = 1`) {
				t.Errorf("line %d: PyPI's plugin (pip, python3-venv) only when CUDA_PLUGIN=1: the CPU variant builds without PyPI", r.Line)
			}
		}
		if strings.Contains(r.Args, "jax-cuda13-pjrt") {
			plugin = true
		}
	}
	if !plugin {
		t.Error("no PJRT CUDA plugin (jax-cuda13-pjrt)")
	}

	// The user at uid 1000, Ubuntu's own user there giving way.
	var user, install instruction
	for _, r := range d.all("RUN") {
		if strings.Contains(r.Args, "useradd") {
			user = r
		}
		if strings.Contains(r.Args, "make install") {
			install = r
		}
	}
	if !strings.Contains(user.Args, "--uid 1000") || !strings.Contains(user.Args, "getent passwd 1000") || !strings.Contains(user.Args, "userdel") {
		t.Errorf("want a RUN that removes whichever user has uid 1000 (Ubuntu's ubuntu) and adds fastgo with --uid 1000, got %q", user.Args)
	}
	users := d.all("USER")
	if len(users) == 0 {
		t.Error("no USER: the notebook server must not run as root")
	} else if u := users[len(users)-1].Args; u == "root" || u == "0" || strings.HasPrefix(u, "0:") {
		t.Errorf("final USER is %s, want a non-root user", u)
	}

	// The same make target as everywhere else, with trimmed caches: the
	// tools' caches thrown away in their own RUN, every module a -tags xla
	// cell needs (go mod download) without the zips, apt's archives gone.
	if install.Args == "" {
		t.Fatal("no RUN make install: the image must install the kernel the way users and CI do")
	}
	if mk, err := os.ReadFile(repoFile(t, "Makefile")); err == nil && !regexp.MustCompile(`(?m)^install:`).Match(mk) {
		t.Error("Dockerfile runs make install but the Makefile has no install target")
	}
	var tools, modules bool
	for _, r := range d.all("RUN") {
		if strings.Contains(r.Args, "GOCACHE=/tmp/tools-cache GOMODCACHE=/tmp/tools-mod") {
			tools = true
			if !strings.Contains(r.Args, "rm -rf /tmp/tools-cache /tmp/tools-mod") {
				t.Errorf("line %d: the tools' caches must go in the RUN that fills them", r.Line)
			}
		}
		if strings.Contains(r.Args, "go mod download") {
			modules = true
		}
		if (strings.Contains(r.Args, "go mod download") || strings.Contains(r.Args, "make install")) && !strings.Contains(r.Args, "-name '*.zip' -delete") {
			t.Errorf("line %d: downloads modules but keeps their zips (find ... -name '*.zip' -delete in the same RUN)", r.Line)
		}
		if strings.Contains(r.Args, "kernel install") && (!strings.Contains(r.Args, "apt-get clean") || !strings.Contains(r.Args, "rm -rf /var/lib/apt/lists")) {
			t.Errorf("line %d: the kernel installer's apt-get (Jupyter) must be cleaned in the same RUN", r.Line)
		}
		if strings.Contains(r.Args, "chown -R") && !strings.Contains(r.Args, "kernel install") {
			t.Errorf("line %d: chown -R in a RUN of its own copies every file into a new layer", r.Line)
		}
	}
	if !tools {
		t.Error("the kernel's tools are not built with throw-away caches (GOCACHE=/tmp/tools-cache GOMODCACHE=/tmp/tools-mod go run ./kernel install ...)")
	}
	if !modules {
		t.Error("no RUN go mod download: a -tags xla cell would need modules the image lacks")
	}

	// Volumes: FASTGO_HOME holds the data, the weights and the learners;
	// Jupyter opens a notebooks folder of its own (no Go tool folders).
	env := map[string]string{}
	for _, e := range d.all("ENV") {
		for _, m := range regexp.MustCompile(`(\w+)=(\S+)`).FindAllStringSubmatch(e.Args, -1) {
			env[m[1]] = m[2]
		}
	}
	if home := env["FASTGO_HOME"]; home == "" || !strings.HasPrefix(env["FASTGO_CACHE_DIR"], home+"/") {
		t.Errorf("FASTGO_HOME=%q, FASTGO_CACHE_DIR=%q: the saved learners belong in the data volume", home, env["FASTGO_CACHE_DIR"])
	}
	if w := d.all("WORKDIR"); len(w) == 0 || w[len(w)-1].Args != "/home/fastgo/notebooks" {
		t.Errorf("final WORKDIR %v, want /home/fastgo/notebooks (the notebooks volume, not the checkout's notebooks/ with its Go folders)", w)
	}

	// tini as PID 1, the server, the port, the health check.
	if e := d.all("ENTRYPOINT"); len(e) != 1 || len(execForm(e[0].Args)) == 0 || !strings.HasSuffix(execForm(e[0].Args)[0], "/tini") {
		t.Errorf("want ENTRYPOINT [\"/usr/bin/tini\", \"--\", ...] (an init that reaps a stopped kernel's processes), got %v", e)
	}
	if c := d.all("CMD"); len(c) != 1 || len(execForm(c[0].Args)) < 2 || execForm(c[0].Args)[1] != "notebook" {
		t.Errorf("want CMD [\"/usr/bin/jupyter\", \"notebook\", ...] in exec form, got %v", c)
	}
	if e := d.all("EXPOSE"); len(e) != 1 || e[0].Args != "8888" {
		t.Errorf("want EXPOSE 8888, got %v", e)
	}
	if len(d.all("HEALTHCHECK")) != 1 {
		t.Error("want a HEALTHCHECK on the notebook server")
	}

	// The default kernel for new notebooks.
	var config bool
	for _, c := range d.all("COPY") {
		if c.Args == "docker/jupyter_notebook_config.json /etc/jupyter/jupyter_notebook_config.json" {
			config = true
		}
	}
	var cfg struct {
		MappingKernelManager struct {
			DefaultKernelName string `json:"default_kernel_name"`
		}
	}
	data, err := os.ReadFile(repoFile(t, "docker/jupyter_notebook_config.json"))
	if err == nil {
		err = json.Unmarshal(data, &cfg)
	}
	if !config || err != nil || cfg.MappingKernelManager.DefaultKernelName != kernelName {
		t.Errorf("want docker/jupyter_notebook_config.json copied to /etc/jupyter with MappingKernelManager.default_kernel_name %q (copied: %v, %v, got %q)",
			kernelName, config, err, cfg.MappingKernelManager.DefaultKernelName)
	}
}

// TestServeDockerfile lints the serving image: the static binary on an
// empty base, non-root, health-checked by itself.
func TestServeDockerfile(t *testing.T) {
	const name = "docker/serve.Dockerfile"
	d := loadDockerfile(t, name)
	checkRuns(t, d)
	checkBaseArg(t, d)
	version, sum := checkGo(t, d)
	checkHadolint(t, name)
	nb := loadDockerfile(t, "Dockerfile")
	if v, _ := nb.arg("GO_VERSION"); v != version {
		t.Errorf("%s has Go %s, the Dockerfile %s", name, version, v)
	}
	if s, _ := nb.arg("GO_SHA256"); s != sum {
		t.Errorf("%s and the Dockerfile pin different GO_SHA256", name)
	}

	var static bool
	for _, r := range d.all("RUN") {
		if strings.Contains(r.Args, "CGO_ENABLED=0 go build") && strings.Contains(r.Args, "./cmd/fastgo") {
			static = true
		}
	}
	if !static {
		t.Error("no RUN CGO_ENABLED=0 go build ... ./cmd/fastgo: the binary must be static")
	}
	final := d.finalStage()
	if base := final.ins[0].Args; base != "scratch" && !strings.HasPrefix(base, "gcr.io/distroless/static") {
		t.Errorf("the final stage is FROM %s, want scratch (or distroless/static)", base)
	}
	users := final.all("USER")
	if len(users) == 0 || !regexp.MustCompile(`^[1-9][0-9]*(:[1-9][0-9]*)?$`).MatchString(users[len(users)-1].Args) {
		t.Errorf("final stage USER %v: want a numeric non-root uid (Kubernetes' runAsNonRoot checks a number)", users)
	}
	entry := final.all("ENTRYPOINT")
	if len(entry) != 1 || !slices.Equal(execForm(entry[0].Args), []string{"/fastgo"}) {
		t.Errorf("want ENTRYPOINT [\"/fastgo\"], got %v", entry)
	}
	cmd := final.all("CMD")
	if len(cmd) != 1 || len(execForm(cmd[0].Args)) == 0 || execForm(cmd[0].Args)[0] != "serve" {
		t.Fatalf("want CMD [\"serve\", ...], got %v", cmd)
	}
	serveAddr := flagValue(execForm(cmd[0].Args), "-addr")
	h := final.all("HEALTHCHECK")
	if len(h) != 1 {
		t.Fatal("want one HEALTHCHECK")
	}
	check := execForm(healthcheckCmd(h[0].Args))
	if len(check) < 2 || check[0] != "/fastgo" || check[1] != "healthcheck" {
		t.Errorf("HEALTHCHECK %q: want CMD [\"/fastgo\", \"healthcheck\", ...] (no curl on scratch)", h[0].Args)
	}
	if a := flagValue(check, "-addr"); a != serveAddr {
		t.Errorf("HEALTHCHECK asks -addr %q, the server listens on %q", a, serveAddr)
	}
	if e := final.all("EXPOSE"); len(e) != 1 || ":"+e[0].Args != serveAddr {
		t.Errorf("EXPOSE %v does not match serve -addr %s", e, serveAddr)
	}
}

// flagValue is the value after flag in args ("" when absent).
func flagValue(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// dockerignored says whether path (slash-separated, relative to the build
// context) is left out by the .dockerignore patterns, as Docker matches them
// (github.com/moby/patternmatcher): a pattern is a cleaned path with *, ?
// and ** (any number of folders), matched against the path and each of its
// parent folders; the last matching pattern wins, and ! re-includes.
func dockerignored(patterns []string, path string) bool {
	excluded := false
	for _, p := range patterns {
		negate := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		p = strings.TrimPrefix(filepath.ToSlash(filepath.Clean(p)), "/")
		var re strings.Builder
		re.WriteString("^")
		for i := 0; i < len(p); i++ {
			switch c := p[i]; {
			case strings.HasPrefix(p[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case strings.HasPrefix(p[i:], "**"):
				re.WriteString(".*")
				i++
			case c == '*':
				re.WriteString("[^/]*")
			case c == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString("$")
		rx := regexp.MustCompile(re.String())
		for dir := path; dir != "." && dir != "/" && dir != ""; dir = filepath.ToSlash(filepath.Dir(dir)) {
			if rx.MatchString(dir) {
				excluded = !negate
				break
			}
		}
	}
	return excluded
}

func TestDockerignoreMatcher(t *testing.T) {
	for _, c := range []struct {
		pattern, path string
		want          bool
	}{
		{".fastgo_cache/", "notebooks/.fastgo_cache/x", false}, // the root's only: issue #28's bug
		{"**/.fastgo_cache/", "notebooks/.fastgo_cache/x", true},
		{"**/.fastgo_cache/", ".fastgo_cache/x", true},
		{"*.test", "fastgo/vision/vision.test", false},
		{"**/*.test", "fastgo/vision/vision.test", true},
		{"build/", "build/notebooks/a.png", true},
		{"build/", "bench/build/x", false},
		{"/petbreeds", "petbreeds", true},
		{"/petbreeds", "cmd/petbreeds/main.go", false},
	} {
		if got := dockerignored([]string{c.pattern}, c.path); got != c.want {
			t.Errorf("pattern %q, path %q: excluded %v, want %v", c.pattern, c.path, got, c.want)
		}
	}
}

// TestDockerignore: build outputs stay out of the image at any depth, and
// nothing the repository tracks is left out.
func TestDockerignore(t *testing.T) {
	data, err := os.ReadFile(repoFile(t, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	var patterns []string
	for line := range strings.SplitSeq(string(data), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	for _, p := range []string{
		".git/HEAD", "build/notebooks/05_pet_breeds.ipynb", "notebooks/.fastgo_cache/first/state.bin",
		".fastgo_cache/x", "fastgo/vision/vision.test", "cmd/fastgo/cpu.prof", "bench/serve/build/x",
		"notebooks/fastgo_output/x",
	} {
		if !dockerignored(patterns, p) {
			t.Errorf(".dockerignore lets %s into the image", p)
		}
	}
	for _, p := range []string{"go.mod", "notebooks/05_pet_breeds.ipynb", "testdata/images/pug_166.jpg", "docker/install-go.sh", "cmd/petbreeds/main.go"} {
		if dockerignored(patterns, p) {
			t.Errorf(".dockerignore leaves out %s", p)
		}
	}
	out, err := exec.Command("git", "-C", repoFile(t, "."), "ls-files").Output()
	if err != nil {
		t.Skipf("git ls-files: %v", err)
	}
	for f := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		if dockerignored(patterns, f) {
			t.Errorf(".dockerignore leaves out the tracked file %s", f)
		}
	}
}

// readmeDockerCommands is every docker and podman command in the README's
// "## Docker" section's code blocks, without trailing comments.
func readmeDockerCommands(t *testing.T) []string {
	t.Helper()
	readme, err := os.ReadFile(repoFile(t, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Docker")
	if !ok {
		t.Fatal("README has no ## Docker section")
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	var cmds []string
	inCode := false
	for line := range strings.SplitSeq(section, "\n") {
		if strings.HasPrefix(line, "```") {
			inCode = !inCode
			continue
		}
		if !inCode || !(strings.HasPrefix(line, "docker ") || strings.HasPrefix(line, "podman ")) {
			continue
		}
		if i := strings.Index(line, "  #"); i >= 0 {
			line = line[:i]
		}
		cmds = append(cmds, strings.TrimSpace(line))
	}
	if len(cmds) == 0 {
		t.Fatal("README's Docker section has no docker command")
	}
	return cmds
}

// TestDockerReadme: the README's Docker commands are the ones make
// docker-check runs (lines of scripts/docker-check.sh). The GPU's (the
// default CUDA build, --gpus all) need Docker Hub, PyPI and a GPU host: each
// is a checked command with only the GPU's part changed. Podman's are the
// docker commands with podman's documented differences.
func TestDockerReadme(t *testing.T) {
	script, err := os.ReadFile(repoFile(t, "scripts/docker-check.sh"))
	if err != nil {
		t.Fatal(err)
	}
	checked := func(c string) bool { return strings.Contains(string(script), c) }
	cmds := readmeDockerCommands(t)
	docker := map[string]bool{}
	for _, c := range cmds {
		if strings.HasPrefix(c, "docker ") {
			docker[c] = true
		}
	}
	const cpuBuild = "docker build --build-arg BASE=docker.io/library/debian:bookworm --build-arg CUDA_PLUGIN=0 -t fastgo-cpu ."
	for _, c := range cmds {
		switch {
		case strings.HasPrefix(c, "podman "):
			d := strings.Replace(c, "podman ", "docker ", 1)
			d = strings.Replace(d, " --format docker", "", 1)
			d = strings.Replace(d, "--device nvidia.com/gpu=all", "--gpus all", 1)
			if !docker[d] {
				t.Errorf("README: %q is not one of its docker commands with podman's differences (--format docker, --device nvidia.com/gpu=all): %q", c, d)
			}
		case c == "docker build -t fastgo .":
			if !checked(cpuBuild) {
				t.Errorf("README's GPU build has no checked CPU build %q beside it", cpuBuild)
			}
		case strings.Contains(c, "--gpus all"):
			cpu := strings.Replace(c, " --gpus all", "", 1)
			cpu = strings.TrimSuffix(cpu, " fastgo") + " fastgo-cpu"
			if !checked(cpu) {
				t.Errorf("README: %q is not the checked %q with --gpus all", c, cpu)
			}
		case !checked(c):
			t.Errorf("README: %q is not run by make docker-check (scripts/docker-check.sh)", c)
		}
	}
}

// TestDockerRunNeedsNoSharedFolder: the README's notebook `docker run`
// lines work for someone who has only the repository: they mount no shared
// folder, and keep the data in a volume at the image's FASTGO_HOME, where
// UntarData(URLs.Pets) keeps the dataset it downloads.
func TestDockerRunNeedsNoSharedFolder(t *testing.T) {
	var home string
	for _, in := range loadDockerfile(t, "Dockerfile").all("ENV") {
		if m := regexp.MustCompile(`\bFASTGO_HOME=(\S+)`).FindStringSubmatch(in.Args); m != nil {
			home = m[1]
		}
	}
	if home == "" {
		t.Fatal("the Dockerfile sets no FASTGO_HOME: the data volume has no fixed place")
	}
	var notebookRuns int
	for _, line := range readmeDockerCommands(t) {
		if strings.Contains(line, "shared") {
			t.Errorf("README: %q mounts a shared folder users do not have", line)
		}
		if !strings.Contains(line, " run ") || !strings.Contains(line, ":8888") {
			continue
		}
		notebookRuns++
		if !strings.Contains(line, ":"+home+" ") {
			t.Errorf("README: %q does not keep the data in a volume at FASTGO_HOME (%s)", line, home)
		}
	}
	if notebookRuns == 0 {
		t.Error("README has no `docker run` of the notebook image")
	}
}
