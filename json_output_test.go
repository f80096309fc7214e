package athanor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/aws/ec2"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/internal/cli"
	"github.com/athanor-iac/athanor/localcc"
)

// decodeOne decodes s as exactly one JSON document and nothing else.
func decodeOne(t *testing.T, s string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, s)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON document:\n%s", s)
	}
}

// refresh --local --json used to print "using the local Cloud Control
// endpoint" on standard output before the JSON. Notices go to standard
// error; standard output is the document alone, with its formatVersion.
func TestJSONIsAloneOnStdout(t *testing.T) {
	newEnv(t, localcc.Options{})
	t.Chdir(t.TempDir())
	prog := logGroups("a")
	main := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := athanor.Main(context.Background(), "flowlogs", append(args, "--local", "--stage", "test"), &out, &errOut, prog)
		return code, out.String(), errOut.String()
	}
	if code, out, errOut := main(); code != 0 {
		t.Fatalf("up: exit %d\n%s%s", code, out, errOut)
	}
	for _, cmd := range []string{"refresh", "plan"} {
		code, out, errOut := main(cmd, "--json")
		var doc struct {
			FormatVersion int `json:"formatVersion"`
			Target        struct {
				Local bool   `json:"local"`
				State string `json:"state"`
			} `json:"target"`
		}
		decodeOne(t, out, &doc)
		if code != 0 || doc.FormatVersion != 1 || !doc.Target.Local || !strings.HasSuffix(doc.Target.State, ".athanor") || !strings.Contains(errOut, "using the local Cloud Control endpoint") {
			t.Errorf("%s --json: exit %d\nstdout:\n%s\nstderr:\n%s", cmd, code, out, errOut)
		}
	}
}

// With --json, a failure is a JSON error object on standard output too,
// with the exit code it would have without --json.
func TestJSONErrors(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	bad := func(app *athanor.App) error {
		_, err := app.Resource("AWS::EC2::FlowLog", "fl", map[string]any{"ResourceType": "VPC"})
		return err
	}
	type errorDoc struct {
		FormatVersion int `json:"formatVersion"`
		Error         struct {
			Message  string `json:"message"`
			ExitCode int    `json:"exitCode"`
			Problems []struct {
				LogicalID string `json:"logicalId"`
				Message   string `json:"message"`
			} `json:"problems"`
		} `json:"error"`
	}
	code, out, errOut := e.runSplit(bad, "plan", "--json")
	var doc errorDoc
	decodeOne(t, out, &doc)
	if code != athanor.ExitError || doc.FormatVersion != 1 || doc.Error.ExitCode != 1 || len(doc.Error.Problems) == 0 || doc.Error.Problems[0].LogicalID != "fl" || !strings.Contains(errOut, "problem") {
		t.Errorf("plan --json of an invalid program: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	code, out, _ = e.runSplit(bad, "plan", "--json", "--parallelism", "0")
	doc = errorDoc{}
	decodeOne(t, out, &doc)
	if code != athanor.ExitUsage || doc.Error.ExitCode != 2 || !strings.Contains(doc.Error.Message, "--parallelism 0") {
		t.Errorf("plan --json --parallelism 0: exit %d\n%s", code, out)
	}
	code, out, _ = e.runSplit(bad, "plan", "--json", "--no-such-flag")
	doc = errorDoc{}
	decodeOne(t, out, &doc)
	if code != athanor.ExitUsage || !strings.Contains(doc.Error.Message, "unknown flag: --no-such-flag") {
		t.Errorf("plan --json --no-such-flag: exit %d\n%s", code, out)
	}
}

// athanor import --json prints the record it wrote as one document with a
// formatVersion.
func TestImportJSON(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	id := e.createDirectly("AWS::EC2::FlowLog", seedProps()["vpcFlowLog"], "")
	var out, errOut bytes.Buffer
	code := cli.Execute(context.Background(), []string{"import", "AWS::EC2::FlowLog", id, "--as", "vpcFlowLog", "--json",
		"--endpoint", e.srv.URL(), "--state", e.state, "--stage", "test", "--app", "flowlogs"}, nil, &out, &errOut)
	var doc struct {
		FormatVersion int    `json:"formatVersion"`
		App           string `json:"app"`
		Record        struct {
			LogicalID  string `json:"logicalId"`
			Identifier string `json:"identifier"`
		} `json:"record"`
	}
	decodeOne(t, out.String(), &doc)
	if code != 0 || doc.FormatVersion != 1 || doc.App != "flowlogs" || doc.Record.LogicalID != "vpcFlowLog" || doc.Record.Identifier != id {
		t.Fatalf("import --json: exit %d\n%s%s", code, out.String(), errOut.String())
	}
}

// plan --json prints the plan as JSON alone on stdout, and
// --detailed-exitcode exits 2 while changes are pending, 0 once none are.
func TestPlanJSONAndDetailedExitCode(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": seedProps()["vpcFlowLog"]}, nil)
	code, out := e.run(prog, "plan", "--json", "--detailed-exitcode")
	if code != 2 {
		t.Fatalf("exit %d, want 2 (changes)\n%s", code, out)
	}
	var plan struct {
		FormatVersion int
		Changes       []struct {
			LogicalID, Type, Action string
		}
		Summary map[string]int
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("plan --json is not JSON: %v\n%s", err, out)
	}
	if plan.FormatVersion != 1 || len(plan.Changes) != 1 || plan.Changes[0].Action != "create" || plan.Summary["create"] != 1 {
		t.Fatalf("plan %+v", plan)
	}
	if code, out = e.run(prog); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	if code, out = e.run(prog, "plan", "--detailed-exitcode"); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("plan after up: exit %d\n%s", code, out)
	}
}
