package athanor_test

import (
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/logs"
	"github.com/athanor-iac/athanor/localcc"
)

// DependsOn on a logical ID the program never declares was accepted
// silently, ordering nothing. Now it is a problem of the plan: nothing is
// sent, and the message suggests the declared ID closest to it.
func TestDependsOnUndeclaredIsAPlanError(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := func(app *athanor.App) error {
		if _, err := logs.LogGroup(app, "network", logs.LogGroupProps{LogGroupName: "dep-network"}); err != nil {
			return err
		}
		_, err := logs.LogGroup(app, "app", logs.LogGroupProps{LogGroupName: "dep-app"}, athanor.DependsOn(&athanor.Resource{LogicalID: "netwrk"}))
		return err
	}
	for _, cmd := range []string{"plan", "up"} {
		code, out := e.run(prog, cmd)
		if code != athanor.ExitError || !strings.Contains(out, `app (AWS::Logs::LogGroup): DependsOn "netwrk": the program declares no resource with that logical ID; did you mean "network"?`) {
			t.Fatalf("%s: exit %d\n%s", cmd, code, out)
		}
	}
	if m := e.srv.Metrics(); m.TotalCalls != 0 {
		t.Fatalf("calls were made: %v", m.Calls)
	}
	// Declared later than the resource that depends on it is fine.
	ok := func(app *athanor.App) error {
		app.Go(func() error {
			_, err := logs.LogGroup(app, "app", logs.LogGroupProps{LogGroupName: "dep-app"}, athanor.DependsOn(&athanor.Resource{LogicalID: "network"}))
			return err
		})
		_, err := logs.LogGroup(app, "network", logs.LogGroupProps{LogGroupName: "dep-network"})
		return err
	}
	if code, out := e.run(ok, "plan"); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
}
