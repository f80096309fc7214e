package athanor_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
)

// A mistyped command or flag of a program says what was meant and where
// the usage is, and exits 2.
func TestProgramUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plna"}, "flowlogs: unknown command \"plna\" for \"flowlogs\"; did you mean \"plan\"?\nRun 'flowlogs --help' for usage.\n"},
		{[]string{"--locall"}, "flowlogs: unknown flag: --locall\nRun 'flowlogs --help' for usage.\n"},
	} {
		var out, errOut bytes.Buffer
		code := athanor.Main(context.Background(), "flowlogs", tc.args, &out, &errOut, func(*athanor.App) error { return nil })
		if code != athanor.ExitUsage || errOut.String() != tc.want {
			t.Errorf("%v: exit %d, stderr %q; want exit 2, %q", tc.args, code, errOut.String(), tc.want)
		}
	}
}

// A create that finds the resource already there says how to take it over.
func TestAlreadyExistsSaysHowToAdopt(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	p := seedProps()["vpcFlowLog"]
	e.createDirectly("AWS::EC2::FlowLog", p, "")
	code, out := e.run(programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, nil))
	if code != 1 || !strings.Contains(out, "AlreadyExists") || !strings.Contains(out, "run again with --adopt") {
		t.Fatalf("up over an existing flow log: exit %d\n%s", code, out)
	}
}

// A mistyped type name for a resource in state is reported as unknown,
// without the advice to rename or forget the resource, which would have
// it deleted.
func TestMistypedTypeOfAResourceInState(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := func(typ string) func(*athanor.App) error {
		return func(app *athanor.App) error {
			_, err := app.Resource(typ, "flowLogs", map[string]any{"LogGroupName": "typo-test"})
			return err
		}
	}
	if code, out := e.run(prog("AWS::Logs::LogGroup")); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	code, out := e.run(prog("AWS::Logs::Loggroup"), "plan")
	if code != 1 || !strings.Contains(out, `did you mean "AWS::Logs::LogGroup"?`) || strings.Contains(out, "cannot change type") {
		t.Fatalf("plan with a mistyped type: exit %d\n%s", code, out)
	}
}

// Destroying a stage with nothing in it says so.
func TestDestroyEmptyStage(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	code, out := e.run(func(*athanor.App) error { return nil }, "destroy")
	if code != 0 || !strings.Contains(out, "Destroy complete: nothing to delete") {
		t.Fatalf("destroy of an empty stage: exit %d\n%s", code, out)
	}
}
