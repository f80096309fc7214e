package athanor_test

import (
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/logs"
	"github.com/athanor-iac/athanor/localcc"
)

// Taking apart a value known only after apply panicked while planning and
// ended the run with the runtime's exit code 2, like a usage error. Now
// the run fails (exit 1), naming the declaration before the panic and the
// placeholder involved; after an apply the same code works.
func TestPanicWhilePlanningIsReported(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := func(app *athanor.App) error {
		lg, err := logs.LogGroup(app, "lg", logs.LogGroupProps{LogGroupName: "panic-group"})
		if err != nil {
			return err
		}
		app.Log("region %s", strings.Split(lg.Arn, ":")[3])
		return nil
	}
	for _, args := range [][]string{{"plan"}, {"up"}} {
		code, out := e.runWithin(prog, args...)
		if code != athanor.ExitError || !strings.Contains(out, `the program panicked after declaring "lg" at `) ||
			!strings.Contains(out, "index out of range [3]") || !strings.Contains(out, "lg.Arn is known only after apply") ||
			!strings.Contains(out, "panic_test.go:") {
			t.Fatalf("%v: exit %d\n%s", args, code, out)
		}
	}
	// In a function started with Go too.
	code, out := e.runWithin(func(app *athanor.App) error {
		app.Go(func() error { return prog(app) })
		return nil
	}, "plan")
	if code != athanor.ExitError || !strings.Contains(out, "lg.Arn is known only after apply") {
		t.Fatalf("in a Go function: exit %d\n%s", code, out)
	}
}
