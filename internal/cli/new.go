package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/examples"
	"github.com/athanor-iac/athanor/internal/version"
	"github.com/athanor-iac/athanor/state"
)

// NewOptions are the parsed arguments of `athanor new`.
type NewOptions struct {
	IO *IOStreams

	Dir      string
	Template string
	Name     string // the program's app name; default: DIR's base name
	Module   string // the module path; default: Name
	Force    bool
	List     bool

	// Source is the Athanor module the new module builds against; runNew
	// fills it from the running binary when it is zero.
	Source ModuleSource
	// Tidy completes go.mod and go.sum when Source is a released version
	// (go mod tidy, which downloads); nil runs the go command.
	Tidy func(ctx context.Context, dir string) error
}

// ModuleSource is where a new module gets Athanor from: a checkout (a
// replace directive, offline) or a module version (a require, downloaded).
type ModuleSource struct {
	Checkout string // a directory holding Athanor's go.mod
	Version  string // a module version such as v0.1.0
}

// template is one starting point of `athanor new`: the program of the
// example with the same name.
type template struct {
	Name, Summary string
}

// templates are the starting points, in --list order. Each is the
// main.go of examples/<Name>; TestTemplatesAreTheExamples fails when an
// example has no template or a template no example.
var templates = []template{
	{"empty", "a program that declares nothing yet (the default)"},
	{"flowlogs", "the seed's four VPC flow logs (examples/flowlogs)"},
	{"vpc-flow-logs", "a VPC, subnets, log group, IAM role, bucket with its policy, and two flow logs wired by outputs (examples/vpc-flow-logs)"},
	{"org-flow-logs", "a flow log for every VPC of every account and region of an organisation, to a central bucket, with a coverage report (examples/org-flow-logs)"},
}

// NewCmdNew builds `athanor new`. runF replaces the run step in tests.
func NewCmdNew(f *Factory, runF func(*NewOptions) error) *cobra.Command {
	opts := &NewOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "new DIR",
		Short: "Start a new Athanor program: a Go module ready to run",
		Long: `Write a Go module in DIR with an Athanor program from a template: go.mod
(and go.sum), main.go, a .gitignore for the state and local endpoint data
in .athanor/, and a README. Then 'cd DIR && go run . --local' runs it
against the embedded local Cloud Control endpoint, with no further step.

go.mod requires Athanor at this athanor's version. A development build of
athanor (go run ./cmd/athanor or go install ./cmd/athanor in a checkout)
points the module at its checkout with a replace directive instead, so it
works offline and follows your changes to the checkout.

DIR must be empty or not exist; --force writes into a non-empty DIR,
replacing the files above and leaving others alone.`,
		Example: `  athanor new myinfra
  athanor new netlogs --template flowlogs
  athanor new --list`,
		Args: func(cmd *cobra.Command, args []string) error {
			if opts.List {
				if len(args) > 0 {
					return usageErrorf("new --list takes no DIR")
				}
				return nil
			}
			if len(args) != 1 {
				return usageErrorf("new needs the folder to create, like: athanor new myinfra")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return runNew(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Template, "template", "t", "empty", "template to start from (see --list)")
	fl.BoolVar(&opts.List, "list", false, "list the templates")
	fl.StringVar(&opts.Name, "name", "", "the program's name, which names its state (default: DIR's name)")
	fl.StringVar(&opts.Module, "module", "", "the module path in go.mod (default: the name)")
	fl.BoolVar(&opts.Force, "force", false, "write into DIR even if it is not empty")
	return cmd
}

func runNew(ctx context.Context, opts *NewOptions) error {
	if opts.List {
		for _, t := range templates {
			fmt.Fprintf(opts.IO.Out, "%-14s %s\n", t.Name, t.Summary)
		}
		return nil
	}
	if err := opts.complete(); err != nil {
		return err
	}
	files, err := projectFiles(opts)
	if err != nil {
		return err
	}
	if err := writeFiles(opts.Dir, files); err != nil {
		return err
	}
	if opts.Source.Checkout == "" {
		tidy := opts.Tidy
		if tidy == nil {
			tidy = goModTidy(opts.IO)
		}
		if err := tidy(ctx, opts.Dir); err != nil {
			return fmt.Errorf("wrote %s, but completing go.mod failed: %w; fix that and run: cd %s && go mod tidy", opts.Dir, err, shellQuote(opts.Dir))
		}
	}
	fmt.Fprintf(opts.IO.Out, "Created %s from the %s template (athanor %s).\nRun it on the embedded local endpoint:\n\n  cd %s\n  go run . --local\n",
		opts.Dir, opts.Template, opts.Source.describe(), shellQuote(opts.Dir))
	return nil
}

// complete checks the options and fills in the defaults, reporting every
// mistake at once.
func (opts *NewOptions) complete() error {
	var errs []error
	if findTemplate(opts.Template) == nil {
		errs = append(errs, usageErrorf("no template %q; the templates are %s (athanor new --list)", opts.Template, strings.Join(templateNames(), ", ")))
	}
	if opts.Name == "" {
		abs, err := filepath.Abs(opts.Dir)
		if err != nil {
			return err
		}
		opts.Name = filepath.Base(abs)
	}
	if err := state.ValidateLogicalID(opts.Name); err != nil {
		errs = append(errs, usageErrorf("program name: %v; give one with --name", err))
	}
	if opts.Module == "" {
		opts.Module = opts.Name
	}
	if strings.ContainsAny(opts.Module, " \t\n\"'`\\") {
		errs = append(errs, usageErrorf("--module %q: a module path has no spaces, quotes or backslashes, like example.com/myinfra", opts.Module))
	}
	if err := checkTarget(opts.Dir, opts.Force); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if opts.Source == (ModuleSource{}) {
		src, err := runningSource()
		if err != nil {
			return err
		}
		opts.Source = src
	}
	return nil
}

// runningSource is the Athanor this binary was built from: its checkout
// for a development build, else its module version.
func runningSource() (ModuleSource, error) {
	if dir := version.SourceDir(); dir != "" {
		return ModuleSource{Checkout: dir}, nil
	}
	v := version.Get().Version
	if version.IsModuleVersion(v) {
		return ModuleSource{Version: v}, nil
	}
	return ModuleSource{}, fmt.Errorf("this athanor is a development build (version %s) whose checkout was not found, so a new module cannot get Athanor from it; install a release (go install %s/cmd/athanor@latest) or run athanor new from a checkout (go run ./cmd/athanor new DIR)", v, version.ModulePath)
}

func (s ModuleSource) describe() string {
	if s.Checkout != "" {
		return "from the checkout " + s.Checkout
	}
	return s.Version
}

// checkTarget refuses a DIR that is a file, or a folder with something in
// it unless force.
func checkTarget(dir string, force bool) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		if st, serr := os.Stat(dir); serr == nil && !st.IsDir() {
			return fmt.Errorf("%s is a file, not a folder: choose another DIR", dir)
		}
		return err
	case len(entries) > 0 && !force:
		return fmt.Errorf("%s is not empty (%s...): choose a new folder, or add --force to write the program's files into it", dir, entries[0].Name())
	}
	return nil
}

func findTemplate(name string) *template {
	for i := range templates {
		if templates[i].Name == name {
			return &templates[i]
		}
	}
	return nil
}

func templateNames() []string {
	var names []string
	for _, t := range templates {
		names = append(names, t.Name)
	}
	return names
}

// projectFiles returns the new module's files by name.
func projectFiles(opts *NewOptions) (map[string][]byte, error) {
	program, err := templateProgram(opts.Template, opts.Name)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		"main.go":    program,
		".gitignore": []byte("# State and the local endpoint's data (athanor run --local).\n.athanor/\n"),
		"README.md":  []byte(readme(opts.Name, findTemplate(opts.Template).Summary)),
	}
	gomod, gosum, err := moduleFiles(opts.Module, opts.Source)
	if err != nil {
		return nil, err
	}
	files["go.mod"] = gomod
	if gosum != nil {
		files["go.sum"] = gosum
	}
	return files, nil
}

// templateProgram is examples/<tmpl>/main.go as a program of its own
// module named name: `go run ./examples/<tmpl>` becomes `go run .`.
func templateProgram(tmpl, name string) ([]byte, error) {
	src, err := fs.ReadFile(examples.Programs, tmpl+"/main.go")
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", tmpl, err)
	}
	s := string(src)
	run := fmt.Sprintf("athanor.Run(%q,", tmpl)
	if !strings.Contains(s, run) {
		return nil, fmt.Errorf("template %s: examples/%s/main.go does not call %s", tmpl, tmpl, run)
	}
	s = strings.Replace(s, run, fmt.Sprintf("athanor.Run(%q,", name), 1)
	s = strings.ReplaceAll(s, "go run ./examples/"+tmpl+" ", "go run . ")
	return []byte(s), nil
}

func readme(name, summary string) string {
	return fmt.Sprintf(`# %s

An [Athanor](https://%s) program: %s.

`+"```sh"+`
go run . --local   # run it against an embedded local Cloud Control endpoint (no AWS account needed)
go run .           # make AWS match the program (AWS credentials from the environment or ~/.aws)
`+"```"+`

`+"`go run . plan`"+` shows what a run would change, `+"`go run . destroy`"+` deletes
everything the program created, `+"`go run . --help`"+` lists the flags.
`, name, version.ModulePath, summary)
}

// writeFiles writes files into dir, creating it.
func writeFiles(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), files[n], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// goModTidy runs `go mod tidy` in a folder, its output on the error stream.
func goModTidy(io *IOStreams) func(ctx context.Context, dir string) error {
	return func(ctx context.Context, dir string) error {
		cmd := exec.CommandContext(ctx, "go", "mod", "tidy")
		cmd.Dir, cmd.Stdout, cmd.Stderr = dir, io.Err, io.Err
		return cmd.Run()
	}
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
