package cli

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

func TestSchemaFlowLogTable(t *testing.T) {
	code, out, errOut := run(t, "", "schema", "AWS::EC2::FlowLog")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "AWS::EC2::FlowLog\nSpecifies a VPC flow log") {
		t.Errorf("heading:\n%s", out)
	}
	// One table row per property: name, type, flags, Go field and enum
	// values; nested properties indented after their parent.
	for _, want := range []string{
		`(?m)^Go: ec2.FlowLog\(app, logicalID, ec2.FlowLogProps\{...\}\) returns \*ec2.FlowLogResource \(import "github.com/athanor-iac/athanor/aws/ec2"\)$`,
		`(?m)^Id +string +readOnly, primaryIdentifier +Id string$`,
		`(?m)^TrafficType +string +createOnly +TrafficType string +ACCEPT, ALL, REJECT$`,
		`(?m)^ResourceId +string +required, createOnly +ResourceId string$`,
		`(?m)^MaxAggregationInterval +integer +createOnly +MaxAggregationInterval \*int$`,
		`(?m)^Tags +array of Tag +- +Tags \[\]athanor.Tag$`,
		`(?m)^DestinationOptions +object +createOnly +DestinationOptions \*ec2.FlowLogDestinationOptions\n  FileFormat +string +required, createOnly +FileFormat string +plain-text, parquet$`,
		`(?m)^primary identifier: Id$`,
		`(?m)^handler timeouts: `,
		`(?m)^tagging: Tags \(on create, updatable\)$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output does not match %s:\n%s", want, out)
		}
	}
	// Every column starts where its heading does, whether or not the rows
	// before have allowed values; no line ends in spaces.
	lines := strings.Split(out, "\n")
	var header string
	for _, l := range lines {
		if strings.HasPrefix(l, "PROPERTY") {
			header = l
		}
		if strings.HasSuffix(l, " ") {
			t.Errorf("trailing spaces in %q", l)
		}
	}
	col := strings.Index(header, "VALUES")
	for _, l := range lines {
		for _, v := range []string{"ACCEPT, ALL, REJECT", "cloud-watch-logs, s3", "plain-text, parquet"} {
			if i := strings.Index(l, v); i >= 0 && i != col {
				t.Errorf("%q starts at column %d, VALUES at %d:\n%s", v, i, col, out)
			}
		}
	}
}

func TestSchemaJSON(t *testing.T) {
	code, out, errOut := run(t, "", "schema", "AWS::EC2::FlowLog", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var d TypeDescription
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	props := map[string]PropertyInfo{}
	for _, p := range d.Properties {
		props[p.Name] = p
	}
	if p := props["Id"]; !p.ReadOnly || !p.PrimaryIdentifier || p.CreateOnly || p.Type != "string" {
		t.Errorf("Id: %+v", p)
	}
	if p := props["TrafficType"]; !p.CreateOnly || p.ReadOnly {
		t.Errorf("TrafficType: %+v", p)
	}
	if p := props["Tags"]; p.CreateOnly || p.Type != "array" || p.Items != "Tag" {
		t.Errorf("Tags: %+v", p)
	}
	if p := props["ResourceType"]; !p.Required || p.GoName != "ResourceType" || !strings.Contains(strings.Join(p.Values, ","), "NetworkInterface,Subnet,VPC") {
		t.Errorf("ResourceType: %+v", p)
	}
	if p := props["DestinationOptions"]; len(p.Properties) != 3 || p.Properties[0].Name != "FileFormat" || p.Properties[0].GoType != "string" ||
		!p.Properties[0].Required || !p.Properties[0].CreateOnly || len(p.Properties[0].Values) != 2 {
		t.Errorf("DestinationOptions: %+v", p)
	}
	if d.Go == nil || d.Go.Function != "ec2.FlowLog" || d.Go.Props != "ec2.FlowLogProps" || d.Go.ImportPath != "github.com/athanor-iac/athanor/aws/ec2" {
		t.Errorf("go: %+v", d.Go)
	}
	if d.TypeName != "AWS::EC2::FlowLog" || len(d.PrimaryIdentifier) != 1 || d.PrimaryIdentifier[0] != "Id" {
		t.Errorf("type %q, primary identifier %v", d.TypeName, d.PrimaryIdentifier)
	}
	if d.Tagging == nil || d.Tagging.Property != "Tags" {
		t.Errorf("tagging %+v", d.Tagging)
	}
	// The shape scripts rely on: these keys are always present.
	var raw map[string]json.RawMessage
	json.Unmarshal([]byte(out), &raw)
	for _, k := range []string{"formatVersion", "typeName", "description", "properties", "primaryIdentifier", "handlerTimeoutMinutes", "tagging"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
}

func TestSchemaUnknownType(t *testing.T) {
	code, out, errOut := run(t, "", "schema", "AWS::EC2::Flowlog")
	if code != 1 || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	if want := "athanor: unknown type \"AWS::EC2::Flowlog\"; did you mean \"AWS::EC2::FlowLog\"?\n"; errOut != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
	code, _, errOut = run(t, "", "schema", "Nothing::Like::ThisAtAll")
	if code != 1 || !strings.Contains(errOut, "athanor schema --list") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestSchemaList(t *testing.T) {
	code, out, _ := run(t, "", "schema", "--list", "AWS::EC2::")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	found := false
	for _, l := range lines {
		if !strings.HasPrefix(l, "AWS::EC2::") {
			t.Errorf("listed %q", l)
		}
		found = found || l == "AWS::EC2::FlowLog"
	}
	if !found {
		t.Errorf("AWS::EC2::FlowLog not listed:\n%s", out)
	}

	code, out, _ = run(t, "", "schema", "--list", "--json", "aws::ec2::flow")
	var list TypeList
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || list.FormatVersion != 1 || len(list.Types) != 1 || list.Types[0] != "AWS::EC2::FlowLog" {
		t.Errorf("exit %d, JSON %s", code, out)
	}

	code, out, _ = run(t, "", "schema", "--list")
	if code != 0 || strings.Count(out, "\n") < 1000 {
		t.Errorf("exit %d, %d types listed", code, strings.Count(out, "\n"))
	}

	if code, _, errOut := run(t, "", "schema", "--list", "Nope::"); code != 1 || !strings.Contains(errOut, `no type names start with "Nope::"`) {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestSchemaUsage(t *testing.T) {
	for _, args := range [][]string{{"schema"}, {"schema", "A::B::C", "D::E::F"}} {
		if code, _, errOut := run(t, "", args...); code != 2 || !strings.Contains(errOut, "Run 'athanor schema --help'") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}

// Go names are allocated over the whole service, as the generator does:
// Role's inline policies are RolePolicyProperty because AWS::IAM::RolePolicy
// owns RolePolicy.
func TestSchemaGoNamesMatchGeneratedPackage(t *testing.T) {
	code, out, errOut := run(t, "", "schema", "AWS::IAM::Role")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !regexp.MustCompile(`(?m)^Policies +array of Policy +- +Policies \[\]iam\.RolePolicyProperty$`).MatchString(out) {
		t.Errorf("Policies row:\n%s", out)
	}
	if !regexp.MustCompile(`(?m)^  PolicyName +string +required +PolicyName string$`).MatchString(out) {
		t.Errorf("nested PolicyName row:\n%s", out)
	}
}
