package athanor_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
)

// A second run on a stage that is being applied fails fast and names the
// holder of the lock.
func TestConcurrentRunIsRefused(t *testing.T) {
	e := newEnv(t, localcc.Options{Latency: map[string]localcc.Range{"*": {Min: 2 * time.Second, Max: 2 * time.Second}}})
	decls := map[string]ec2.FlowLogProps{"vpcFlowLog": seedProps()["vpcFlowLog"]}
	firstDone := make(chan string)
	go func() {
		code, out := e.run(programOf(decls, nil))
		firstDone <- fmt.Sprintf("exit %d\n%s", code, out)
	}()
	// Wait until the first run holds the lock and has submitted its create.
	deadline := time.Now().Add(10 * time.Second)
	for e.srv.Metrics().Calls["CreateResource"] == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the first run never submitted its create")
		}
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	code, out := e.run(programOf(decls, nil))
	if code != 1 || !strings.Contains(out, "locked by") || !strings.Contains(out, fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
	if time.Since(start) > time.Second {
		t.Fatalf("the refused run took %s; it should fail fast", time.Since(start))
	}
	if res := <-firstDone; !strings.HasPrefix(res, "exit 0") {
		t.Fatalf("first run: %s", res)
	}
}
