package athanor_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/localcc"
)

// runSplit runs program with args (no --yes added) against the endpoint
// and returns the exit code, standard output and standard error apart.
func (e *env) runSplit(program func(*athanor.App) error, args ...string) (int, string, string) {
	e.t.Helper()
	var out, errOut bytes.Buffer
	args = append(args, "--endpoint", e.srv.URL(), "--state", e.state, "--stage", "test")
	code := athanor.Main(context.Background(), "flowlogs", args, &out, &errOut, program)
	return code, out.String(), errOut.String()
}

// confirmGroups counts the log groups logGroups declares that exist.
func (e *env) confirmGroups() int {
	n := 0
	for _, r := range e.srv.Resources("AWS::Logs::LogGroup") {
		if strings.HasPrefix(r.Identifier, "confirm-") {
			n++
		}
	}
	return n
}

// `program destroy --endpoint URL | head` used to delete everything: with
// no terminal to ask on, up and destroy went ahead without --yes. Now they
// print the plan, change nothing and exit 2 with an error naming --yes.
func TestNoTerminalChangesNothingWithoutYes(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := logGroups("a", "confirm-a", "b", "confirm-b")

	code, out, errOut := e.runSplit(prog, "up")
	if code != athanor.ExitUsage || !strings.Contains(out, "+ a (AWS::Logs::LogGroup): create") || !strings.Contains(out, `LogGroupName: "confirm-a"`) ||
		!strings.Contains(errOut, "nothing was changed") || !strings.Contains(errOut, "add --yes") || strings.Contains(errOut, "--help") {
		t.Fatalf("up without a terminal or --yes: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if n := e.confirmGroups(); n != 0 {
		t.Fatalf("%d log groups created without --yes", n)
	}

	if code, out := e.run(prog); code != 0 || e.confirmGroups() != 2 {
		t.Fatalf("up --yes: exit %d\n%s", code, out)
	}
	// Nothing to change: nothing to confirm.
	if code, out, errOut := e.runSplit(prog, "up"); code != 0 || !strings.Contains(out, "no changes") {
		t.Fatalf("up with no changes, no --yes: exit %d\n%s%s", code, out, errOut)
	}

	code, out, errOut = e.runSplit(prog, "destroy")
	if code != athanor.ExitUsage || !strings.Contains(out, "- a (AWS::Logs::LogGroup)") || !strings.Contains(errOut, "add --yes") {
		t.Fatalf("destroy without a terminal or --yes: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if n := e.confirmGroups(); n != 2 {
		t.Fatalf("destroy without --yes left %d of 2 log groups", n)
	}
	if code, out, errOut := e.runSplit(prog, "destroy", "--yes"); code != 0 || e.confirmGroups() != 0 {
		t.Fatalf("destroy --yes: exit %d\n%s%s", code, out, errOut)
	}
}

// The embedded local endpoint changes nothing real, so --local never asks.
func TestLocalNeedsNoYes(t *testing.T) {
	newEnv(t, localcc.Options{}) // credentials and region for the SDK
	t.Chdir(t.TempDir())
	var out bytes.Buffer
	if code := athanor.Main(context.Background(), "flowlogs", []string{"--local", "--stage", "test"}, &out, &out, logGroups("a", "confirm-a")); code != 0 || !strings.Contains(out.String(), "1 created") {
		t.Fatalf("up --local without --yes: exit %d\n%s", code, out.String())
	}
	out.Reset()
	if code := athanor.Main(context.Background(), "flowlogs", []string{"destroy", "--local", "--stage", "test"}, &out, &out, logGroups("a", "confirm-a")); code != 0 || !strings.Contains(out.String(), "1 deleted") {
		t.Fatalf("destroy --local without --yes: exit %d\n%s", code, out.String())
	}
}

// A non-terminal up used to print progress lines but never the plan, so
// CI logs did not show what changed. Every up prints the plan, with its
// diffs, before the first change.
func TestUpPrintsThePlanBeforeApplying(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	code, out := e.run(logGroups("a", "confirm-a"))
	plan := strings.Index(out, "+ a (AWS::Logs::LogGroup): create")
	diff := strings.Index(out, `LogGroupName: "confirm-a"`)
	created := strings.Index(out, "a (AWS::Logs::LogGroup) created")
	if code != 0 || plan < 0 || diff < plan || created < diff || !strings.HasPrefix(out, "Plan for flowlogs, stage test: state "+e.state+", calls to "+e.srv.URL()+"\n") {
		t.Fatalf("up --yes: exit %d; want the plan with its diffs first, then the changes:\n%s", code, out)
	}
}

// Summaries count only what happened: a destroy says "2 deleted", not
// "0 created, 0 updated, 0 replaced, 2 deleted".
func TestSummariesShowOnlyNonZeroCounts(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	if code, out := e.run(logGroups("a", "confirm-a", "b", "confirm-b")); code != 0 || !strings.Contains(out, "Apply complete: 2 created (") || !strings.Contains(out, "Plan: 2 to create.\n") {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	code, out := e.run(logGroups("a", "confirm-a", "b", "confirm-b"), "destroy")
	if code != 0 || !strings.Contains(out, "Destroy complete: 2 deleted (") || strings.Contains(out, "0 created") || !strings.Contains(out, "Plan: 2 to delete.\n") {
		t.Fatalf("destroy: exit %d\n%s", code, out)
	}
}
