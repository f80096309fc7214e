package athanor_test

import (
	"testing"
	"time"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/localcc"
)

// Functions started with app.Go may wait for each other, and start more,
// beyond --parallelism: only operations are bounded.
func TestGoFunctionsMayWaitForEachOther(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := func(app *athanor.App) error {
		vpcID := make(chan string, 1)
		app.Go(func() error { // waits for the VPC declared by the next one
			id := <-vpcID
			_, err := app.Resource("AWS::EC2::Subnet", "subnet", map[string]any{"VpcId": id, "CidrBlock": "10.40.1.0/24"})
			return err
		})
		app.Go(func() error {
			vpc, err := app.Resource("AWS::EC2::VPC", "vpc", map[string]any{"CidrBlock": "10.40.0.0/16"})
			if err != nil {
				close(vpcID)
				return err
			}
			vpcID <- vpc.String("VpcId")
			return nil
		})
		return nil
	}
	done := make(chan int, 1)
	go func() {
		code, out := e.run(prog, "--parallelism", "1")
		if code != 0 {
			t.Errorf("exit %d\n%s", code, out)
		}
		done <- code
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("deadlock: two functions waiting on each other with --parallelism 1")
	}
}
