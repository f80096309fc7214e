package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/internal/cli/cmdutil"
	"github.com/athanor-iac/athanor/localcc"
)

// LocalOptions are the parsed flags of `athanor local`.
type LocalOptions struct {
	IO *IOStreams

	Addr         string
	AllowRemote  bool
	DataFile     string
	FixturesFile string
	SeedFixtures bool
	Verbose      bool

	// Server holds everything else that goes to localcc.New; the flags
	// fill it in directly.
	Server localcc.Options
}

// NewCmdLocal builds `athanor local`. runF replaces the run step in tests;
// nil runs the endpoint until ctx ends.
func NewCmdLocal(f *Factory, runF func(context.Context, *LocalOptions) error) *cobra.Command {
	opts := &LocalOptions{IO: f.IOStreams}
	lf := newLocalFlags(f)
	cmd := &cobra.Command{
		Use:     "local",
		Short:   "Run a local Cloud Control endpoint in the foreground",
		Long:    localLong,
		Example: localExample,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := lf.fill(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runLocal(cmd.Context(), opts)
		},
	}
	lf.register(cmd, opts)
	return cmd
}

const localLong = `Run a local Cloud Control endpoint in the foreground until interrupted.

It speaks Cloud Control's wire protocol, so the AWS CLI and SDKs work against
it unchanged: every type with a CloudFormation schema can be created, read,
updated, listed and deleted. Mutations complete asynchronously after a
latency (default 50ms..200ms); poll get-resource-request-status as on AWS.

The first line printed is "listening on http://ADDR", with the real address,
so --addr 127.0.0.1:0 reports the port chosen. Resources live in memory
unless --data names a file, which is written shortly after each change and
on exit. The built-in fixtures (VPCs vpc-12345678, vpc-87654321,
vpc-11223344, subnet-12345678, eni-12345678, S3 buckets, log groups and IAM
roles the examples refer to) are loaded unless --seed-fixtures=false.

Many accounts and regions: each call lands in the region of its SigV4
signature and the account of its credentials. Plain access keys act in
--account, or in the account a 12-digit access key names; credentials from
the endpoint's STS act in their role's account. STS AssumeRole and
GetCallerIdentity are served on the same address (export
AWS_ENDPOINT_URL_STS too): AssumeRole issues credentials only for an
AWS::IAM::Role of the target account whose trust policy admits the caller.
Fixtures may name an "account" and a "region".

--org generates an organisation with --account as its management account:
member accounts 200000000001, 200000000002, ... (the first is the log-archive
account), each with an OrganizationAccountAccessRole the management account
may assume, the AWS::Organizations::Account of each (listed from the
management account), VPCS VPCs in every account and region, and the COVERED
fraction of them already watched by a flow log to the central bucket
org-flow-logs-200000000001 (made "by others"). suspended=N and closing=N make
the last members SUSPENDED and PENDING_CLOSURE: listed like the others, their
Status read only through GetResource as on AWS, and STS refuses their roles
with AccessDenied. --seed makes it repeatable; the same seed gives the same
VPC IDs.

Any well-formed SigV4 signature with plain keys is accepted unless
--credentials is set; assumed-role credentials are always checked.
The endpoint also serves /_athanor/health and /_athanor/metrics (calls and
throttling per account and region under "scopes", and per caller, such as
an assumed role's session, under each scope's "callers").`

const localExample = `  athanor local
  athanor local --data .athanor/local.json --latency AWS::EC2::FlowLog=3s..12s
  athanor local --addr 127.0.0.1:0 --latency 0s --seed 1
  athanor local --throttle 5:10 --fail-handlers 0.1:Throttling --drop 0.01
  athanor local --account 111111111111 --regions us-east-1,eu-west-1 --fixtures org.json --throttle-scope 222222222222/eu-west-1=2
  athanor local --account 111111111111 --org accounts=20,regions=us-east-1+eu-west-1,vpcs=12,covered=0.1 --seed 1
  athanor local --account 111111111111 --org accounts=5,regions=us-east-1,vpcs=2,covered=0,suspended=1,closing=1`

// localFlags are the flags of `athanor local` whose values need parsing
// or checking before they go into LocalOptions.
type localFlags struct {
	latency  *latencyFlag
	throttle *throttleFlag
	scoped   *scopeThrottleFlag
	failSrv  rateFlag
	failHand *handlerFaultFlag
	drop     rateFlag
	creds    *credentialsFlag
	org      *orgFlag
}

func newLocalFlags(f *Factory) *localFlags {
	return &localFlags{
		latency:  &latencyFlag{schemas: f.Schemas},
		throttle: &throttleFlag{},
		scoped:   &scopeThrottleFlag{},
		failHand: &handlerFaultFlag{},
		creds:    &credentialsFlag{},
		org:      &orgFlag{},
	}
}

// register defines the flags, in the order --help lists them.
func (lf *localFlags) register(cmd *cobra.Command, opts *LocalOptions) {
	fl := cmd.Flags()
	fl.StringVar(&opts.Addr, "addr", "127.0.0.1:4566", "`HOST:PORT` to listen on; port 0 picks a free one")
	fl.BoolVar(&opts.AllowRemote, "allow-remote", false, "allow an --addr that is not loopback")
	fl.StringVar(&opts.DataFile, "data", "", "keep resources across restarts in `FILE` (default: memory only)")
	fl.StringVar(&opts.FixturesFile, "fixtures", "", "also load resources from a JSON fixtures `FILE`: {\"resources\": [{\"type\": ..., \"properties\": {...}}]}")
	fl.BoolVar(&opts.SeedFixtures, "seed-fixtures", true, "load the built-in fixtures the examples refer to")
	fl.Var(lf.latency, "latency", "how long mutations take: TYPE=MIN..MAX for one type, or MIN..MAX for all (repeatable)")
	fl.Var(lf.throttle, "throttle", "answer calls beyond RPS per second (burst BURST) in each account and region with ThrottlingException")
	fl.Var(lf.scoped, "throttle-scope", "throttle one account and region alone, overriding --throttle there (repeatable)")
	fl.Var(lf.org, "org", "start with a generated organisation: member accounts, their roles, VPCs per account and region, a covered fraction (see above)")
	fl.StringSliceVar(&opts.Server.Regions, "regions", nil, "serve only these `REGIONS` (comma-separated); calls signed for others are refused (default: any)")
	fl.Var(&lf.failSrv, "fail-server", "answer this fraction of calls with HTTP 500 InternalFailure")
	fl.Var(lf.failHand, "fail-handlers", "end this fraction of mutations FAILED with CODE (default ServiceInternalError)")
	fl.Var(&lf.drop, "drop", "close this fraction of connections without an answer")
	fl.Var(lf.creds, "credentials", "check SigV4 signatures against this access key pair")
	fl.StringVar(&opts.Server.Region, "region", "us-east-1", "`REGION` of fixtures that name none")
	fl.StringVar(&opts.Server.Account, "account", "123456789012", "`ACCOUNT` of plain access keys and of fixtures that name none")
	fl.BoolVar(&opts.Server.LateCancel, "late-cancel", false, "let cancelled requests finish their work before they end CANCEL_COMPLETE, as a real handler past the point of no return does")
	fl.DurationVar(&opts.Server.RetryAfter, "retry-after", 0, "make unfinished requests' events carry RetryAfter this far ahead (0: none, as usual on AWS)")
	fl.Uint64Var(&opts.Server.Seed, "seed", 0, "make identifiers and latencies repeatable with seed `N` (0: random)")
	fl.BoolVar(&opts.Verbose, "verbose", false, "log every API call to stderr")
}

// fill checks the parsed flags, reporting every mistake at once, and puts
// their values into opts.Server.
func (lf *localFlags) fill(opts *LocalOptions) error {
	var errs cmdutil.Mistakes
	if !opts.AllowRemote {
		if err := checkLoopback(opts.Addr); err != nil {
			errs = append(errs, err)
		}
	}
	if !accountRE.MatchString(opts.Server.Account) {
		errs = append(errs, fmt.Errorf("--account %q: expected a 12-digit AWS account ID, like 123456789012", opts.Server.Account))
	}
	if !regionRE.MatchString(opts.Server.Region) {
		errs = append(errs, fmt.Errorf("--region %q: expected a region name, like us-east-1", opts.Server.Region))
	}
	for _, r := range opts.Server.Regions {
		if !regionRE.MatchString(r) {
			errs = append(errs, fmt.Errorf("--regions %q: expected region names, like us-east-1,eu-west-1", r))
		}
	}
	if len(errs) > 0 {
		return &UsageError{Err: errs}
	}
	opts.Server.Latency = lf.latency.m
	opts.Server.ThrottleRPS, opts.Server.ThrottleBurst = lf.throttle.rps, lf.throttle.burst
	opts.Server.ScopeThrottle = lf.scoped.m
	opts.Server.Org = lf.org.org
	opts.Server.Faults = localcc.Faults{
		ServerErrors:    float64(lf.failSrv),
		HandlerFailures: lf.failHand.rate,
		HandlerCode:     lf.failHand.code,
		Drops:           float64(lf.drop),
	}
	opts.Server.Credentials = lf.creds.creds
	opts.Server.DataFile = opts.DataFile
	return nil
}

// runLocal serves the endpoint until ctx ends, then closes it, which saves
// the data file.
func runLocal(ctx context.Context, opts *LocalOptions) error {
	level := slog.LevelWarn // save failures and the like are always shown
	if opts.Verbose {
		level = slog.LevelDebug
	}
	opts.Server.Logger = slog.New(slog.NewTextHandler(opts.IO.Err, &slog.HandlerOptions{Level: level}))

	var fixtures []localcc.Fixture
	if opts.SeedFixtures {
		fixtures = append(fixtures, localcc.SeedFixtures()...)
	}
	if opts.FixturesFile != "" {
		fx, err := localcc.LoadFixtures(opts.FixturesFile)
		if err != nil {
			return fmt.Errorf("--fixtures: %w", err)
		}
		fixtures = append(fixtures, fx...)
	}
	opts.Server.Fixtures = fixtures

	srv, err := localcc.New(opts.Server)
	if err != nil {
		return fmt.Errorf("starting the local endpoint: %w", err)
	}
	if err := srv.Listen(opts.Addr); err != nil {
		closeErr := srv.Close()
		if closeErr != nil {
			return fmt.Errorf("starting the local endpoint: %w; additionally, closing: %v", err, closeErr)
		}
		return fmt.Errorf("starting the local endpoint: %w", err)
	}
	url := srv.URL()
	out := opts.IO.Out
	fmt.Fprintf(out, "listening on %s\n", url)
	fmt.Fprintf(out, "point clients at it: export AWS_ENDPOINT_URL_CLOUDCONTROL=%s AWS_ENDPOINT_URL_STS=%s, or aws cloudcontrol --endpoint-url %s ...\n", url, url, url)

	<-ctx.Done()

	if err := srv.Close(); err != nil {
		return fmt.Errorf("stopping the local endpoint: %w", err)
	}
	printStopped(out, opts.DataFile)
	return nil
}

func printStopped(w io.Writer, dataFile string) {
	if dataFile != "" {
		fmt.Fprintf(w, "stopped; data saved to %s\n", dataFile)
		return
	}
	fmt.Fprintln(w, "stopped")
}
