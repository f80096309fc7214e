package athanor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/internal/engine"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/provider/cloudcontrol"
	"github.com/athanor-iac/athanor/state"
)

// Exit codes a program returns, for scripts.
const (
	ExitOK      = 0
	ExitError   = 1
	ExitUsage   = 2
	ExitChanges = 2 // plan --detailed-exitcode: changes are pending
)

// Version is the engine's version, recorded in state locks.
const Version = "0.1.0-dev"

// Run makes fn's program a command line and runs it with os.Args, exiting
// with the run's exit code.
//
// The first interrupt (Ctrl-C or SIGTERM) stops submitting new work, waits
// for the requests in flight and saves state. A second one cancels those
// requests with CancelResourceRequest and saves state. Either way the next
// run picks up where this one stopped.
func Run(appName string, fn func(*App) error) {
	ctx, cancel := context.WithCancel(context.Background())
	stop := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Fprintln(os.Stderr, "interrupted: starting nothing new, waiting for requests in flight (interrupt again to cancel them)")
		close(stop)
		<-sigs
		fmt.Fprintln(os.Stderr, "interrupted again: cancelling requests in flight")
		cancel()
	}()
	code := mainWith(ctx, stop, appName, os.Args[1:], interactive(), os.Stdin, os.Stdout, os.Stderr, fn)
	signal.Stop(sigs)
	cancel()
	os.Exit(code)
}

// interactive reports whether a person is at the terminal to answer.
func interactive() bool {
	return isTerminal(os.Stdin) && isTerminal(os.Stdout)
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// config is what the command line says.
type config struct {
	command      string
	stage        string
	stateURL     string
	endpoint     string
	local        bool
	localDir     string
	region       string
	profile      string
	parallelism  int
	adopt        bool
	quiet        bool
	verbose      bool
	jsonOut      bool
	detailedExit bool
	refresh      bool
	yes          bool
	timeout      time.Duration
	maxRPS       float64
	interactive  bool
	stdin        io.Reader
	stop         <-chan struct{}
}

// Main runs fn's program with args (without the program name) and returns
// the exit code. It is Run without the process around it, for tests and
// for programs that do more after the run: it never asks for
// confirmation, and cancelling ctx abandons the requests in flight (their
// intents stay in state for the next run).
func Main(ctx context.Context, appName string, args []string, stdout, stderr io.Writer, fn func(*App) error) int {
	return mainWith(ctx, nil, appName, args, false, nil, stdout, stderr, fn)
}

func mainWith(ctx context.Context, stop <-chan struct{}, appName string, args []string, interactive bool, stdin io.Reader, stdout, stderr io.Writer, fn func(*App) error) int {
	cfg := config{stop: stop, interactive: interactive, stdin: stdin}
	code := ExitOK
	root := &cobra.Command{
		Use:           appName + " [up|plan|refresh|destroy]",
		Short:         fmt.Sprintf("Make AWS match the %s program (Athanor)", appName),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], appName)
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += fmt.Sprintf("; did you mean %q?", s[0])
			}
			return errors.New(msg)
		},
	}
	root.SuggestionsMinimumDistance = 2
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	fl := root.PersistentFlags()
	fl.StringVar(&cfg.stage, "stage", "", "stage to run (default $ATHANOR_STAGE, then the user name)")
	fl.StringVar(&cfg.stateURL, "state", "", "state store URL (default $ATHANOR_STATE, then file://.athanor)")
	fl.StringVar(&cfg.endpoint, "endpoint", "", "Cloud Control endpoint URL (default: the SDK's, which reads AWS_ENDPOINT_URL_CLOUDCONTROL)")
	fl.BoolVar(&cfg.local, "local", false, "run against an embedded local Cloud Control endpoint, keeping its data under .athanor/local/")
	fl.StringVar(&cfg.region, "region", "", "AWS region (default from the AWS configuration)")
	fl.StringVar(&cfg.profile, "profile", "", "AWS shared configuration profile")
	fl.IntVar(&cfg.parallelism, "parallelism", 10, "resource operations in flight at once")
	fl.BoolVar(&cfg.adopt, "adopt", false, "take over existing resources that a create finds already exist")
	fl.Float64Var(&cfg.maxRPS, "max-rps", cloudcontrol.DefaultRequestsPerSecond, "most Cloud Control calls a second; lowered on its own when AWS throttles")
	fl.DurationVar(&cfg.timeout, "timeout", 0, "longest one operation may take (default: the type's handler timeout from its schema, else 120m; also $ATHANOR_OPERATION_TIMEOUT)")
	fl.BoolVarP(&cfg.quiet, "quiet", "q", false, "print only errors and the summary")
	fl.BoolVarP(&cfg.verbose, "verbose", "v", false, "print every API call with its request token and duration")
	run := func(command string) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, _ []string) error {
			cfg.command = command
			if cfg.parallelism < 1 {
				code = ExitUsage
				return fmt.Errorf("--parallelism must be at least 1, not %d", cfg.parallelism)
			}
			c, err := execute(cmd.Context(), appName, cfg, stdout, fn)
			code = c
			return err
		}
	}
	root.RunE = run("up")
	root.Flags().BoolVar(&cfg.refresh, "refresh", false, "read every resource first and undo changes made outside the program")
	root.Flags().BoolVarP(&cfg.yes, "yes", "y", false, "apply without asking for confirmation")
	up := &cobra.Command{Use: "up", Short: "Create, update, replace and delete until AWS matches the program (default)", Args: cobra.NoArgs, RunE: run("up")}
	up.Flags().BoolVar(&cfg.refresh, "refresh", false, "read every resource first and undo changes made outside the program")
	up.Flags().BoolVarP(&cfg.yes, "yes", "y", false, "apply without asking for confirmation")
	plan := &cobra.Command{Use: "plan", Short: "Show what up would change, changing nothing", Args: cobra.NoArgs, RunE: run("plan")}
	plan.Flags().BoolVar(&cfg.jsonOut, "json", false, "print the plan as JSON (format: docs/plan-json.md)")
	plan.Flags().BoolVar(&cfg.detailedExit, "detailed-exitcode", false, "exit 2 when there are changes, 0 when none")
	plan.Flags().BoolVar(&cfg.refresh, "refresh", false, "read every resource first, so the plan shows how to undo changes made outside the program")
	refresh := &cobra.Command{Use: "refresh", Short: "Read every managed resource and report changes made outside the program", Args: cobra.NoArgs, RunE: run("refresh")}
	refresh.Flags().BoolVar(&cfg.jsonOut, "json", false, "print the drift as JSON")
	destroy := &cobra.Command{Use: "destroy", Short: "Delete every resource of the stage, dependents first", Args: cobra.NoArgs, RunE: run("destroy")}
	destroy.Flags().BoolVarP(&cfg.yes, "yes", "y", false, "destroy without asking for confirmation")
	root.AddCommand(up, plan, refresh, destroy)
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", appName, err)
		if code == ExitOK {
			code = ExitUsage // cobra's own errors: unknown flag or command
			if ctx.Err() != nil {
				code = ExitError
			}
		}
		if code == ExitUsage {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", appName)
		}
		return code
	}
	return code
}

func (cfg *config) resolve() error {
	cfg.stage = state.ResolveStage(cfg.stage)
	if err := state.ValidateLogicalID(cfg.stage); err != nil {
		return fmt.Errorf("--stage %q: use letters, digits, '-', '_' and '.'", cfg.stage)
	}
	cfg.stateURL = state.ResolveURL(cfg.stateURL)
	if cfg.local && cfg.endpoint != "" {
		return errors.New("--local and --endpoint both choose the endpoint: give one")
	}
	if cfg.localDir == "" {
		cfg.localDir = filepath.Join(".athanor", "local")
	}
	return nil
}

// execute runs one command and returns its exit code.
func execute(ctx context.Context, appName string, cfg config, stdout io.Writer, fn func(*App) error) (int, error) {
	if err := cfg.resolve(); err != nil {
		return ExitUsage, err
	}
	out := newReporter(stdout, cfg.quiet, cfg.verbose)
	store, err := state.Open(ctx, cfg.stateURL, appName, cfg.stage)
	if err != nil {
		return ExitError, err
	}
	// Commands that read AWS or change anything hold the stage's lock.
	if cfg.command != "plan" || cfg.refresh {
		unlock, err := lock(ctx, store, cfg.command, out)
		if err != nil {
			return ExitError, err
		}
		defer unlock()
	}
	var prov *cloudcontrol.Provider
	needAWS := cfg.command != "plan" || cfg.refresh
	if needAWS {
		endpoint := cfg.endpoint
		if cfg.local {
			srv, err := startLocal(cfg.localDir)
			if err != nil {
				return ExitError, err
			}
			defer srv.Close()
			endpoint = srv.URL()
			out.note("using the local Cloud Control endpoint at %s (data in %s)", endpoint, cfg.localDir)
		}
		prov, err = cloudcontrol.New(ctx, cloudcontrol.Options{Endpoint: endpoint, Region: cfg.region, Profile: cfg.profile, Observer: out.call, Local: cfg.local, RequestsPerSecond: cfg.maxRPS})
		if err != nil {
			return ExitError, err
		}
	}
	if cfg.command == "refresh" {
		eng, err := engine.New(ctx, engine.ModeApply, engine.Options{Store: store, Provider: prov, Parallelism: cfg.parallelism})
		if err != nil {
			return ExitError, err
		}
		drifts, err := eng.Refresh(ctx, true)
		if cfg.jsonOut {
			if jerr := writeJSON(stdout, map[string]any{"formatVersion": 1, "app": appName, "stage": cfg.stage, "drift": nonNil(drifts)}); jerr != nil {
				return ExitError, jerr
			}
		} else {
			out.drift(drifts)
		}
		if err != nil {
			return ExitError, err
		}
		if cfg.detailedExit && len(drifts) > 0 {
			return ExitChanges, nil
		}
		return ExitOK, nil
	}

	// The plan pass: every mistake is found before anything is sent.
	planEng, err := engine.New(ctx, engine.ModePlan, engine.Options{Store: store, Provider: prov, Parallelism: cfg.parallelism})
	if err != nil {
		return ExitError, err
	}
	if cfg.refresh {
		drifts, err := planEng.Refresh(ctx, false)
		if err != nil {
			return ExitError, err
		}
		if cfg.command != "plan" || !cfg.jsonOut {
			out.drift(drifts)
		}
	}
	if cfg.command != "destroy" {
		app := newApp(ctx, appName, cfg, planEng, true, out)
		err := runProgram(app, fn)
		if probs := planEng.Problems(); len(probs) > 0 {
			return ExitError, &engine.ProblemsError{Problems: probs}
		}
		if err != nil {
			return ExitError, fmt.Errorf("the program failed while planning: %w", err)
		}
		planEng.PlanDeletes()
	} else {
		planEng.PlanDestroy()
	}
	// Deleting what is protected is refused here, before anything is sent.
	if probs := planEng.Problems(); len(probs) > 0 {
		return ExitError, &engine.ProblemsError{Problems: probs}
	}
	changes := planEng.Changes()
	if cfg.command == "plan" {
		if cfg.jsonOut {
			if err := writePlanJSON(stdout, appName, cfg.stage, changes); err != nil {
				return ExitError, err
			}
		} else {
			out.plan(appName, cfg.stage, changes)
		}
		if cfg.detailedExit && hasChanges(changes) {
			return ExitChanges, nil
		}
		return ExitOK, nil
	}
	// Runs against the embedded local endpoint change nothing real, so they
	// do not ask (the README's quick start is one command).
	if cfg.interactive && !cfg.yes && !cfg.local && hasChanges(changes) {
		out.plan(appName, cfg.stage, changes)
		if !confirm(cfg.stdin, stdout, cfg.command) {
			return ExitError, errors.New("cancelled; nothing was changed")
		}
	}

	// The apply pass starts from the records the plan pass read (after its
	// refresh, with --refresh, so AWS is read once): the state cannot have
	// changed in between, since this run holds the lock.
	records := planEng.Loaded()
	if cfg.refresh {
		records = planEng.Records()
	}
	eng, err := engine.New(ctx, engine.ModeApply, engine.Options{Store: store, Provider: prov, Parallelism: cfg.parallelism, Adopt: cfg.adopt, Events: out.event, Stop: cfg.stop,
		OperationTimeout: cfg.timeout, Records: records, Checked: planEng.Checked()})
	if err != nil {
		return ExitError, err
	}
	start := time.Now()
	stopLive := out.live(countChanges(changes))
	finish := func(what string, err error) (int, error) {
		stopLive()
		if ctx.Err() != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			n := eng.CancelInFlight(cctx)
			cancel()
			out.note("cancelled %d requests in flight; their intents are in state, and the next run finishes them", n)
		}
		out.summary(what, time.Since(start), err)
		if err != nil {
			return ExitError, err
		}
		return ExitOK, nil
	}
	if cfg.command == "destroy" {
		return finish("Destroy", eng.DeleteAll(ctx, eng.All()))
	}
	app := newApp(ctx, appName, cfg, eng, false, out)
	if err := runProgram(app, fn); err != nil {
		return finish("Apply", err)
	}
	// Only a run that declared everything may delete what it no longer
	// declares.
	return finish("Apply", eng.DeleteAll(ctx, eng.Orphans()))
}

// confirm asks a person to type yes.
func confirm(in io.Reader, out io.Writer, command string) bool {
	if in == nil {
		return false
	}
	verb := map[string]string{"up": "Apply these changes", "destroy": "Destroy these resources"}[command]
	fmt.Fprintf(out, "%s? Only 'yes' is accepted: ", verb)
	var answer string
	fmt.Fscanln(in, &answer)
	return strings.TrimSpace(answer) == "yes"
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newApp(ctx context.Context, name string, cfg config, eng *engine.Engine, planning bool, out *reporter) *App {
	return &App{name: name, stage: cfg.stage, ctx: ctx, eng: eng, planning: planning, sem: make(chan struct{}, max(cfg.parallelism, minGoSlots)), logf: out.userLog(planning), stop: cfg.stop}
}

func runProgram(app *App, fn func(*App) error) error {
	err := fn(app)
	if werr := app.wait(); err == nil {
		err = werr
	}
	return err
}

// lock takes the stage's lock, failing fast when another run holds it.
func lock(ctx context.Context, store state.Store, command string, out *reporter) (func(), error) {
	u, err := store.Lock(ctx, state.NewLockInfo(command, Version))
	if err != nil {
		return nil, err
	}
	if stale, ok := state.StaleLock(u); ok {
		out.note("the previous run (%s) ended without unlocking; its operations in flight are resumed", stale.String())
	}
	return func() { u.Unlock() }, nil
}

// startLocal starts the embedded local endpoint with the seed fixtures and
// a data file, so that runs of a program see each other's resources.
func startLocal(dir string) (*localcc.Server, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	srv, err := localcc.Start(localcc.Options{DataFile: filepath.Join(dir, "data.json"), Fixtures: localcc.SeedFixtures()}, "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start the local endpoint: %w", err)
	}
	return srv, nil
}

func countChanges(cs []engine.Change) int {
	n := 0
	for _, c := range cs {
		if c.Action != engine.NoOp {
			n++
		}
	}
	return n
}

func hasChanges(cs []engine.Change) bool {
	for _, c := range cs {
		if c.Action != engine.NoOp {
			return true
		}
	}
	return false
}

// planJSON is the documented machine-readable plan (docs/plan-json.md).
type planJSON struct {
	FormatVersion int             `json:"formatVersion"`
	App           string          `json:"app"`
	Stage         string          `json:"stage"`
	Changes       []engine.Change `json:"changes"`
	Summary       map[string]int  `json:"summary"`
}

func writePlanJSON(w io.Writer, app, stage string, changes []engine.Change) error {
	if changes == nil {
		changes = []engine.Change{}
	}
	// A value known only after apply is null with "unknown": true; the
	// placeholder inside it is for the program, not for readers of plans.
	for i := range changes {
		diffs := append([]engine.PropDiff(nil), changes[i].Diffs...)
		for j := range diffs {
			if diffs[j].Unknown {
				diffs[j].After = nil
			}
		}
		changes[i].Diffs = diffs
	}
	p := planJSON{FormatVersion: 1, App: app, Stage: stage, Changes: changes, Summary: countActions(changes)}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

func countActions(cs []engine.Change) map[string]int {
	m := map[string]int{"create": 0, "update": 0, "replace": 0, "delete": 0, "forget": 0, "no-op": 0}
	for _, c := range cs {
		m[string(c.Action)]++
	}
	return m
}
