package cli

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/examples"
	"github.com/athanor-iac/athanor/internal/version"
)

// Every example is a template and every template an example, so the two
// cannot drift apart: a new example needs a line in templates.
func TestTemplatesAreTheExamples(t *testing.T) {
	mains, err := fs.Glob(examples.Programs, "*/main.go")
	if err != nil {
		t.Fatal(err)
	}
	var exampleNames []string
	for _, m := range mains {
		exampleNames = append(exampleNames, path.Dir(m))
	}
	names := templateNames()
	sort.Strings(names)
	if strings.Join(exampleNames, " ") != strings.Join(names, " ") {
		t.Fatalf("examples %v, templates %v", exampleNames, names)
	}
	for _, name := range names {
		src, err := templateProgram(name, "myinfra")
		if err != nil {
			t.Fatal(err)
		}
		if s := string(src); strings.Contains(s, "go run ./examples/") || !strings.Contains(s, `athanor.Run("myinfra",`) {
			t.Errorf("template %s is not a program of its own module:\n%s", name, s)
		}
	}
}

func TestNewList(t *testing.T) {
	code, out, errOut := run(t, "", "new", "--list")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, name := range templateNames() {
		if !strings.Contains(out, name+" ") {
			t.Errorf("--list lacks %s:\n%s", name, out)
		}
	}
}

func TestNewRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "", "new", dir)
	if code != ExitError || !strings.Contains(errOut, "is not empty (notes.txt...)") || !strings.Contains(errOut, "--force") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "main.go")); err == nil {
		t.Fatal("wrote main.go into a non-empty folder")
	}
	if code, _, errOut := run(t, "", "new", dir, "--force"); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, errOut)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "notes.txt")); err != nil || string(data) != "mine" {
		t.Fatalf("--force changed a file that is not the program's: %q %v", data, err)
	}
}

// Every mistake is reported at once, before anything is written.
func TestNewReportsEveryMistake(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	code, _, errOut := run(t, "", "new", dir, "--template", "flowlog", "--name", "my infra")
	if code != ExitUsage {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{`no template "flowlog"; the templates are empty, flowlogs, vpc-flow-logs`, "program name:", "give one with --name"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatal("created the folder despite the mistakes")
	}
}

// A release build requires its own version and completes go.mod with go
// mod tidy (which downloads; faked here).
func TestNewFromRelease(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "infra")
	var tidied string
	opts := &NewOptions{IO: &IOStreams{Out: &syncBuffer{}, Err: &syncBuffer{}}, Dir: dir, Template: "empty", Module: "example.com/infra",
		Source: ModuleSource{Version: "v0.3.0"},
		Tidy:   func(_ context.Context, d string) error { tidied = d; return nil }}
	if err := runNew(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if s := string(gomod); !strings.HasPrefix(s, "module example.com/infra\n") || !strings.Contains(s, "\nrequire "+version.ModulePath+" v0.3.0\n") || strings.Contains(s, "replace") {
		t.Errorf("go.mod:\n%s", s)
	}
	if tidied != dir {
		t.Errorf("go mod tidy ran in %q, want %q", tidied, dir)
	}
}

// From a checkout, go.mod lists Athanor's requirements as indirect ones
// in one block sorted by path, as go mod tidy writes it, so that the first
// tidy a user runs does not reorder it.
func TestNewFromCheckoutGoModIsTidy(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	gomod, _, err := moduleFiles("example.com/infra", ModuleSource{Checkout: root})
	if err != nil {
		t.Fatal(err)
	}
	_, block, _ := strings.Cut(string(gomod), "require (\n")
	block, _, _ = strings.Cut(block, ")")
	var paths []string
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		paths = append(paths, strings.Fields(line)[0])
	}
	if len(paths) < 2 || !slices.IsSorted(paths) {
		t.Errorf("indirect requirements not sorted by path:\n%s", gomod)
	}
}

// TestNewProgramsRun is the promise of athanor new: for each template,
// `go run . --local` works in the new folder with no further step and
// offline (GOPROXY=off, go.mod read-only), its second run changes
// nothing, destroy deletes everything, and go vet is clean.
func TestNewProgramsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds programs")
	}
	for _, tmpl := range templateNames() {
		t.Run(tmpl, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "my-"+tmpl)
			if code, out, errOut := run(t, "", "new", dir, "--template", tmpl); code != 0 || !strings.Contains(out, "go run . --local") {
				t.Fatalf("athanor new: exit %d\n%s%s", code, out, errOut)
			}
			for _, f := range []string{"go.mod", "go.sum", "main.go", "README.md"} {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Fatal(err)
				}
			}
			if gi, err := os.ReadFile(filepath.Join(dir, ".gitignore")); err != nil || !strings.Contains(string(gi), "\n.athanor/\n") {
				t.Fatalf(".gitignore: %q %v", gi, err)
			}
			goCmd(t, dir, "vet", "./...")
			out := goCmd(t, dir, "run", ".", "--local")
			if !strings.Contains(out, "Apply complete") {
				t.Fatalf("first run:\n%s", out)
			}
			if out := goCmd(t, dir, "run", ".", "--local"); !strings.Contains(out, "Apply complete: no changes") {
				t.Fatalf("second run changed something:\n%s", out)
			}
			if out := goCmd(t, dir, "run", ".", "destroy", "--local"); !strings.Contains(out, "Destroy complete") {
				t.Fatalf("destroy:\n%s", out)
			}
			if out := goCmd(t, dir, "run", ".", "--version"); !strings.Contains(out, "athanor  (devel), replaced by "+version.SourceDir()) {
				t.Fatalf("--version:\n%s", out)
			}
		})
	}
}

// goCmd runs the go command in dir as a user without network would, and
// returns its combined output.
func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=readonly", "GOPROXY=off", "GOWORK=off", "ATHANOR_STAGE=test", "ATHANOR_STATE=", "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
