package cli

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/localcc"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines to write
// while a test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// run executes athanor with args and returns the exit status and streams.
func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut syncBuffer
	code = Execute(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		out     string // substring of stdout
		errText string // substring of stderr
	}{
		{"help", []string{"--help"}, 0, "Available Commands", ""},
		{"no args shows help", nil, 0, "Usage:", ""},
		{"version", []string{"--version"}, 0, "athanor ", ""},
		{"version command", []string{"version"}, 0, "\ncommit ", ""},
		{"version takes no args", []string{"version", "now"}, 2, "", "athanor: "},
		{"subcommand help", []string{"local", "--help"}, 0, "--latency", ""},
		{"completion", []string{"completion", "bash"}, 0, "bash completion", ""},
		{"unknown command", []string{"lcoal"}, 2, "", `athanor: unknown command "lcoal" for "athanor"; did you mean "local"?`},
		{"unknown flag", []string{"schema", "--nope"}, 2, "", "athanor: unknown flag: --nope\nRun 'athanor schema --help' for usage."},
		{"wrong arg count", []string{"validate", "AWS::EC2::FlowLog"}, 2, "", "validate needs TYPE and FILE"},
		{"cobra arg check is a usage error", []string{"completion", "bash", "extra"}, 2, "", "athanor: "},
		{"local takes no args", []string{"local", "extra"}, 2, "", "athanor: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, "", tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out, tc.out) {
				t.Errorf("stdout lacks %q:\n%s", tc.out, out)
			}
			if !strings.Contains(errOut, tc.errText) {
				t.Errorf("stderr lacks %q:\n%s", tc.errText, errOut)
			}
			if tc.code == 0 && errOut != "" {
				t.Errorf("unexpected stderr: %s", errOut)
			}
		})
	}
}

// TestLocalFlagsParse checks flag parsing alone, through runF, as cli/cli's
// pattern intends.
func TestLocalFlagsParse(t *testing.T) {
	var got *LocalOptions
	streams := &IOStreams{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}
	f := NewFactory(streams)
	local := func(f *Factory) *cobra.Command {
		return NewCmdLocal(f, func(_ context.Context, o *LocalOptions) error { got = o; return nil })
	}
	code := ExecuteWith(context.Background(), f, []string{"local",
		"--addr", "127.0.0.1:0", "--latency", "AWS::EC2::FlowLog=3s..12s", "--latency", "1s",
		"--throttle", "10:20", "--fail-server", "0.01", "--fail-handlers", "0.1:Throttling",
		"--drop", "0.02", "--credentials", "AKID:secret", "--seed", "7", "--seed-fixtures=false",
		"--late-cancel", "--retry-after", "2s",
		"--regions", "us-east-1,eu-west-1", "--throttle-scope", "222222222222/eu-west-1=2:4",
		"--org", "accounts=20,regions=us-east-1+eu-west-1,vpcs=12,covered=0.1",
	}, local)
	if code != 0 || got == nil {
		t.Fatalf("exit %d, options %v", code, got)
	}
	s := got.Server
	if r := s.Latency["AWS::EC2::FlowLog"]; r.Min.String() != "3s" || r.Max.String() != "12s" {
		t.Errorf("flow log latency %v", r)
	}
	if r := s.Latency["*"]; r.Min.String() != "1s" || r.Max.String() != "1s" {
		t.Errorf("default latency %v", r)
	}
	if s.ThrottleRPS != 10 || s.ThrottleBurst != 20 {
		t.Errorf("throttle %v:%v", s.ThrottleRPS, s.ThrottleBurst)
	}
	if s.Faults.ServerErrors != 0.01 || s.Faults.HandlerFailures != 0.1 || s.Faults.HandlerCode != "Throttling" || s.Faults.Drops != 0.02 {
		t.Errorf("faults %+v", s.Faults)
	}
	if s.Credentials == nil || s.Credentials.AccessKeyID != "AKID" || s.Credentials.SecretAccessKey != "secret" {
		t.Errorf("credentials %+v", s.Credentials)
	}
	if !s.LateCancel || s.RetryAfter.String() != "2s" {
		t.Errorf("late cancel %v, retry after %v", s.LateCancel, s.RetryAfter)
	}
	if len(s.Regions) != 2 || s.Regions[1] != "eu-west-1" {
		t.Errorf("regions %v", s.Regions)
	}
	if th := s.ScopeThrottle[localcc.Scope{Account: "222222222222", Region: "eu-west-1"}]; th.RPS != 2 || th.Burst != 4 {
		t.Errorf("scope throttle %v", s.ScopeThrottle)
	}
	if o := s.Org; o == nil || o.Accounts != 20 || len(o.Regions) != 2 || o.VPCs != 12 || o.Covered != 0.1 {
		t.Errorf("org %+v", o)
	}
	if s.Seed != 7 || got.SeedFixtures || s.Region != "us-east-1" || s.Account != "123456789012" {
		t.Errorf("seed %d, seed fixtures %v, region %q, account %q", s.Seed, got.SeedFixtures, s.Region, s.Account)
	}
}

func TestLocalBadFlagValues(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--throttle", "abc"}, `invalid argument "abc" for "--throttle" flag: expected RPS[:BURST]`},
		{[]string{"--throttle", "5:x"}, `"--throttle"`},
		{[]string{"--latency", "fast"}, `"--latency" flag`},
		{[]string{"--latency", "AWS::EC2::Flowlog=1s"}, `did you mean "AWS::EC2::FlowLog"?`},
		{[]string{"--fail-server", "2"}, `"--fail-server" flag: expected a RATE between 0 and 1`},
		{[]string{"--fail-handlers", "0.1:Throttled"}, `did you mean "Throttling"?`},
		{[]string{"--drop", "-1"}, `"--drop" flag`},
		{[]string{"--credentials", "nosecret"}, `expected KEY:SECRET`},
		{[]string{"--seed", "x"}, `"--seed" flag`},
		{[]string{"--account", "42"}, `--account "42": expected a 12-digit`},
		{[]string{"--regions", "us-east-1,Europe"}, `--regions "Europe": expected region names`},
		{[]string{"--throttle-scope", "2222/eu-west-1=2"}, `"--throttle-scope" flag: expected ACCOUNT/REGION=RPS[:BURST]`},
		{[]string{"--throttle-scope", "222222222222/eu-west-1=fast"}, `expected RPS[:BURST]`},
		{[]string{"--org", "accounts=0,vpcs=x"}, `"--org" flag: accounts=0: need at least 1; vpcs=x`},
		{[]string{"--addr", "nocolon"}, `expected HOST:PORT`},
		{[]string{"--addr", "0.0.0.0:4566"}, "not a loopback address"},
		{[]string{"--addr", ":4566"}, "listens on every interface"},
		{[]string{"--addr", "192.168.1.1:4566"}, "--allow-remote"},
		// Every mistake the values' checks find is reported at once.
		{[]string{"--addr", ":4566", "--account", "42", "--region", "Europe", "--regions", "x"},
			"4 mistakes on the command line:\n  --addr :4566 listens on every interface"},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, errOut := run(t, "", append([]string{"local"}, tc.args...)...)
			if code != 2 {
				t.Fatalf("exit %d, want 2; stderr: %s", code, errOut)
			}
			if !strings.HasPrefix(errOut, "athanor: ") || !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, errOut)
			}
		})
	}
}
