package schema

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// decode parses a JSON model the way a caller would (float64 numbers).
func decode(t *testing.T, js string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatalf("bad test JSON %s: %v", js, err)
	}
	return m
}

func lookup(t *testing.T, typeName string) *Schema {
	t.Helper()
	s, err := Default().Lookup(typeName)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// want is one expected violation; empty fields are not checked, and Message
// is checked by substring.
type want struct {
	Pointer, Property, Kind, CFN, Message string
	Allowed                               []string
}

func TestValidate(t *testing.T) {
	unknown := func(v any) bool { s, ok := v.(string); return ok && s == "(known after apply)" }
	const validFlowLog = `"ResourceType":"VPC","ResourceId":"vpc-1","TrafficType":"ALL"`
	tests := []struct {
		name     string
		typeName string
		model    string
		opts     ValidateOptions
		want     []want // exactly these, in this order
	}{
		{
			name: "valid create", typeName: "AWS::EC2::FlowLog",
			model: `{` + validFlowLog + `,"LogGroupName":"g","MaxAggregationInterval":60,"Tags":[{"Key":"k","Value":"v"}]}`,
		},
		{
			name: "extraneous key", typeName: "AWS::EC2::FlowLog",
			model: `{` + validFlowLog + `,"Foo":1}`,
			want: []want{{Pointer: "", Property: "Foo", Kind: "additionalProperties",
				CFN: "#: extraneous key [Foo] is not permitted", Message: `unknown property "Foo"`}},
		},
		{
			name: "misspelt property suggests the right one", typeName: "AWS::EC2::FlowLog",
			model: `{` + validFlowLog + `,"logformat":"x"}`,
			want: []want{{Property: "logformat", Kind: "additionalProperties",
				CFN: "#: extraneous key [logformat] is not permitted", Message: `unknown property "logformat"; did you mean "LogFormat"?`}},
		},
		{
			name: "missing required", typeName: "AWS::EC2::FlowLog",
			model: `{"ResourceType":"VPC","TrafficType":"ALL"}`,
			want: []want{{Pointer: "", Property: "ResourceId", Kind: "required",
				CFN: "#: required key [ResourceId] not found", Message: "required property ResourceId is missing"}},
		},
		{
			name: "wrong type", typeName: "AWS::EC2::FlowLog",
			model: `{` + validFlowLog + `,"MaxAggregationInterval":"60"}`,
			want: []want{{Pointer: "/MaxAggregationInterval", Property: "MaxAggregationInterval", Kind: "type",
				CFN:     "#/MaxAggregationInterval: expected type: Integer, found: String",
				Message: `MaxAggregationInterval must be an integer, not a string ("60")`}},
		},
		{
			name: "fraction where integer wanted", typeName: "AWS::EC2::FlowLog",
			model: `{` + validFlowLog + `,"MaxAggregationInterval":60.5}`,
			want: []want{{Pointer: "/MaxAggregationInterval", Kind: "type",
				CFN: "#/MaxAggregationInterval: expected type: Integer, found: BigDecimal"}},
		},
		{
			name: "enum with did-you-mean", typeName: "AWS::EC2::FlowLog",
			model: `{` + validFlowLog + `,"LogDestinationType":"S3"}`,
			want: []want{{Pointer: "/LogDestinationType", Property: "LogDestinationType", Kind: "enum",
				Allowed: []string{"cloud-watch-logs", "s3", "kinesis-data-firehose"},
				CFN:     "#/LogDestinationType: S3 is not a valid enum value",
				Message: `LogDestinationType "S3" is not one of cloud-watch-logs, s3, kinesis-data-firehose; did you mean "s3"?`}},
		},
		{
			name: "read-only Id is extraneous for create", typeName: "AWS::EC2::FlowLog",
			model: `{` + validFlowLog + `,"Id":"fl-123"}`,
			opts:  ValidateOptions{Mode: ForCreate},
			want: []want{{Pointer: "", Property: "Id", Kind: "additionalProperties",
				CFN: "#: extraneous key [Id] is not permitted", Message: "read-only"}},
		},
		{
			name: "read-only Id is allowed in a model", typeName: "AWS::EC2::FlowLog",
			model: `{` + validFlowLog + `,"Id":"fl-123"}`,
			opts:  ValidateOptions{Mode: ForModel},
		},
		{
			name: "read-only Id is extraneous in a partial desired state", typeName: "AWS::EC2::FlowLog",
			model: `{` + validFlowLog + `,"Id":"fl-123"}`,
			opts:  ValidateOptions{Mode: ForPartial},
			want:  []want{{Property: "Id", Kind: "additionalProperties"}},
		},
		{
			name: "nested enum", typeName: "AWS::EC2::FlowLog",
			model: `{` + validFlowLog + `,"DestinationOptions":{"FileFormat":"csv","HiveCompatiblePartitions":true,"PerHourPartition":false}}`,
			want: []want{{Pointer: "/DestinationOptions/FileFormat", Property: "DestinationOptions", Kind: "enum",
				Allowed: []string{"plain-text", "parquet"},
				CFN:     "#/DestinationOptions/FileFormat: csv is not a valid enum value",
				Message: `DestinationOptions.FileFormat "csv" is not one of plain-text, parquet`}},
		},
		{
			name: "nested required in array item", typeName: "AWS::EC2::FlowLog",
			model: `{` + validFlowLog + `,"Tags":[{"Key":"k"}]}`,
			want: []want{{Pointer: "/Tags/0", Property: "Tags", Kind: "required",
				CFN: "#/Tags/0: required key [Value] not found", Message: "required property Tags[0].Value is missing"}},
		},
		{
			name: "nested extraneous key", typeName: "AWS::EC2::FlowLog",
			model: `{` + validFlowLog + `,"DestinationOptions":{"FileFormat":"parquet","HiveCompatiblePartitions":true,"PerHourPartition":false,"PerHourPartitions":true}}`,
			want: []want{{Pointer: "/DestinationOptions", Property: "DestinationOptions", Kind: "additionalProperties",
				CFN:     "#/DestinationOptions: extraneous key [PerHourPartitions] is not permitted",
				Message: `DestinationOptions: unknown property "PerHourPartitions"; did you mean "PerHourPartition"?`}},
		},
		{
			name: "pattern", typeName: "AWS::APS::Scraper",
			model: `{"ScrapeConfiguration":{"ConfigurationBlob":"x"},"Source":{"EksConfiguration":{"ClusterArn":"arn:aws:eks:us-east-1:123456789012:cluster/c","SubnetIds":["subnet-1"]}},"Destination":{"AmpConfiguration":{"WorkspaceArn":"arn:aws:aps:us-east-1:123456789012:workspace/ws-1"}},"Alias":"-bad"}`,
			want: []want{{Pointer: "/Alias", Property: "Alias", Kind: "pattern",
				CFN:     "#/Alias: string [-bad] does not match pattern ^[0-9A-Za-z][-.0-9A-Z_a-z]*$",
				Message: `Alias "-bad" does not match the pattern ^[0-9A-Za-z][-.0-9A-Z_a-z]*$`}},
		},
		{
			name: "maxLength and minLength", typeName: "AWS::Logs::LogGroup",
			model: `{"LogGroupName":"` + strings.Repeat("g", 513) + `","Tags":[{"Key":"","Value":"v"}]}`,
			want: []want{
				{Pointer: "/LogGroupName", Property: "LogGroupName", Kind: "maxLength",
					CFN: "#/LogGroupName: expected maxLength: 512, actual: 513", Message: "LogGroupName must be at most 512 characters long, not 513"},
				{Pointer: "/Tags/0/Key", Property: "Tags", Kind: "minLength",
					CFN: "#/Tags/0/Key: expected minLength: 1, actual: 0", Message: "Tags[0].Key must be at least 1 characters long, not 0"},
			},
		},
		{
			name: "enum of integers", typeName: "AWS::Logs::LogGroup",
			model: `{"RetentionInDays":4}`,
			want:  []want{{Pointer: "/RetentionInDays", Kind: "enum", CFN: "#/RetentionInDays: 4 is not a valid enum value"}},
		},
		{
			name: "uniqueItems", typeName: "AWS::Logs::LogGroup",
			model: `{"Tags":[{"Key":"k","Value":"v"},{"Key":"k","Value":"v"}]}`,
			want:  []want{{Pointer: "/Tags", Property: "Tags", Kind: "uniqueItems", CFN: "#/Tags: array items are not unique"}},
		},
		{
			name: "S3 nested enum", typeName: "AWS::S3::Bucket",
			model: `{"VersioningConfiguration":{"Status":"enabled"}}`,
			want: []want{{Pointer: "/VersioningConfiguration/Status", Property: "VersioningConfiguration", Kind: "enum",
				Message: `did you mean "Enabled"?`}},
		},
		{
			name: "VPC wrong type", typeName: "AWS::EC2::VPC",
			model: `{"CidrBlock":10}`,
			want: []want{{Pointer: "/CidrBlock", Kind: "type", CFN: "#/CidrBlock: expected type: String, found: Integer",
				Message: "CidrBlock must be a string, not an integer (10)"}},
		},
		{
			name: "IAM role required and read-only", typeName: "AWS::IAM::Role",
			model: `{"Arn":"arn:aws:iam::123456789012:role/r","RoleName":"r"}`,
			want: []want{
				{Property: "Arn", Kind: "additionalProperties", CFN: "#: extraneous key [Arn] is not permitted"},
				{Property: "AssumeRolePolicyDocument", Kind: "required", CFN: "#: required key [AssumeRolePolicyDocument] not found"},
			},
		},
		{
			name: "several violations at once", typeName: "AWS::EC2::FlowLog",
			model: `{"Foo":1,"ResourceType":"VPCX","TrafficType":7,"Tags":[{"Key":"k"},{"Value":"v"}]}`,
			want: []want{
				{Pointer: "", Property: "Foo", Kind: "additionalProperties"},
				{Pointer: "", Property: "ResourceId", Kind: "required"},
				{Pointer: "/ResourceType", Kind: "enum"},
				{Pointer: "/Tags/0", Kind: "required", CFN: "#/Tags/0: required key [Value] not found"},
				{Pointer: "/Tags/1", Kind: "required", CFN: "#/Tags/1: required key [Key] not found"},
				{Pointer: "/TrafficType", Kind: "type", CFN: "#/TrafficType: expected type: String, found: Integer"},
			},
		},
		{
			name: "unknown values are skipped and count as present", typeName: "AWS::EC2::FlowLog",
			model: `{"ResourceType":"VPC","ResourceId":"(known after apply)","TrafficType":"ALL","LogDestinationType":"(known after apply)","Tags":["(known after apply)",{"Key":"k"}]}`,
			opts:  ValidateOptions{Mode: ForPartial, Unknown: unknown},
			want: []want{{Pointer: "/Tags/1", Property: "Tags", Kind: "required",
				CFN: "#/Tags/1: required key [Value] not found", Message: "Tags[1].Value"}},
		},
		{
			name: "without the predicate the placeholder is an ordinary value", typeName: "AWS::EC2::FlowLog",
			model: `{` + validFlowLog + `,"LogDestinationType":"(known after apply)"}`,
			opts:  ValidateOptions{Mode: ForPartial},
			want:  []want{{Pointer: "/LogDestinationType", Kind: "enum"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lookup(t, tt.typeName).Validate(decode(t, tt.model), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d violations, want %d:\n%s", len(got), len(tt.want), dumpViolations(got))
			}
			for i, w := range tt.want {
				g := got[i]
				check := func(field, g, w string, substr bool) {
					if w == "" && field != "Pointer" {
						return
					}
					if substr && !strings.Contains(g, w) || !substr && g != w {
						t.Errorf("violation %d %s = %q, want %q\n%s", i, field, g, w, dumpViolations(got))
					}
				}
				if w.Pointer != "" || w.Kind == "additionalProperties" || w.Kind == "required" {
					check("Pointer", g.Pointer, w.Pointer, false)
				}
				check("Property", g.Property, w.Property, false)
				check("Kind", g.Kind, w.Kind, false)
				check("CFN", g.CFN, w.CFN, false)
				check("Message", g.Message, w.Message, true)
				if w.Allowed != nil && !reflect.DeepEqual(g.Allowed, w.Allowed) {
					t.Errorf("violation %d Allowed = %q, want %q", i, g.Allowed, w.Allowed)
				}
				if g.Message == "" || g.CFN == "" {
					t.Errorf("violation %d has empty wording: %+v", i, g)
				}
			}
		})
	}
}

func dumpViolations(vs []Violation) string {
	var sb strings.Builder
	for _, v := range vs {
		sb.WriteString("  " + v.Pointer + " [" + v.Property + "] " + v.Kind + ": " + v.CFN + " | " + v.Message + "\n")
	}
	return sb.String()
}

func TestValidateValue(t *testing.T) {
	s := lookup(t, "AWS::EC2::FlowLog")
	vs, err := s.Validate(decode(t, `{"ResourceType":"VPC","ResourceId":"vpc-1","TrafficType":"ALLX","Foo":{"a":1}}`), ValidateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 {
		t.Fatalf("got %s", dumpViolations(vs))
	}
	if !reflect.DeepEqual(vs[0].Value, map[string]any{"a": 1.0}) {
		t.Errorf("extraneous key Value = %#v", vs[0].Value)
	}
	if vs[1].Value != "ALLX" {
		t.Errorf("enum Value = %#v", vs[1].Value)
	}
}

func TestValidateGoValuesAndNoMutation(t *testing.T) {
	s := lookup(t, "AWS::EC2::FlowLog")
	model := map[string]any{
		"ResourceType":           "VPC",
		"ResourceId":             "vpc-1",
		"TrafficType":            "ALL",
		"MaxAggregationInterval": int64(600),
		"Tags":                   []map[string]string{{"Key": "k", "Value": "v"}},
		"DestinationOptions":     map[string]any{"FileFormat": "parquet", "HiveCompatiblePartitions": true, "PerHourPartition": false, "Extra": json.Number("1")},
		"Id":                     "fl-1",
	}
	before, _ := json.Marshal(model)
	vs, err := s.Validate(model, ValidateOptions{Mode: ForModel, Unknown: func(v any) bool { return v == "fl-1" }})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 || vs[0].CFN != "#/DestinationOptions: extraneous key [Extra] is not permitted" {
		t.Fatalf("got %s", dumpViolations(vs))
	}
	after, _ := json.Marshal(model)
	if string(before) != string(after) {
		t.Errorf("model changed:\n%s\n%s", before, after)
	}
	vs, err = s.Validate(map[string]any{"ResourceType": "VPC", "ResourceId": "vpc-1", "MaxAggregationInterval": 60}, ValidateOptions{})
	if err != nil || len(vs) != 0 {
		t.Errorf("int value: %v %s", err, dumpViolations(vs))
	}
}

func TestValidateDeterministic(t *testing.T) {
	s := lookup(t, "AWS::EC2::FlowLog")
	js := `{"Foo":1,"Bar":2,"Baz":3,"ResourceType":"X","TrafficType":"Y","LogDestinationType":"Z","Tags":[{},{},{"Key":1,"Value":2,"Q":3}],"DestinationOptions":{}}`
	first, err := s.Validate(decode(t, js), ValidateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(first) < 12 {
		t.Fatalf("expected many violations, got %s", dumpViolations(first))
	}
	for i := 0; i < 30; i++ {
		got, _ := s.Validate(decode(t, js), ValidateOptions{})
		if !reflect.DeepEqual(got, first) {
			t.Fatalf("run %d differs:\n%s\nvs\n%s", i, dumpViolations(got), dumpViolations(first))
		}
	}
	for i := 1; i < len(first); i++ {
		a, b := first[i-1], first[i]
		if a.Pointer > b.Pointer || a.Pointer == b.Pointer && a.Kind > b.Kind {
			t.Errorf("not sorted at %d: %s", i, dumpViolations(first))
		}
	}
}

func TestModelValidationMessage(t *testing.T) {
	s := lookup(t, "AWS::EC2::FlowLog")
	vs, err := s.Validate(decode(t, `{"Foo":1,"ResourceType":"VPC","TrafficType":"ALL"}`), ValidateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := ModelValidationMessage(vs)
	want := "Model validation failed (#: extraneous key [Foo] is not permitted\n#: required key [ResourceId] not found)"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestSuggest(t *testing.T) {
	props := []string{"DeliverLogsPermissionArn", "LogDestination", "LogDestinationType", "LogFormat", "ResourceId", "Tags"}
	tests := []struct {
		in         string
		candidates []string
		want       string
	}{
		{"S3", []string{"cloud-watch-logs", "s3", "kinesis-data-firehose"}, "s3"},
		{"logformat", props, "LogFormat"},
		{"LogFormatt", props, "LogFormat"},
		{"ResourceID", props, "ResourceId"},
		{"Tag", props, "Tags"},
		{"Foo", props, ""},
		{"Completely", props, ""},
		{"", props, ""},
		{"x", nil, ""},
	}
	for _, tt := range tests {
		if got := Suggest(tt.in, tt.candidates); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestValidateAllTypes compiles every embedded schema in both variants and
// validates an empty model, so a schema the compiler cannot handle shows up
// here rather than in a user's program.
func TestValidateAllTypes(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles all 1,489 schemas twice")
	}
	start := time.Now()
	r := Default()
	names := r.TypeNames()
	if len(names) < 1000 {
		t.Fatalf("only %d types", len(names))
	}
	total := 0
	for _, n := range names {
		s, err := r.Lookup(n)
		if err != nil {
			t.Errorf("%s: %v", n, err)
			continue
		}
		for _, m := range []Mode{ForCreate, ForModel} {
			vs, err := s.Validate(map[string]any{}, ValidateOptions{Mode: m})
			if err != nil {
				t.Errorf("%s %v: %v", n, m, err)
				continue
			}
			for _, v := range vs {
				if v.CFN == "" || v.Message == "" || v.Kind == "" {
					t.Errorf("%s %v: incomplete violation %+v", n, m, v)
				}
			}
			total += len(vs)
		}
	}
	t.Logf("%d types, %d violations for empty models, %v", len(names), total, time.Since(start))
}
