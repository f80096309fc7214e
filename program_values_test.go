package athanor_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/aws/logs"
	"github.com/athanor-iac/athanor/localcc"
)

// numberTypes notes the Go type of every number in v under what, by
// path: everything but strings, bools, nulls, maps and slices.
type numberTypes struct {
	mu  sync.Mutex
	got map[string]string // "what/path" → type
}

func (n *numberTypes) note(what string, v any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case nil, string, bool:
		case map[string]any:
			for k, e := range v {
				walk(path+"/"+k, e)
			}
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s/%d", path, i), e)
			}
		default:
			n.got[what+path] = fmt.Sprintf("%T", v)
		}
	}
	walk("", v)
}

// check fails unless every number noted is a float64 and each of want
// was noted.
func (n *numberTypes) check(t *testing.T, run string, want ...string) {
	t.Helper()
	var wrong []string
	for path, typ := range n.got {
		if typ != "float64" {
			wrong = append(wrong, path+": "+typ)
		}
	}
	sort.Strings(wrong)
	if len(wrong) > 0 {
		t.Errorf("%s: numbers that are not float64:\n%s", run, strings.Join(wrong, "\n"))
	}
	for _, w := range want {
		if _, ok := n.got[w]; !ok {
			t.Errorf("%s: no number at %s; noted %v", run, w, n.got)
		}
	}
	n.got = map[string]string{}
}

// A program sees every number as a float64, whatever path it took: a
// resource created this run (read from AWS), one left unchanged with or
// without a refresh (read from the state, where numbers are json.Number),
// one updated after drift; in the plan pass and the apply pass; through
// Resource.Properties, a typed struct's map field, app.Get, app.List and
// ReadOutputs.
func TestProgramSeesNumbersAsFloat64(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	e.createDirectly("AWS::Logs::LogGroup", map[string]any{"LogGroupName": "looked-up", "RetentionInDays": 30}, "")
	seen := &numberTypes{got: map[string]string{}}
	var groupName string
	prog := func(app *athanor.App) error {
		pass := "apply"
		if app.Planning() {
			pass = "plan"
		}
		// A flow log's MaxAggregationInterval is filled in by AWS, not
		// declared: the plan pass answers it from the record alone.
		fl, err := ec2.FlowLog(app, "flowLog", seedProps()["vpcFlowLog"])
		if err != nil {
			return err
		}
		seen.note(pass+" flowLog", fl.Resource.Properties)
		g, err := logs.LogGroup(app, "group", logs.LogGroupProps{LogGroupName: "numbers", RetentionInDays: athanor.Int(7),
			DataProtectionPolicy: map[string]any{"Name": "p", "Version": "2021-06-01", "Statement": []any{map[string]any{"Sid": "s", "Limit": 3}}}})
		if err != nil {
			return err
		}
		groupName = g.LogGroupName
		seen.note(pass+" group", g.Resource.Properties)
		seen.note(pass+" typed", g.DataProtectionPolicy)
		got, err := app.Get("AWS::Logs::LogGroup", "looked-up")
		if err != nil {
			return err
		}
		seen.note(pass+" get", got.Properties)
		listed, err := app.List("AWS::Logs::LogGroup", map[string]any{"LogGroupName": "looked-up"})
		if err != nil || len(listed) != 1 {
			return fmt.Errorf("list: %d, %v", len(listed), err)
		}
		seen.note(pass+" list", listed[0].Properties)
		app.Output("retention", g.Resource.Properties["RetentionInDays"])
		app.Output("interval", fl.Resource.Properties["MaxAggregationInterval"])
		return nil
	}
	// While the flow log is to be created, the plan pass has no value for
	// what AWS fills in: the placeholder is a string.
	created := []string{"plan group/RetentionInDays", "plan group/DataProtectionPolicy/Statement/0/Limit",
		"plan typed/Statement/0/Limit", "plan get/RetentionInDays", "plan list/RetentionInDays",
		"apply flowLog/MaxAggregationInterval", "apply group/RetentionInDays", "apply group/DataProtectionPolicy/Statement/0/Limit",
		"apply typed/Statement/0/Limit", "apply get/RetentionInDays", "apply list/RetentionInDays", "outputs/retention", "outputs/interval"}
	kept := append([]string{"plan flowLog/MaxAggregationInterval"}, created...)
	up := func(run string, want []string, args ...string) string {
		t.Helper()
		code, out := e.run(prog, args...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", run, code, out)
		}
		outs, err := athanor.ReadOutputs(context.Background(), e.state, "flowlogs", "test")
		if err != nil {
			t.Fatal(err)
		}
		seen.note("outputs", outs)
		seen.check(t, run, want...)
		return out
	}
	up("created this run", created)
	up("unchanged, refreshed", kept)
	up("unchanged, --refresh=false", kept, "--refresh=false")

	// Another client changes the log group: up reads the drift and
	// updates it back.
	patch, _ := json.Marshal([]map[string]any{{"op": "replace", "path": "/RetentionInDays", "value": 14}})
	res, err := e.client().UpdateResource(context.Background(), &sdk.UpdateResourceInput{TypeName: aws.String("AWS::Logs::LogGroup"),
		Identifier: aws.String(groupName), PatchDocument: aws.String(string(patch))})
	if err != nil {
		t.Fatal(err)
	}
	e.waitRequest(res.ProgressEvent.RequestToken)
	if out := up("changed by drift", kept); !strings.Contains(out, "1 updated") {
		t.Fatalf("the drift was not undone:\n%s", out)
	}
	if code, out := e.run(prog, "plan"); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("plan after the drift was undone: exit %d\n%s", code, out)
	}
}
