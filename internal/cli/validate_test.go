package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The seed's advanced example as written.
const seedAdvanced = `{
  "ResourceId": "vpc-87654321",
  "ResourceType": "VPC",
  "TrafficType": "ACCEPT",
  "LogDestination": "s3",
  "LogDestinationType": "S3",
  "LogGroupName": "advanced-vpc-flow-logs",
  "LogFormat": "${version} ${timestamp} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes}",
  "MaxAggregationInterval": 60,
  "DeliverCrossAccountRole": "arn:aws:iam::123456789012:role/FlowLogsRole",
  "Tags": [{"Key": "Project", "Value": "NetworkMonitoring"}]
}`

// The same flow log as EC2 accepts it: DeliverCrossAccountRole is for
// Firehose, not S3, so it goes.
const seedAdvancedFixed = `{
  "ResourceId": "vpc-87654321",
  "ResourceType": "VPC",
  "TrafficType": "ACCEPT",
  "LogDestinationType": "s3",
  "LogDestination": "arn:aws:s3:::advanced-vpc-flow-logs",
  "LogFormat": "${version} ${start} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes}",
  "MaxAggregationInterval": 60,
  "Tags": [{"Key": "Project", "Value": "NetworkMonitoring"}]
}`

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "props.json")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateSeedAdvanced(t *testing.T) {
	code, out, errOut := run(t, "", "validate", "AWS::EC2::FlowLog", writeTemp(t, seedAdvanced))
	if code != 1 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for _, l := range lines {
		if !strings.HasPrefix(l, "AWS::EC2::FlowLog: ") {
			t.Errorf("line without the type prefix: %q", l)
		}
	}
	if want := `AWS::EC2::FlowLog: LogDestinationType "S3" is not one of cloud-watch-logs, s3, kinesis-data-firehose; did you mean "s3"?`; lines[0] != want {
		t.Errorf("first line %q, want %q", lines[0], want)
	}
	if len(lines) < 3 || !strings.Contains(out, "${timestamp}") || !strings.Contains(out, "arn:aws:s3:::") {
		t.Errorf("problems:\n%s", out)
	}
	// DeliverCrossAccountRole is for Firehose: for S3, another account's
	// bucket admits the log delivery service in its policy.
	if want := "AWS::EC2::FlowLog: DeliverCrossAccountRole is not applicable for s3 delivery; remove DeliverCrossAccountRole: cross-account delivery to S3 uses no role; set LogDestination to the other account's bucket ARN and have that bucket's policy allow the principal delivery.logs.amazonaws.com"; !strings.Contains(out, want) {
		t.Errorf("no DeliverCrossAccountRole problem:\n%s", out)
	}
}

func TestValidateCorrectedFromStdin(t *testing.T) {
	code, out, errOut := run(t, seedAdvancedFixed, "validate", "AWS::EC2::FlowLog", "-")
	if code != 0 || out != "ok: AWS::EC2::FlowLog props are valid\n" || errOut != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestValidateJSON(t *testing.T) {
	for _, tc := range []struct {
		props string
		code  int
		valid bool
	}{{seedAdvanced, 1, false}, {seedAdvancedFixed, 0, true}} {
		code, out, _ := run(t, tc.props, "validate", "--json", "AWS::EC2::FlowLog", "-")
		if code != tc.code {
			t.Errorf("exit %d, want %d", code, tc.code)
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(out), &raw); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if len(raw) != 4 || string(raw["formatVersion"]) != "1" || raw["type"] == nil || raw["valid"] == nil || raw["problems"] == nil {
			t.Errorf("keys of %s", out)
		}
		var res ValidationResult
		json.Unmarshal([]byte(out), &res)
		if res.Type != "AWS::EC2::FlowLog" || res.Valid != tc.valid || (len(res.Problems) == 0) != tc.valid {
			t.Errorf("result %+v", res)
		}
		if !tc.valid {
			p := res.Problems[0]
			if p.Property != "LogDestinationType" || !strings.Contains(p.Message, `did you mean "s3"?`) {
				t.Errorf("first problem %+v", p)
			}
		} else if string(raw["problems"]) != "[]" {
			t.Errorf("problems of valid props: %s, want []", raw["problems"])
		}
	}
}

func TestValidateBadInput(t *testing.T) {
	for _, tc := range []struct {
		name, stdin string
		args        []string
		code        int
		want        string
	}{
		{"malformed JSON", "{\n  \"ResourceType\": \"VPC\",\n  \"ResourceId\": }\n", []string{"AWS::EC2::FlowLog", "-"}, 1,
			"athanor: stdin:3:17: malformed JSON: invalid character '}' looking for beginning of value"},
		{"trailing data", `{"a": 1} x`, []string{"AWS::EC2::FlowLog", "-"}, 1, "athanor: stdin:1:10: malformed JSON"},
		{"not an object", `[1, 2]`, []string{"AWS::EC2::FlowLog", "-"}, 1, "expected a JSON object of properties, got an array"},
		{"empty", "  ", []string{"AWS::EC2::FlowLog", "-"}, 1, "stdin: empty input"},
		{"missing file", "", []string{"AWS::EC2::FlowLog", "/nonexistent/props.json"}, 1, "athanor: reading props: open /nonexistent/props.json"},
		{"unknown type", "{}", []string{"AWS::EC2::Flowlog", "-"}, 1, `did you mean "AWS::EC2::FlowLog"?`},
		{"missing FILE", "", []string{"AWS::EC2::FlowLog"}, 2, "validate needs TYPE and FILE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.stdin, append([]string{"validate"}, tc.args...)...)
			if code != tc.code || out != "" || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d (want %d), stdout %q, stderr %q, want %q", code, tc.code, out, errOut, tc.want)
			}
		})
	}
}
