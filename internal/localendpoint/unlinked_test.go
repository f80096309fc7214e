package localendpoint_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/internal/cli/cmdutil"
	"github.com/athanor-iac/athanor/internal/cli/runner"
)

// A program links the local endpoint and the shared state backends only
// when it imports them. This test binary imports the runner and none of
// them, as such a program does: --local and an s3:// state are refused
// together, before anything is written, each with the import line to add.
func TestProgramWithoutTheImports(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	ran := false
	prog := func(context.Context, runner.Pass) (map[string]any, error) { ran = true; return nil, nil }
	var out, errOut bytes.Buffer
	code := runner.Main(context.Background(), "app", []string{"plan", "--local", "--state", "s3://bucket/x"}, &out, &errOut, prog)
	if code != cmdutil.ExitUsage || ran {
		t.Fatalf("exit %d (program ran: %v); want %d before the program runs\n%s", code, ran, cmdutil.ExitUsage, errOut.String())
	}
	for _, want := range []string{
		`--local: the local endpoint is not linked into this program: add import _ "github.com/athanor-iac/athanor/localcc" to it`,
		`the s3 backend is not linked into this program: add import _ "github.com/athanor-iac/athanor/state/s3store" to it`,
	} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut.String())
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused run left %v behind", entries)
	}
}
