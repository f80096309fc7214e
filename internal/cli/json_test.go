package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/state/statetest"
)

// oneDocument decodes stdout as exactly one JSON object and returns its
// top-level keys.
func oneDocument(t *testing.T, what, stdout string) map[string]json.RawMessage {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(stdout))
	var doc map[string]json.RawMessage
	if err := dec.Decode(&doc); err != nil || dec.More() {
		t.Fatalf("%s: stdout is not one JSON object (%v):\n%s", what, err, stdout)
	}
	return doc
}

// The JSON of validate, state list, state show and schema had no
// formatVersion (and list outputs were bare arrays, which cannot grow
// one). Every document is one object with formatVersion 1, alone on
// stdout.
func TestEveryJSONOutputHasAFormatVersion(t *testing.T) {
	url := fileURL(t)
	if err := openStage(t, url, "net", "prod").Put(context.Background(), statetest.Sample("FlowLog")); err != nil {
		t.Fatal(err)
	}
	st := []string{"--state", url, "--app", "net", "--stage", "prod"}
	for _, args := range [][]string{
		{"validate", "AWS::EC2::FlowLog", "-", "--json"},
		{"schema", "AWS::EC2::FlowLog", "--json"},
		{"schema", "--list", "AWS::EC2::F", "--json"},
		append([]string{"state", "list", "--json"}, st...),
		append([]string{"state", "show", "FlowLog"}, st...),
	} {
		code, out, errOut := run(t, `{"ResourceType":"VPC","ResourceId":"vpc-1","TrafficType":"ALL","LogDestinationType":"s3","LogDestination":"arn:aws:s3:::my-flow-logs"}`, args...)
		doc := oneDocument(t, strings.Join(args, " "), out)
		if code != 0 || string(doc["formatVersion"]) != "1" {
			t.Errorf("%v: exit %d, formatVersion %s\n%s%s", args, code, doc["formatVersion"], out, errOut)
		}
	}
}

// With --json a failure prints a JSON error object on stdout too, and
// exits with the code it has without --json.
func TestJSONErrorDocument(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"schema", "AWS::EC2::Flowlog", "--json"}, ExitError, `did you mean \"AWS::EC2::FlowLog\"?`},
		{[]string{"state", "list", "--json"}, ExitUsage, "--app is required"},
		{[]string{"state", "list", "--json", "--app", "a", "--state", "s3:/my-bucket/x"}, ExitUsage, "did you mean s3://my-bucket/x?"},
		{[]string{"schema", "--json", "--no-such-flag"}, ExitUsage, "unknown flag: --no-such-flag"},
		// state show prints JSON without --json, and so its errors too.
		{[]string{"state", "show", "nope", "--app", "a", "--state", fileURL(t)}, ExitError, `no record nope`},
		{[]string{"state", "show", "--app", "a"}, ExitUsage, "show needs the logical ID"},
	} {
		code, out, errOut := run(t, "", tc.args...)
		doc := oneDocument(t, strings.Join(tc.args, " "), out)
		var body struct {
			Message  string `json:"message"`
			ExitCode int    `json:"exitCode"`
		}
		json.Unmarshal(doc["error"], &body)
		if code != tc.code || string(doc["formatVersion"]) != "1" || body.ExitCode != tc.code || !strings.Contains(string(doc["error"]), tc.want) || !strings.Contains(errOut, "athanor: ") {
			t.Errorf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tc.args, code, tc.code, out, errOut)
		}
	}
	// Without --json, stdout stays empty.
	if code, out, _ := run(t, "", "schema", "AWS::EC2::Flowlog"); code != ExitError || out != "" {
		t.Errorf("schema of an unknown type without --json: exit %d, stdout %q", code, out)
	}
}

// athanor state refuses a malformed state URL instead of reading a folder
// named "s3:", and shows a file store's folder absolute.
func TestStateCommandChecksTheURL(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	code, out, errOut := run(t, "", "state", "list", "--app", "a", "--state", "s3:/my-bucket/x")
	if code != ExitUsage || out != "" || !strings.Contains(errOut, "Accepted forms: a folder path, or file://PATH") {
		t.Errorf("state list --state s3:/my-bucket/x: exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, "", "state", "list", "--app", "a", "--stage", "dev", "--state", "rel", "--json")
	var list StateList
	if json.Unmarshal([]byte(out), &list) != nil || code != 0 || list.State != filepath.Join(dir, "rel") || len(list.Records) != 0 {
		t.Errorf("state list --state rel --json: exit %d\n%s%s", code, out, errOut)
	}
}
