package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/schema"
	"github.com/athanor-iac/athanor/state"
)

func bucketSchema(t *testing.T) *schema.Schema {
	t.Helper()
	sc, err := schema.Default().Lookup("AWS::S3::Bucket")
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func tags(kv ...string) []any {
	var out []any
	for i := 0; i < len(kv); i += 2 {
		out = append(out, map[string]any{"Key": kv[i], "Value": kv[i+1]})
	}
	return out
}

// A nested ignored path keeps the resource's value there, also inside a
// property the program changes elsewhere, so the update it sends does not
// undo the drift.
func TestIgnoreNestedPath(t *testing.T) {
	sc := bucketSchema(t)
	rec := &state.Record{LogicalID: "b", Type: sc.TypeName, Identifier: "b",
		Props:   map[string]any{"BucketName": "b", "Tags": tags("Owner", "net", "Env", "prod")},
		Outputs: map[string]any{"BucketName": "b", "Tags": tags("Owner", "drifted", "Env", "prod")}}
	d := Declaration{LogicalID: "b", Type: sc.TypeName, Options: ResourceOptions{IgnoreChanges: []string{"Tags/0/Value"}},
		Props: map[string]any{"BucketName": "b", "Tags": tags("Owner", "net", "Env", "prod")}}
	if c, _ := decide(sc, rec, d); c.Action != NoOp || len(c.Ignored) != 1 {
		t.Fatalf("drift on the ignored path: %s, ignored %v; want no-op naming the path", c.Action, c.Ignored)
	}
	d.Props["Tags"] = tags("Owner", "net", "Env", "staging")
	c, eff := decide(sc, rec, d)
	if c.Action != Update {
		t.Fatalf("a change beside the ignored path: %s, want update", c.Action)
	}
	if got := canonical(eff["Tags"]); got != canonical(tags("Owner", "drifted", "Env", "staging")) {
		t.Errorf("applied Tags %s; want the drifted Owner kept and Env changed", got)
	}
	if canonical(d.Props["Tags"]) != canonical(tags("Owner", "net", "Env", "staging")) || canonical(rec.Props["Tags"]) != canonical(tags("Owner", "net", "Env", "prod")) {
		t.Error("ignoring changed the program's props or the record")
	}
}

// ReplaceOnChanges on a nested path replaces only when that path changes.
func TestReplaceOnNestedPath(t *testing.T) {
	sc := bucketSchema(t)
	rec := &state.Record{LogicalID: "b", Type: sc.TypeName, Identifier: "b",
		Props: map[string]any{"BucketName": "b", "Tags": tags("Owner", "net", "Env", "prod")}}
	d := Declaration{LogicalID: "b", Type: sc.TypeName, Options: ResourceOptions{ReplaceOnChanges: []string{"Tags/1/Value"}},
		Props: map[string]any{"BucketName": "b", "Tags": tags("Owner", "data", "Env", "prod")}}
	if c, _ := decide(sc, rec, d); c.Action != Update {
		t.Errorf("a change elsewhere in Tags: %s, want update", c.Action)
	}
	d.Props["Tags"] = tags("Owner", "net", "Env", "staging")
	if c, _ := decide(sc, rec, d); c.Action != Replace || c.Reason != "Tags forces replacement (ReplaceOnChanges)" {
		t.Errorf("a change at the path: %s (%s), want a replacement", c.Action, c.Reason)
	}
}

// Options that cannot work are problems of the program: a read-only path
// (AWS sets it, the program never changes it) and a negative Timeout.
func TestOptionProblems(t *testing.T) {
	sc, err := schema.Default().Lookup("AWS::Logs::LogGroup")
	if err != nil {
		t.Fatal(err)
	}
	probs := strings.Join(optionProblems(sc, ResourceOptions{IgnoreChanges: []string{"Arn"}, Timeout: -time.Second}), "\n")
	for _, want := range []string{`IgnoreChanges("Arn"): Arn is read-only`, "Timeout(-1s): give a positive duration"} {
		if !strings.Contains(probs, want) {
			t.Errorf("problems %q; want %q", probs, want)
		}
	}
}

// RetainOnDelete added to a resource that is otherwise unchanged is kept
// in state by that run, so removing the declaration afterwards leaves the
// resource in AWS.
func TestRetainOnDeleteAddedLaterIsKept(t *testing.T) {
	const lg = "AWS::Logs::LogGroup"
	store, prov := stage(t), newFakeProvider()
	d := Declaration{LogicalID: "logs", Type: lg, Props: map[string]any{"LogGroupName": "audit"}}
	if err := run(t, store, prov, d); err != nil {
		t.Fatal(err)
	}
	d.Options.RetainOnDelete = true
	if err := run(t, store, prov, d); err != nil {
		t.Fatal(err)
	}
	if !records(t, store)["logs"].RetainOnDelete {
		t.Fatal("the record does not keep RetainOnDelete")
	}
	if err := run(t, store, prov); err != nil {
		t.Fatal(err)
	}
	if _, ok := prov.resources[lg]["audit"]; !ok {
		t.Errorf("the log group was deleted (calls %q)", prov.Calls())
	}
}
