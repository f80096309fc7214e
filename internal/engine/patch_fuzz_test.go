package engine

import (
	"encoding/json"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/athanor-iac/athanor/schema"
)

// FuzzMakePatch checks the patch the engine sends for an update: applied
// with an RFC 6902 implementation to what was applied before, it must give
// what is declared now (as the engine compares values: reordered tags are
// equal), for any two JSON objects. AWS reports every property here
// (outputs = before), so dropped ones are removed; the type has no
// write-only properties, which makePatch re-sends on purpose.
func FuzzMakePatch(f *testing.F) {
	sc, err := schema.Default().Lookup("AWS::EC2::FlowLog")
	if err != nil {
		f.Fatal(err)
	}
	if len(sc.WriteOnlyNames()) != 0 {
		f.Fatalf("%s has write-only properties; pick a type without", sc.TypeName)
	}
	f.Add(`{"Tags":[{"Key":"a","Value":"1"}],"TrafficType":"ALL"}`, `{"Tags":[{"Key":"a","Value":"2"}],"TrafficType":"ALL"}`)
	f.Add(`{"A":1,"B":[1,2,3]}`, `{"B":[3,2,1],"C":{"x":null}}`)
	f.Add(`{"a/b":1,"~c":2}`, `{"a/b":2}`)
	f.Add(`{"x":1}`, `{"x":null}`)
	f.Add(`{}`, `{"":"empty key"}`)
	f.Fuzz(func(t *testing.T, beforeJSON, desiredJSON string) {
		var before, desired map[string]any
		if json.Unmarshal([]byte(beforeJSON), &before) != nil || json.Unmarshal([]byte(desiredJSON), &desired) != nil || before == nil || desired == nil {
			t.Skip()
		}
		ops := makePatch(sc, before, before, desired)
		doc, err := json.Marshal(ops)
		if err != nil {
			t.Fatal(err)
		}
		patch, err := jsonpatch.DecodePatch(doc)
		if err != nil {
			t.Fatalf("the patch %s does not decode: %v", doc, err)
		}
		orig, _ := json.Marshal(before)
		out, err := patch.Apply(orig)
		if err != nil {
			t.Fatalf("the patch %s does not apply to %s: %v", doc, orig, err)
		}
		var got map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		if !equal(got, desired) {
			t.Fatalf("patch %s applied to %s gives %s, want %s", doc, orig, out, desiredJSON)
		}
		if equal(before, desired) && len(ops) != 0 {
			t.Fatalf("no change, yet the patch is %s", doc)
		}
	})
}
