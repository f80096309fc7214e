package runner

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/internal/engine"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/localcc/localcctest"
)

// On a terminal, up shows the plan and asks; anything but "yes" changes
// nothing. --yes skips the question.
func TestUpAsksOnATerminal(t *testing.T) {
	localcctest.AWSEnv(t)
	srv, err := localcc.Start(localcc.Options{Latency: map[string]localcc.Range{"*": {}}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	prog := func(ctx context.Context, p Pass) (map[string]any, error) {
		_, err := p.Engine.Declare(ctx, engine.Declaration{LogicalID: "logs", Type: "AWS::Logs::LogGroup", Props: map[string]any{"LogGroupName": "confirm-test"}})
		return nil, err
	}
	args := []string{"--endpoint", srv.URL(), "--state", t.TempDir(), "--stage", "t"}
	run := func(answer string, extra ...string) (int, string) {
		var out bytes.Buffer
		code := mainWith(context.Background(), nil, "app", append(extra, args...), true, strings.NewReader(answer), &out, &out, prog)
		return code, out.String()
	}
	code, out := run("no\n")
	if code != 1 || !strings.Contains(out, "+ logs (AWS::Logs::LogGroup): create") || !strings.Contains(out, "Only 'yes' is accepted") || !strings.Contains(out, "cancelled; nothing was changed") {
		t.Fatalf("answer no: exit %d\n%s", code, out)
	}
	if n := len(srv.Resources("AWS::Logs::LogGroup")); n != 0 {
		t.Fatalf("%d log groups after answering no", n)
	}
	if code, out = run("yes\n"); code != 0 || len(srv.Resources("AWS::Logs::LogGroup")) != 1 {
		t.Fatalf("answer yes: exit %d\n%s", code, out)
	}
	// Nothing to change: no question.
	if code, out = run(""); code != 0 || strings.Contains(out, "Only 'yes'") {
		t.Fatalf("no changes: exit %d\n%s", code, out)
	}
	if code, out = run("", "destroy", "--yes"); code != 0 || len(srv.Resources("AWS::Logs::LogGroup")) != 0 {
		t.Fatalf("destroy --yes: exit %d\n%s", code, out)
	}
}
