package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// tool is a program the kernel needs, pinned to one version.
type tool struct {
	Name    string // binary name
	Module  string // module whose version `go version -m` reports
	Version string
	// Pkg is what `go install` builds: from the tools module when FromTools,
	// else Pkg@Version on its own. A binary whose main package is not Pkg
	// (`go version -m`'s path line) is another program of that name.
	Pkg       string
	FromTools bool
	// Ours is a program of the tools module itself: rebuilt on every
	// install (seconds from the build cache), since its version is the
	// checkout's.
	Ours bool
	// Sub is a folder under the bin folder the tool goes to (kernelOnlyDir
	// for a program only the kernel may find first on its PATH).
	Sub string
}

// kernelOnlyDir holds the programs that replace a standard one for the
// kernel only: the kernelspec's PATH lists it first, and a goimports in the
// bin folder (which may be the user's $GOBIN, read by their editor) is
// never overwritten.
const kernelOnlyDir = "fastgo-kernel"

// dir is the folder t is installed in under binDir.
func (t tool) dir(binDir string) string { return filepath.Join(binDir, t.Sub) }

// tools are the kernel's programs. GoNB and goimports come from the tools
// module (tools/go.mod pins them: `go install github.com/janpfeifer/gonb@v0.11.5`
// fails behind the module proxy); goimports is tools/goimports, upstream's
// goimports plus the rule that names the cell to run for a notebook variable
// used after a restart; gopls v0.23.0 needs the x/tools version of its own
// go.mod, so it is installed by exact version.
var tools = []tool{
	{Name: "gonb", Module: "github.com/janpfeifer/gonb", Version: "v0.11.5", Pkg: "github.com/janpfeifer/gonb", FromTools: true},
	{Name: "goimports", Module: "golang.org/x/tools", Version: "v0.52.0", Pkg: "github.com/fastgo-ml/fastgo/tools/goimports", FromTools: true, Ours: true, Sub: kernelOnlyDir},
	{Name: "gopls", Module: "golang.org/x/tools/gopls", Version: "v0.23.0", Pkg: "golang.org/x/tools/gopls"},
}

// jupyterPackages are Debian's Jupyter packages (about 18 MB).
var jupyterPackages = []string{"jupyter-notebook", "jupyter-nbconvert", "python3-nbclient",
	"python3-jupyter-client", "python3-ipykernel", "jupyter-client", "jupyter-core"}

// debianJupyter is Debian's Jupyter; the python3 first on PATH may be
// another installation without Jupyter, so fastgo always names this one.
const debianJupyter = "/usr/bin/jupyter"

type installOptions struct {
	Repo        string
	BinDir      string
	SkipJupyter bool
	SkipWarm    bool
	XLA         string // "auto", "on" or "off"
}

func install(s system, o installOptions) error {
	start := time.Now()
	step := func(format string, args ...any) { fmt.Fprintf(s.out, "==> "+format+"\n", args...) }

	goPath, err := s.lookPath("go")
	if err != nil {
		return fmt.Errorf("go is not on PATH: install Go (1.26.8 or newer: it fetches the " + goToolchain + " fastgo builds with) from https://go.dev/dl and add its bin folder to PATH")
	}
	if err := os.MkdirAll(o.BinDir, 0o755); err != nil {
		return fmt.Errorf("create bin folder: %w", err)
	}

	for _, t := range tools {
		dir := t.dir(o.BinDir)
		bin := filepath.Join(dir, t.Name)
		if !t.Ours && s.toolVersion(bin, t) == t.Version {
			step("%s %s already in %s", t.Name, t.Version, dir)
			continue
		}
		if t.Ours {
			step("building %s (%s, with %s %s) into %s", t.Name, t.Pkg, t.Module, t.Version, dir)
		} else {
			step("building %s %s into %s", t.Name, t.Version, dir)
		}
		env := append([]string{"GOBIN=" + dir}, buildEnv...)
		if t.FromTools {
			_, err = s.run(filepath.Join(o.Repo, "tools"), env, "go", "install", t.Pkg)
		} else {
			// Outside any module so the tool's own go.mod decides its dependencies.
			_, err = s.run(os.TempDir(), env, "go", "install", t.Pkg+"@"+t.Version)
		}
		if err != nil {
			return fmt.Errorf("build %s: %w", t.Name, err)
		}
	}

	if err := ensureJupyter(s, o.SkipJupyter, step); err != nil {
		return err
	}

	xla := o.XLA == "on"
	if o.XLA == "auto" && pluginsPresent(s, o.Repo) {
		// The xla tag links go-xla, whose dependencies must be in go.sum.
		if out, err := s.run(o.Repo, append([]string{"GOFLAGS=-tags=xla"}, buildEnv...), "go", "list", "-deps", "./fastgo"); err != nil {
			step("a PJRT plugin is here, but fastgo does not build with -tags xla, so notebooks stay on the pure-Go backend: %s", firstLine(out))
		} else {
			xla = true
			step("a PJRT plugin is here: notebooks will build with -tags xla (use -xla=off to keep pure Go)")
		}
	}
	// With a GPU, decoding is what keeps up with it: libjpeg-turbo (cgo,
	// already needed by XLA) when its headers are here.
	jpeg := false
	if xla {
		if out, err := s.run(o.Repo, append([]string{"CGO_ENABLED=1"}, buildEnv...), "go", "build", "-tags=libjpeg", "-o", os.DevNull, "./fastgo/vision"); err != nil {
			step("notebooks decode JPEGs in pure Go (slower than a GPU trains): fastgo/vision does not build with -tags libjpeg (apt-get install libjpeg62-turbo-dev): %s", firstLine(out))
		} else {
			jpeg = true
			step("notebooks decode JPEGs with libjpeg-turbo (-tags libjpeg)")
		}
	}
	spec := makeKernelSpec(specOptions{
		Gonb: filepath.Join(o.BinDir, "gonb"), BinDir: o.BinDir, GoBin: filepath.Dir(goPath), Repo: o.Repo, XLA: xla, LibJPEG: jpeg,
	})
	// There is one "Go (fastgo)" kernel per Jupyter data folder: installing
	// from another checkout moves it, and every notebook using it follows.
	if old, err := readKernelSpec(s.jupyterDataDir()); err == nil && old.goWork() != "" && old.goWork() != spec.goWork() {
		step("the %q kernel used the checkout %s; it now uses %s (run make install there to move it back)", kernelName, old.goWork(), spec.goWork())
	}
	p, err := writeKernelSpec(s.jupyterDataDir(), spec)
	if err != nil {
		return err
	}
	step("kernelspec %q (%s) written to %s", kernelName, spec.DisplayName, p)

	if !o.SkipWarm {
		step("building fastgo the way a notebook cell does (warms the build cache)")
		t0 := time.Now()
		if err := warm(s, o.Repo, spec); err != nil {
			// The kernel is installed; a library that does not build is
			// doctor's and the notebook's business, not install's.
			step("warning: fastgo did not build, notebook cells will show why: %v", err)
		} else {
			step("warm build done in %s", time.Since(t0).Round(time.Second))
		}
	}
	step("done in %s: start Jupyter with `%s notebook` and pick the kernel %q; `go run ./kernel doctor` checks the setup",
		time.Since(start).Round(time.Second), s.jupyter, spec.DisplayName)
	return nil
}

func ensureJupyter(s system, skip bool, step func(string, ...any)) error {
	if _, err := os.Stat(s.jupyter); err == nil {
		step("Jupyter present (%s)", s.jupyter)
		return nil
	}
	aptCmd := "apt-get update && apt-get install -y " + strings.Join(jupyterPackages, " ")
	if skip {
		step("Jupyter missing, skipped (-skip-jupyter); to install it: %s", aptCmd)
		return nil
	}
	if s.uid != 0 {
		return fmt.Errorf("jupyter is missing and installing it needs root: run `sudo sh -c '%s'`, then this again (or pass -skip-jupyter)", aptCmd)
	}
	step("installing Debian's Jupyter: %s", aptCmd)
	if _, err := s.run("", nil, "apt-get", "update"); err != nil {
		return fmt.Errorf("install Jupyter: %w", err)
	}
	args := append([]string{"install", "-y", "--no-install-recommends"}, jupyterPackages...)
	if _, err := s.run("", []string{"DEBIAN_FRONTEND=noninteractive"}, "apt-get", args...); err != nil {
		return fmt.Errorf("install Jupyter: %w", err)
	}
	return nil
}

// warm builds every library package of the checkout from a throw-away module
// that uses it through go.work — what GoNB does for a cell — so the first
// cell only links. (Commands under cmd/ are not a notebook's business.)
func warm(s system, repo string, spec kernelSpec) error {
	env := spec.envList(s.getenv("PATH"))
	out, err := s.run(repo, env, "go", "list", "-e", "-f", "{{if ne .Name \"main\"}}{{.ImportPath}}{{end}}", "./...")
	if err != nil {
		return err
	}
	imports := append(libraryImports(out), "github.com/janpfeifer/gonb/gonbui")
	slices.Sort(imports)
	dir, err := os.MkdirTemp("", "fastgo_warm_")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(warmProgram(imports)), 0o644); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"mod", "init", "gonb_warm"},
		{"work", "init"},
		{"work", "use", ".", repo},
		{"build", "-o", filepath.Join(dir, "cell"), "."},
	} {
		if _, err := s.run(dir, env, "go", args...); err != nil {
			return err
		}
	}
	return nil
}

// libraryImports picks, from `go list` output, the fastgo packages a cell
// can import. The output also holds the go command's own messages (on a
// new machine, "go: downloading ..." for every module), which are not
// packages; internal packages cannot be imported from a cell and are built
// as dependencies of the others.
func libraryImports(listOutput string) []string {
	var imports []string
	for line := range strings.SplitSeq(listOutput, "\n") {
		line = strings.TrimSpace(line)
		if (line == modulePathFastgo || strings.HasPrefix(line, modulePathFastgo+"/")) &&
			!strings.Contains(line+"/", "/internal/") {
			imports = append(imports, line)
		}
	}
	return imports
}

func warmProgram(imports []string) string {
	var b strings.Builder
	b.WriteString("// A cell that imports every fastgo package, built once to warm the cache.\npackage main\n\nimport (\n")
	for _, imp := range imports {
		fmt.Fprintf(&b, "\t_ %q\n", imp)
	}
	b.WriteString(")\n\nfunc main() {}\n")
	return b.String()
}

// pluginsPresent asks fastgo whether a PJRT plugin is installed (XLA is
// only worth linking into notebook builds then), and whether cgo can build.
func pluginsPresent(s system, repo string) bool {
	if _, err := s.lookPath("gcc"); err != nil {
		return false
	}
	info, err := probeBackend(s, repo, buildEnv)
	return err == nil && len(info.Plugins) > 0
}
