package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/state"
)

// planEngine is an engine in plan mode over an empty stage.
func planEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := New(context.Background(), ModePlan, Options{Records: []state.Record{}})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func logGroup(name string) map[string]any { return map[string]any{"LogGroupName": name} }

// problemsOf declares each declaration in plan mode and returns the
// problems found, one string each.
func problemsOf(t *testing.T, decls ...Declaration) []string {
	t.Helper()
	e := planEngine(t)
	for _, d := range decls {
		if _, err := e.Declare(context.Background(), d); err != nil {
			t.Fatalf("declare %s: %v", d.LogicalID, err)
		}
	}
	var out []string
	for _, p := range e.Problems() {
		out = append(out, p.String())
	}
	return out
}

// The plan refuses every logical ID a state backend refuses, so that what
// plans also applies: a resource named CON used to plan and then fail when
// its record was written.
func TestLogicalIDRuleIsTheStoresRule(t *testing.T) {
	for _, id := range []string{"CON", "nul.txt", "com1", ".hidden", "a b", "", strings.Repeat("x", 129), "café"} {
		probs := problemsOf(t, Declaration{LogicalID: id, Type: "AWS::Logs::LogGroup", Props: logGroup("g")})
		if state.ValidateLogicalID(id) == nil {
			t.Fatalf("state accepts %q; the test wants IDs it refuses", id)
		}
		if len(probs) != 1 || !strings.Contains(probs[0], "logical ID") {
			t.Errorf("logical ID %q: problems %q, want one about the logical ID", id, probs)
		}
	}
	for _, id := range []string{"vpcFlowLog", "a.b-c_d", "CONSOLE", "x"} {
		if probs := problemsOf(t, Declaration{LogicalID: id, Type: "AWS::Logs::LogGroup", Props: logGroup("g")}); len(probs) != 0 {
			t.Errorf("logical ID %q: unexpected problems %q", id, probs)
		}
	}
}

// Two declarations of one logical ID are one mistake, reported once.
func TestDeclaredTwice(t *testing.T) {
	probs := problemsOf(t,
		Declaration{LogicalID: "logs", Type: "AWS::Logs::LogGroup", Props: logGroup("a")},
		Declaration{LogicalID: "logs", Type: "AWS::Logs::LogGroup", Props: logGroup("b")},
	)
	if len(probs) != 1 || !strings.Contains(probs[0], `"logs" is declared twice`) {
		t.Fatalf("problems %q, want one saying logs is declared twice", probs)
	}
}

// Two declarations with one identity under their type's rules (flow logs
// of one resource, traffic type and destination) are refused before
// anything is sent: EC2 would refuse the second create. Other settings do
// not make them different; another traffic type does.
func TestDuplicateIdentityIsAProblem(t *testing.T) {
	probs := problemsOf(t,
		Declaration{LogicalID: "first", Type: flowLogType, Props: flowLog()},
		Declaration{LogicalID: "second", Type: flowLogType, Props: flowLog("MaxAggregationInterval", 60)},
	)
	if len(probs) != 1 || !strings.HasPrefix(probs[0], "second (AWS::EC2::FlowLog)") || !strings.Contains(probs[0], `as "first"`) {
		t.Fatalf("problems %q, want one on second naming first", probs)
	}
	if probs := problemsOf(t,
		Declaration{LogicalID: "first", Type: flowLogType, Props: flowLog()},
		Declaration{LogicalID: "second", Type: flowLogType, Props: flowLog("TrafficType", "REJECT")},
	); len(probs) != 0 {
		t.Fatalf("flow logs of different traffic types: problems %q", probs)
	}
}

// A logical ID keeps its type: declaring it as another type would delete
// the resource in state, so it is refused with what to do instead. A
// mistyped type name is reported as unknown, with a suggestion, and not as
// a change of type.
func TestLogicalIDKeepsItsType(t *testing.T) {
	recs := []state.Record{{LogicalID: "logs", Type: "AWS::Logs::LogGroup", Identifier: "g"}}
	for _, tc := range []struct {
		typeName, want, not string
	}{
		{"AWS::SQS::Queue", "holds a AWS::Logs::LogGroup in state", ""},
		{"AWS::Logs::LogGrup", `did you mean "AWS::Logs::LogGroup"?`, "holds a"},
	} {
		e, err := New(context.Background(), ModePlan, Options{Records: recs})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Declare(context.Background(), Declaration{LogicalID: "logs", Type: tc.typeName, Props: map[string]any{}}); err != nil {
			t.Fatal(err)
		}
		var text []string
		for _, p := range e.Problems() {
			text = append(text, p.String())
		}
		all := strings.Join(text, "\n")
		if !strings.Contains(all, tc.want) || tc.not != "" && strings.Contains(all, tc.not) {
			t.Errorf("%s: problems %q; want %q and not %q", tc.typeName, text, tc.want, tc.not)
		}
	}
}
