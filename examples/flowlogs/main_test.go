package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/localcc"
)

// The README's quick start: `go run ./examples/flowlogs --local` on a fresh
// clone creates the four flow logs on the embedded endpoint, and a second
// run changes nothing.
func TestQuickStart(t *testing.T) {
	dir := t.TempDir()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chdir(wd) })
	t.Setenv("ATHANOR_STAGE", "quickstart")

	var out bytes.Buffer
	if code := athanor.Main(context.Background(), "flowlogs", []string{"--local"}, &out, &out, program); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "4 created") {
		t.Fatalf("first run did not create four flow logs:\n%s", out.String())
	}
	for _, id := range []string{"vpcFlowLog", "advancedFlowLog", "interfaceFlowLog", "crossAccountFlowLog"} {
		if !strings.Contains(out.String(), id+" is fl-") {
			t.Errorf("no flow log ID reported for %s", id)
		}
	}
	out.Reset()
	if code := athanor.Main(context.Background(), "flowlogs", []string{"--local"}, &out, &out, program); code != 0 || !strings.Contains(out.String(), "no changes; 4 resources up to date") {
		t.Fatalf("second run: exit %d\n%s", code, out.String())
	}

	// The local endpoint's data file holds exactly the four flow logs.
	srv, err := localcc.New(localcc.Options{DataFile: ".athanor/local/data.json"})
	if err != nil {
		t.Fatal(err)
	}
	n := len(srv.Resources("AWS::EC2::FlowLog"))
	srv.Close() // one endpoint per data file: the next run needs it
	if n != 4 {
		t.Fatalf("%d flow logs in the local endpoint's data, want 4", n)
	}

	out.Reset()
	if code := athanor.Main(context.Background(), "flowlogs", []string{"destroy", "--local"}, &out, &out, program); code != 0 || !strings.Contains(out.String(), "4 deleted") {
		t.Fatalf("destroy: exit %d\n%s", code, out.String())
	}
}
