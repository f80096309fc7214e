package athanor_test

import (
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/localcc"
)

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
