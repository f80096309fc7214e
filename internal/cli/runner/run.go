package runner

import (
	"context"
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

	"github.com/athanor-iac/athanor/internal/cli/cmdutil"
	"github.com/athanor-iac/athanor/internal/engine"
	"github.com/athanor-iac/athanor/internal/jsonout"
	"github.com/athanor-iac/athanor/internal/localendpoint"
	"github.com/athanor-iac/athanor/internal/secrets"
	"github.com/athanor-iac/athanor/internal/version"
	"github.com/athanor-iac/athanor/provider/cloudcontrol"
	"github.com/athanor-iac/athanor/state"
)

// Run makes fn a command line and runs it with os.Args, exiting with the
// run's exit code.
//
// The first interrupt (Ctrl-C or SIGTERM) stops submitting new work, waits
// for the requests in flight and saves state. A second one cancels those
// requests with CancelResourceRequest and saves state. Either way the next
// run picks up where this one stopped. A third one exits at once, for a
// program that does not return (its functions wait on channels of their
// own, say): the intents of requests in flight are already in state, so
// the next run still finds them.
func Run(appName string, fn Program) {
	ctx, cancel := context.WithCancel(context.Background())
	stop := make(chan struct{})
	sigs := make(chan os.Signal, 3)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Fprintln(os.Stderr, "interrupted: starting nothing new, waiting for requests in flight (interrupt again to cancel them)")
		close(stop)
		<-sigs
		fmt.Fprintln(os.Stderr, "interrupted again: cancelling requests in flight (interrupt a third time to exit at once)")
		cancel()
		<-sigs
		fmt.Fprintln(os.Stderr, "interrupted a third time: exiting now; requests in flight stay recorded in state, and the next run finishes them")
		os.Exit(cmdutil.ExitError)
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
	stsEndpoint  string
	local        bool
	localDir     string
	region       string
	profile      string
	parallelism  int
	adopt        bool
	quiet        bool
	verbose      bool
	jsonOut      bool
	targets      []string // --target
	detailedExit bool
	refresh      bool
	yes          bool
	timeout      time.Duration
	maxRPS       float64
	interactive  bool
	stdin        io.Reader
	stop         <-chan struct{}
}

// Main runs fn with args (without the program name) and returns
// the exit code. It is Run without the process around it, for tests and
// for programs that do more after the run. It has no terminal to ask on,
// so an up or destroy that would change anything needs --yes (or
// --local), as in a script; cancelling ctx abandons the requests in flight
// (their intents stay in state for the next run).
func Main(ctx context.Context, appName string, args []string, stdout, stderr io.Writer, fn Program) int {
	return mainWith(ctx, nil, appName, args, false, nil, stdout, stderr, fn)
}

func mainWith(ctx context.Context, stop <-chan struct{}, appName string, args []string, interactive bool, stdin io.Reader, stdout, stderr io.Writer, fn Program) int {
	cfg := config{stop: stop, interactive: interactive, stdin: stdin}
	code := cmdutil.ExitOK
	root := newRootCommand(appName, args, stdout, stderr)
	cfg.addGlobalFlags(root)
	run := func(command string) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, _ []string) error {
			cfg.command = command
			c, err := execute(cmd.Context(), appName, cfg, stdout, stderr, fn)
			code = c
			return state.Locate(err, cfg.location(appName))
		}
	}
	cfg.addCommands(root, run)
	if err := root.ExecuteContext(ctx); err != nil {
		return cfg.failed(ctx, appName, args, err, code, stdout, stderr)
	}
	return code
}

// newRootCommand is the program's command without its flags and
// subcommands; running it with no arguments is up.
func newRootCommand(appName string, args []string, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           appName + " [up|plan|refresh|destroy]",
		Short:         fmt.Sprintf("Make AWS match the %s program (Athanor)", appName),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			return cmdutil.UnknownCommand(cmd, args[0])
		},
	}
	root.SuggestionsMinimumDistance = 2
	// --version: the program's module, Athanor's version, the commit and
	// the Go toolchain, from the build information.
	root.Version = version.Get().Report(appName)
	root.SetVersionTemplate("{{.Version}}")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	return root
}

// addGlobalFlags defines the flags every command takes, by concern.
func (cfg *config) addGlobalFlags(root *cobra.Command) {
	fl := root.PersistentFlags()
	// Which stage, and where its state is.
	fl.StringVar(&cfg.stage, "stage", "", "stage to run (default $ATHANOR_STAGE, then the user name)")
	fl.StringVar(&cfg.stateURL, "state", "", "state store URL (default $ATHANOR_STATE, then file://.athanor)")
	// Which AWS: endpoints, region, credentials.
	fl.StringVar(&cfg.endpoint, "endpoint", "", "Cloud Control endpoint URL (default: the SDK's, which reads AWS_ENDPOINT_URL_CLOUDCONTROL)")
	fl.StringVar(&cfg.stsEndpoint, "sts-endpoint", "", "STS endpoint URL, for scopes' roles and accounts (default: --endpoint when given, else the SDK's, which reads AWS_ENDPOINT_URL_STS)")
	fl.BoolVar(&cfg.local, "local", false, "run against an embedded local Cloud Control endpoint (the program imports localcc), keeping its data under .athanor/local/")
	fl.StringVar(&cfg.region, "region", "", "AWS region (default from the AWS configuration)")
	fl.StringVar(&cfg.profile, "profile", "", "AWS shared configuration profile")
	// How fast, and how long.
	fl.IntVar(&cfg.parallelism, "parallelism", 10, "resource operations in flight at once")
	fl.Float64Var(&cfg.maxRPS, "max-rps", cloudcontrol.DefaultRequestsPerSecond, "most Cloud Control calls a second; lowered on its own when AWS throttles")
	fl.DurationVar(&cfg.timeout, "timeout", 0, "longest one operation may take (default: the type's handler timeout from its schema, else 120m; also $ATHANOR_OPERATION_TIMEOUT)")
	// Which resources.
	fl.BoolVar(&cfg.adopt, "adopt", false, "take over existing resources that a create finds already exist")
	fl.StringArrayVar(&cfg.targets, "target", nil, "work on this resource (logical ID) and what it depends on, or for destroy what depends on it, alone; repeatable")
	// What is printed.
	fl.BoolVarP(&cfg.quiet, "quiet", "q", false, "print only errors and the summary")
	fl.BoolVarP(&cfg.verbose, "verbose", "v", false, "print every API call with its request token and duration")
}

// addCommands makes up the root command's default and adds the
// subcommands with their own flags; run gives each its RunE.
func (cfg *config) addCommands(root *cobra.Command, run func(command string) func(*cobra.Command, []string) error) {
	const (
		refreshHelp = "read the managed resources from AWS first, so that changes made outside the program are undone (--refresh=false trusts the state)"
		yesHelp     = "apply without asking; needed without a terminal, except with --local"
	)
	root.RunE = run("up")
	root.Flags().BoolVar(&cfg.refresh, "refresh", true, refreshHelp)
	root.Flags().BoolVarP(&cfg.yes, "yes", "y", false, yesHelp)
	up := &cobra.Command{Use: "up", Short: "Create, update, replace and delete until AWS matches the program (default)", Args: cobra.NoArgs, RunE: run("up")}
	up.Flags().BoolVar(&cfg.refresh, "refresh", true, refreshHelp)
	up.Flags().BoolVarP(&cfg.yes, "yes", "y", false, yesHelp)
	plan := &cobra.Command{Use: "plan", Short: "Show what up would change, changing nothing", Args: cobra.NoArgs, RunE: run("plan")}
	plan.Flags().BoolVar(&cfg.jsonOut, "json", false, "print the plan as JSON alone on stdout (format: docs/json.md)")
	plan.Flags().BoolVar(&cfg.detailedExit, "detailed-exitcode", false, "exit 2 when there are changes, 0 when none")
	plan.Flags().BoolVar(&cfg.refresh, "refresh", true, "read the managed resources from AWS first, so the plan shows changes made outside the program (--refresh=false: compare with the state only)")
	refresh := &cobra.Command{Use: "refresh", Short: "Read every managed resource and report changes made outside the program", Args: cobra.NoArgs, RunE: run("refresh")}
	refresh.Flags().BoolVar(&cfg.jsonOut, "json", false, "print the drift as JSON alone on stdout (format: docs/json.md)")
	destroy := &cobra.Command{Use: "destroy", Short: "Delete every resource of the stage, dependents first", Args: cobra.NoArgs, RunE: run("destroy")}
	destroy.Flags().BoolVarP(&cfg.yes, "yes", "y", false, "destroy without asking; needed without a terminal, except with --local")
	root.AddCommand(up, plan, refresh, destroy)
}

// failed reports a run that ended in err and returns its exit code: code
// when the run set one, else usage for cobra's own errors (an unknown
// flag or command), or error when ctx ended.
func (cfg *config) failed(ctx context.Context, appName string, args []string, err error, code int, stdout, stderr io.Writer) int {
	fmt.Fprintf(stderr, "%s: %s\n", appName, secrets.RedactText(err.Error()))
	if code == cmdutil.ExitOK {
		code = cmdutil.ExitUsage // cobra's own errors: unknown flag or command
		if ctx.Err() != nil {
			code = cmdutil.ExitError
		}
	}
	var needsYes *needsYesError
	if code == cmdutil.ExitUsage && !errors.As(err, &needsYes) {
		// The app name is not the command that started the program
		// (a binary of another name, or go run), so name none.
		fmt.Fprintln(stderr, "Run the program with --help for usage.")
	}
	if cfg.jsonOut || jsonout.Requested(args) {
		jsonout.Write(stdout, newErrorJSON(err, code))
	}
	return code
}

// location is where the run's state is, for the commands its messages
// suggest: the URL as the run resolves it (a relative file path made
// absolute), so that the commands work from any directory.
func (cfg *config) location(app string) state.StageRef {
	url := state.ResolveURL(cfg.stateURL)
	if checked, err := state.CheckURL(url); err == nil {
		url = checked
	}
	return state.StageRef{URL: url, App: app, Stage: state.ResolveStage(cfg.stage)}
}

// resolve fills in the defaults and checks the command line, reporting
// every mistake at once.
func (cfg *config) resolve() error {
	var errs usageErrors
	cfg.stage = state.ResolveStage(cfg.stage)
	if err := state.ValidateLogicalID(cfg.stage); err != nil {
		errs = append(errs, fmt.Errorf("--stage %q: use letters, digits, '-', '_' and '.'", cfg.stage))
	}
	url, err := state.CheckURL(state.ResolveURL(cfg.stateURL))
	if err != nil {
		errs = append(errs, err)
	}
	cfg.stateURL = url
	if cfg.local && cfg.endpoint != "" {
		errs = append(errs, errors.New("--local and --endpoint both choose the endpoint: give one"))
	}
	if cfg.local && cfg.stsEndpoint != "" {
		errs = append(errs, errors.New("--local answers STS itself: drop --sts-endpoint"))
	}
	for _, f := range []struct{ name, url string }{{"--endpoint", cfg.endpoint}, {"--sts-endpoint", cfg.stsEndpoint}} {
		if err := cmdutil.CheckEndpoint(f.name, f.url); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.local && !localendpoint.Linked() {
		errs = append(errs, fmt.Errorf("--local: the local endpoint is not linked into this program: add %s to it", localendpoint.Import))
	}
	errs = append(errs, cfg.checkRanges()...)
	if cfg.localDir == "" {
		cfg.localDir = filepath.Join(".athanor", "local")
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// execute runs one command and returns its exit code.
func execute(ctx context.Context, appName string, cfg config, stdout, stderr io.Writer, fn Program) (int, error) {
	if err := cfg.resolve(); err != nil {
		return cmdutil.ExitUsage, err
	}
	r := &invocation{app: appName, cfg: cfg, fn: fn, stdout: stdout}
	r.out = newReporter(cfg.humanOut(stdout, stderr), cfg.quiet, cfg.verbose)
	store, err := secrets.OpenStore(ctx, cfg.stateURL, appName, cfg.stage)
	if err != nil {
		return cmdutil.ExitError, err
	}
	defer store.Close() // after the lock's release, deferred below
	r.store = store
	// Commands that read AWS or change anything hold the stage's lock.
	if cfg.needsAWS() {
		unlock, err := lock(ctx, store, cfg.command, r.out)
		if err != nil {
			return cmdutil.ExitError, err
		}
		defer unlock()
		closeEndpoint, err := r.connect(ctx)
		if err != nil {
			return cmdutil.ExitError, err
		}
		defer closeEndpoint()
	}
	r.tgt = newTarget(cfg, r.prov)
	if cfg.command == "refresh" {
		return refreshCommand(ctx, appName, cfg, r.tgt, store, r.prov, r.scopes, stdout, r.out)
	}
	p, code, err := r.plan(ctx)
	if err != nil {
		return code, err
	}
	if cfg.command == "plan" {
		return r.showPlan(p)
	}
	if code, err := cfg.approve(p.view, stdout, r.out); err != nil {
		return code, err
	}
	return r.apply(ctx, p)
}

// invocation is one command's run: what its steps share.
type invocation struct {
	app    string
	cfg    config
	fn     Program
	stdout io.Writer
	out    *reporter
	store  *secrets.Store
	tgt    target
	// prov and scopes reach AWS; nil for a run that reads nothing
	// (plan --refresh=false).
	prov   *cloudcontrol.Provider
	scopes *scopeRegistry
}

// planned is what the plan pass found.
type planned struct {
	sess     *engine.Session
	lookups  *engine.Lookups
	drifts   []engine.Drift
	targeted map[string]bool // nil: every resource
	changes  []engine.Change
	view     planView
}

// humanOut is where the lines for people go: with --json, standard output
// carries the JSON document alone, and every line for people goes to
// standard error.
func (cfg *config) humanOut(stdout, stderr io.Writer) io.Writer {
	if cfg.jsonOut {
		return stderr
	}
	return stdout
}

// needsAWS reports whether the command reads AWS or changes anything:
// all but plan --refresh=false.
func (cfg *config) needsAWS() bool {
	return cfg.command != "plan" || cfg.refresh
}

// connect starts the local endpoint for --local and builds the run's
// provider and scope registry. The returned func closes the endpoint.
func (r *invocation) connect(ctx context.Context) (func(), error) {
	endpoint := r.cfg.endpoint
	closeEndpoint := func() {}
	if r.cfg.local {
		srv, err := localendpoint.Start(r.cfg.localDir)
		if err != nil {
			return nil, err
		}
		closeEndpoint = func() { srv.Close() }
		endpoint = srv.URL()
		r.out.note("using the local Cloud Control endpoint at %s (data in %s)", endpoint, r.cfg.localDir)
	}
	// An endpoint given to the run (the local one) answers STS too,
	// for scopes that assume roles, unless --sts-endpoint says where.
	// Every account and region of the run shares one poll scheduler.
	stsEndpoint := r.cfg.stsEndpoint
	if stsEndpoint == "" {
		stsEndpoint = endpoint
	}
	base := cloudcontrol.Options{Scheduler: cloudcontrol.NewScheduler(), Endpoint: endpoint, STSEndpoint: stsEndpoint, Region: r.cfg.region, Profile: r.cfg.profile, Observer: r.out.call, Local: r.cfg.local, RequestsPerSecond: r.cfg.maxRPS}
	prov, err := cloudcontrol.New(ctx, base)
	if err != nil {
		closeEndpoint()
		return nil, err
	}
	r.prov, r.scopes = prov, newScopeRegistry(prov, base)
	return closeEndpoint, nil
}

// provider is the run's provider for the engine: nil, not a nil
// *cloudcontrol.Provider, when the run reads nothing (plan
// --refresh=false), so that the engine's checks for one see it missing
// and say why a lookup or an Import cannot be planned.
func (r *invocation) provider() engine.Provider {
	if r.prov == nil {
		return nil
	}
	return r.prov
}

// plan is the plan pass: every mistake is found before anything is sent.
// One run reads what it does not manage once: the apply pass reuses the
// plan pass's lookups.
func (r *invocation) plan(ctx context.Context) (*planned, int, error) {
	p := &planned{lookups: engine.NewLookups()}
	var err error
	p.sess, err = engine.NewSession(ctx, engine.Options{Store: r.store, Provider: r.provider(), Scopes: r.scopes.providerFunc(), Parallelism: r.cfg.parallelism, Adopt: r.cfg.adopt, Events: r.out.event, Stop: r.cfg.stop,
		OperationTimeout: r.cfg.timeout, Where: r.cfg.location(r.app), Lookups: p.lookups})
	if err != nil {
		return nil, cmdutil.ExitError, err
	}
	planEng := p.sess.Plan()
	if r.cfg.refresh {
		if p.drifts, err = p.sess.Refresh(ctx); err != nil {
			return nil, cmdutil.ExitError, err
		}
	}
	code := cmdutil.ExitOK
	if r.cfg.command != "destroy" {
		p.targeted, code, err = r.planDeclared(ctx, planEng)
	} else {
		p.targeted, code, err = r.planDestroy(ctx, planEng)
	}
	if err != nil {
		return nil, code, err
	}
	// Deleting what is protected is refused here, before anything is sent.
	if probs := planEng.Problems(); len(probs) > 0 {
		return nil, cmdutil.ExitError, &engine.ProblemsError{Problems: probs}
	}
	p.changes = planEng.Changes()
	var skipped []string
	if p.targeted != nil {
		skipped = planEng.Skipped(p.targeted)
		p.drifts = onlyDrifts(p.drifts, p.targeted)
	}
	p.view = planView{header: r.tgt.header(r.app, r.cfg.stage), drifts: p.drifts, reads: p.lookups.Reads(), changes: p.changes, skipped: skipped}
	return p, cmdutil.ExitOK, nil
}

// planDeclared runs the program's plan pass and plans the deletion of
// what it no longer declares; with --target, of the targets and what they
// depend on alone.
func (r *invocation) planDeclared(ctx context.Context, planEng *engine.Engine) (map[string]bool, int, error) {
	var targeted map[string]bool // nil: every resource
	_, err := r.fn(ctx, r.cfg.pass(r.app, planEng, r.scopes, true, r.out))
	var terr error
	if err == nil {
		planEng.CheckDependsOn()
	}
	if err == nil && len(r.cfg.targets) > 0 {
		targeted, terr = limit(planEng, r.cfg.targets, false)
	}
	if probs := planEng.Problems(); len(probs) > 0 {
		return nil, cmdutil.ExitError, &engine.ProblemsError{Problems: probs}
	}
	if err != nil {
		return nil, cmdutil.ExitError, fmt.Errorf("the program failed while planning: %w", err)
	}
	if terr != nil {
		return nil, cmdutil.ExitUsage, terr
	}
	if err := planEng.PlanDeletes(ctx); err != nil {
		return nil, cmdutil.ExitError, err
	}
	return targeted, cmdutil.ExitOK, nil
}

// planDestroy plans the deletion of every resource of the stage; with
// --target, of the targets and what depends on them alone.
func (r *invocation) planDestroy(ctx context.Context, planEng *engine.Engine) (map[string]bool, int, error) {
	var targeted map[string]bool // nil: every resource
	if len(r.cfg.targets) > 0 {
		var err error
		if targeted, err = limit(planEng, r.cfg.targets, true); err != nil {
			return nil, cmdutil.ExitUsage, err
		}
	}
	if err := planEng.PlanDestroy(ctx); err != nil {
		return nil, cmdutil.ExitError, err
	}
	return targeted, cmdutil.ExitOK, nil
}

// showPlan is the plan command's output: the plan as text, or with --json
// as JSON; with --detailed-exitcode, exit 2 says there are changes.
func (r *invocation) showPlan(p *planned) (int, error) {
	if r.cfg.jsonOut {
		if err := writePlanJSON(r.stdout, r.app, r.cfg.stage, r.tgt, p.changes, p.drifts, p.view.skipped, p.lookups.Reads()); err != nil {
			return cmdutil.ExitError, err
		}
	} else {
		r.out.plan(p.view)
	}
	if r.cfg.detailedExit && hasChanges(p.changes) {
		return cmdutil.ExitChanges, nil
	}
	return cmdutil.ExitOK, nil
}

// apply carries out an approved plan: destroy deletes; up runs the
// program's apply pass, then deletes what it no longer declares and
// records its outputs.
func (r *invocation) apply(ctx context.Context, p *planned) (int, error) {
	// One cheap call before the first intent is written: an endpoint that
	// is down or credentials that do not resolve fail here, once, with the
	// fix, instead of per resource after the SDK's retries.
	if hasChanges(p.changes) || p.sess.Pending() {
		if err := r.prov.Check(ctx); err != nil {
			return cmdutil.ExitError, err
		}
	}
	eng, err := p.sess.Apply(ctx, p.targeted)
	if err != nil {
		return cmdutil.ExitError, err
	}
	start := time.Now()
	stopLive := r.out.live(countChanges(p.changes))
	finish := func(what string, err error) (int, error) {
		stopLive()
		if ctx.Err() != nil {
			r.cancelInFlight(ctx, eng)
		}
		r.out.summary(what, time.Since(start), err)
		if err != nil {
			return cmdutil.ExitError, err
		}
		return cmdutil.ExitOK, nil
	}
	if r.cfg.command == "destroy" {
		return finish("Destroy", r.destroy(ctx, eng, p.targeted))
	}
	outputs, err := r.fn(ctx, r.cfg.pass(r.app, eng, r.scopes, false, r.out))
	if err != nil {
		return finish("Apply", err)
	}
	code, err := finish("Apply", r.settle(ctx, eng, p.targeted, outputs))
	if err == nil && p.targeted == nil {
		r.out.outputs(outputs)
	} else if err == nil && len(outputs) > 0 {
		r.out.note("outputs not recorded: a run limited by --target does not make every resource match the program")
	}
	return code, err
}

// cancelInFlight cancels the requests in flight of a run whose context
// ended (the second interrupt), with half a minute of its own to do it.
func (r *invocation) cancelInFlight(ctx context.Context, eng *engine.Engine) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	n := eng.CancelInFlight(cctx)
	cancel()
	r.out.note("cancelled %d requests in flight; their intents are in state, and the next run finishes them", n)
}

// destroy deletes every resource of the stage (with --target, the
// targeted ones). A destroyed stage publishes nothing.
func (r *invocation) destroy(ctx context.Context, eng *engine.Engine, targeted map[string]bool) error {
	var ids []string
	for _, id := range eng.All() {
		if targeted == nil || targeted[id] {
			ids = append(ids, id)
		}
	}
	err := eng.DeleteAll(ctx, ids)
	if err == nil && targeted == nil {
		err = saveOutputs(ctx, r.store, nil)
	}
	return err
}

// settle ends an apply pass in which the program declared everything:
// only such a run may delete what it no longer declares, and (without
// --target) record its outputs.
func (r *invocation) settle(ctx context.Context, eng *engine.Engine, targeted map[string]bool, outputs map[string]any) error {
	err := eng.DeleteAll(ctx, eng.Orphans())
	if err == nil && targeted == nil {
		err = saveOutputs(ctx, r.store, outputs)
	}
	return err
}

// refreshCommand reads every managed resource, records what changed
// outside the program, and reports it.
func refreshCommand(ctx context.Context, appName string, cfg config, tgt target, store state.Store, prov *cloudcontrol.Provider, scopes *scopeRegistry, stdout io.Writer, out *reporter) (int, error) {
	eng, err := engine.New(ctx, engine.ModeApply, engine.Options{Store: store, Provider: prov, Scopes: scopes.providerFunc(), Parallelism: cfg.parallelism, Where: cfg.location(appName)})
	if err != nil {
		return cmdutil.ExitError, err
	}
	if len(cfg.targets) > 0 {
		// Only what state knows: refresh does not run the program.
		if _, err := limit(eng, cfg.targets, false); err != nil {
			return cmdutil.ExitUsage, err
		}
	}
	drifts, err := eng.Refresh(ctx, true)
	if err != nil {
		if !cfg.jsonOut && len(drifts) > 0 {
			out.drift(drifts)
		}
		return cmdutil.ExitError, err
	}
	if cfg.jsonOut {
		if err := jsonout.Write(stdout, driftJSON{FormatVersion: jsonout.FormatVersion, App: appName, Stage: cfg.stage, Target: tgt, Drift: nonNil(drifts)}); err != nil {
			return cmdutil.ExitError, err
		}
	} else {
		out.drift(drifts)
	}
	if cfg.detailedExit && len(drifts) > 0 {
		return cmdutil.ExitChanges, nil
	}
	return cmdutil.ExitOK, nil
}

// approve shows the plan of an up or destroy and decides whether it may
// go ahead, as Terraform and Pulumi do: a run against anything but the
// embedded local endpoint changes nothing without a "yes" typed at the
// terminal or --yes. Without a terminal it never waits for an answer: it
// refuses, with a usage error that names --yes, so a script fails at once.
func (cfg *config) approve(v planView, stdout io.Writer, out *reporter) (int, error) {
	if !hasChanges(v.changes) {
		if !cfg.quiet {
			out.header(v)
		}
		return cmdutil.ExitOK, nil
	}
	mustAsk := !cfg.yes && !cfg.local
	if !cfg.quiet || mustAsk {
		out.plan(v)
	}
	if !mustAsk {
		return cmdutil.ExitOK, nil
	}
	if !cfg.interactive {
		return cmdutil.ExitUsage, &needsYesError{Command: cfg.command}
	}
	if !confirm(cfg.stdin, stdout, cfg.command) {
		return cmdutil.ExitError, errors.New("cancelled; nothing was changed")
	}
	return cmdutil.ExitOK, nil
}

// needsYesError is an up or destroy that would change something, run
// without a terminal to confirm it on and without --yes: it changes
// nothing, and exits 2 (cmdutil.ExitUsage).
type needsYesError struct{ Command string }

func (e *needsYesError) Error() string {
	verb := map[string]string{"up": "apply", "destroy": "carry out"}[e.Command]
	return fmt.Sprintf("nothing was changed: there is no terminal to confirm this %s on; add --yes to %s the plan above", e.Command, verb)
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

// pass is what the program runs against in one pass.
func (cfg *config) pass(app string, eng *engine.Engine, scopes *scopeRegistry, planning bool, out *reporter) Pass {
	p := Pass{App: app, Stage: cfg.stage, Engine: eng, Planning: planning, Parallelism: cfg.parallelism, Log: out.userLog(planning), Stop: cfg.stop}
	if scopes != nil { // a nil *scopeRegistry in the interface would not be nil
		p.Scopes = scopes
	}
	return p
}

// lock takes the stage's lock, failing fast when another run holds it.
func lock(ctx context.Context, store state.Store, command string, out *reporter) (func(), error) {
	u, err := store.Lock(ctx, state.NewLockInfo(command, version.Get().String()))
	if err != nil {
		return nil, err // located by the caller: it is not wrapped
	}
	if stale, ok := state.StaleLock(u); ok {
		out.note("the previous run (%s) ended without unlocking; its operations in flight are resumed", stale.String())
	}
	return func() { u.Unlock() }, nil
}

// countChanges counts the operations a plan makes: a move with an update
// is two.
func countChanges(cs []engine.Change) int {
	n := 0
	for _, c := range cs {
		if c.Action != engine.NoOp {
			n++
		}
		if c.MovedFrom != "" {
			n++
		}
	}
	return n
}

func hasChanges(cs []engine.Change) bool {
	for _, c := range cs {
		if c.Changes() {
			return true
		}
	}
	return false
}

// limit restricts the run to targets and what they depend on (with
// dependents: what depends on them), as --target asks.
func limit(eng *engine.Engine, targets []string, dependents bool) (map[string]bool, error) {
	set, err := eng.Targeted(targets, dependents)
	if err != nil {
		return nil, err
	}
	eng.Limit(set)
	return set, nil
}

// onlyDrifts keeps the drift of the resources in set.
func onlyDrifts(ds []engine.Drift, set map[string]bool) []engine.Drift {
	var out []engine.Drift
	for _, d := range ds {
		if set[d.LogicalID] {
			out = append(out, d)
		}
	}
	return out
}
