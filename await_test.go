package athanor_test

import (
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/localcc"
)

// runWithin runs program and fails the test if it has not returned by the
// time a hang is certain; the happy path never waits on the timer.
func (e *env) runWithin(program func(*athanor.App) error, args ...string) (int, string) {
	e.t.Helper()
	type result struct {
		code int
		out  string
	}
	done := make(chan result, 1)
	go func() {
		code, out := e.run(program, args...)
		done <- result{code, out}
	}()
	select {
	case r := <-done:
		return r.code, r.out
	case <-time.After(60 * time.Second):
		e.t.Fatal("the run hangs")
		return 0, ""
	}
}

// Two functions that each wait for the resource the other declares hung
// the run with no output. Now the run stops as soon as both wait, and
// names what they wait for.
func TestAwaitCycleStopsTheRun(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := func(app *athanor.App) error {
		app.Go(func() error {
			vpc, err := app.Await("vpc")
			if err != nil {
				return err
			}
			_, err = app.Resource("AWS::EC2::Subnet", "subnet", map[string]any{"VpcId": vpc.String("VpcId"), "CidrBlock": "10.40.1.0/24"})
			return err
		})
		app.Go(func() error {
			if _, err := app.Await("subnet"); err != nil {
				return err
			}
			_, err := app.Resource("AWS::EC2::VPC", "vpc", map[string]any{"CidrBlock": "10.40.0.0/16"})
			return err
		})
		return nil
	}
	for _, cmd := range []string{"plan", "up"} {
		code, out := e.runWithin(prog, cmd)
		if code != athanor.ExitError || !strings.Contains(out, `they wait for "subnet", "vpc", which no running function declares`) {
			t.Fatalf("%s: exit %d\n%s", cmd, code, out)
		}
	}
}

// The main function waiting for a resource nobody declares is stopped
// too, once the functions that might declare it have returned.
func TestAwaitNeverDeclared(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := func(app *athanor.App) error {
		app.Go(func() error {
			_, err := app.Resource("AWS::EC2::VPC", "vpc", map[string]any{"CidrBlock": "10.41.0.0/16"})
			return err
		})
		_, err := app.Await("vpcc")
		return err
	}
	code, out := e.runWithin(prog, "plan")
	if code != athanor.ExitError || !strings.Contains(out, `they wait for "vpcc"`) {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// A function waiting for another's resource gets it, even with one slot:
// a waiting function lends its slot to the one it waits for. The
// dependency through the awaited value is recorded.
func TestAwaitReturnsTheDeclaration(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	var vpcID, subnetVpc string
	prog := func(app *athanor.App) error {
		app.Go(func() error {
			vpc, err := app.Await("vpc")
			if err != nil {
				return err
			}
			s, err := app.Resource("AWS::EC2::Subnet", "subnet", map[string]any{"VpcId": vpc.String("VpcId"), "CidrBlock": "10.42.1.0/24"})
			if err == nil && !app.Planning() {
				vpcID, subnetVpc = vpc.String("VpcId"), s.String("VpcId")
			}
			return err
		})
		app.Go(func() error {
			_, err := app.Resource("AWS::EC2::VPC", "vpc", map[string]any{"CidrBlock": "10.42.0.0/16"})
			return err
		})
		return nil
	}
	code, out := e.runWithin(prog, "--parallelism", "1")
	if code != 0 || vpcID == "" || subnetVpc != vpcID {
		t.Fatalf("exit %d, vpc %q, subnet's vpc %q\n%s", code, vpcID, subnetVpc, out)
	}
	// Destroy deletes the subnet before its VPC: the dependency is known.
	if code, out := e.runWithin(prog, "destroy", "--yes"); code != 0 {
		t.Fatalf("destroy: exit %d\n%s", code, out)
	}
}

// More functions wait than may run at once (256): waiting ones lend their
// slots, so the function they wait for, queued behind them, still runs.
func TestAwaitLendsSlots(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := func(app *athanor.App) error {
		gate := make(chan struct{})
		for range 300 {
			app.Go(func() error {
				<-gate
				_, err := app.Await("vpc")
				return err
			})
		}
		// Every slot is taken, by functions that cannot return before
		// it runs: the declaring function is queued.
		app.Go(func() error {
			_, err := app.Resource("AWS::EC2::VPC", "vpc", map[string]any{"CidrBlock": "10.43.0.0/16"})
			return err
		})
		close(gate)
		return nil
	}
	if code, out := e.runWithin(prog, "plan"); code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
}
