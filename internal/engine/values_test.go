package engine

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// NormalizeProps copies the common shapes of props without encoding/json
// (plainCopy); what it returns must be exactly what the JSON round trip
// returns, and it must not share maps or slices with the program's props.
func TestNormalizePropsWithoutJSONMatchesJSON(t *testing.T) {
	cases := map[string]any{
		"flat":        map[string]any{"LogGroupName": "g", "RetentionInDays": 30, "Enabled": true, "Ratio": 0.5, "None": nil},
		"nested":      map[string]any{"Tags": []map[string]any{{"Key": "a", "Value": "b"}}, "Ids": []string{"x", "y"}, "Map": map[string]string{"k": "v"}, "Any": []any{1, "two", []any{3.5}}},
		"nil map":     map[string]any{"M": map[string]any(nil), "S": map[string]string(nil)},
		"nil slices":  map[string]any{"A": []any(nil), "B": []string(nil), "C": []map[string]any(nil), "D": []map[string]any{nil}},
		"empty":       map[string]any{"A": []any{}, "M": map[string]any{}},
		"big int":     map[string]any{"N": 1<<62 + 1, "Neg": -(1 << 60) - 3},
		"minus zero":  map[string]any{"Z": math.Copysign(0, -1)},
		"escapes":     map[string]any{"s": "<a & \"b\">\u2028\t", "k\"ey": "é"},
		"nil props":   nil,
		"typed props": map[string]any{"T": struct{ A int }{1}},
		"json number": map[string]any{"N": json.Number("30")},
		"bad utf-8":   map[string]any{"S": "a\xffb"},
		"bad key":     map[string]any{"a\xff": "b"},
		"int32":       map[string]any{"N": int32(4)},
	}
	for name, props := range cases {
		got, err := NormalizeProps(props)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		v, err := normalize(props)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, _ := v.(map[string]any)
		if want == nil {
			want = map[string]any{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: NormalizeProps = %#v, the JSON round trip gives %#v", name, got, want)
		}
	}
	if z, _ := NormalizeProps(cases["minus zero"]); !math.Signbit(z["Z"].(float64)) {
		t.Errorf("-0 became %v", z["Z"])
	}
	for _, bad := range []any{map[string]any{"F": math.NaN()}, map[string]any{"F": math.Inf(1)}} {
		if _, err := NormalizeProps(bad); err == nil {
			t.Errorf("NormalizeProps(%v) accepted a value JSON cannot encode", bad)
		}
	}
	// The copy is the engine's own: the program may change its props
	// after declaring them.
	tags := []map[string]any{{"Key": "a", "Value": "b"}}
	props := map[string]any{"Tags": tags}
	got, _ := NormalizeProps(props)
	tags[0]["Value"] = "changed"
	props["New"] = 1
	if v := got["Tags"].([]any)[0].(map[string]any)["Value"]; v != "b" || len(got) != 1 {
		t.Errorf("NormalizeProps shares the program's maps: %v", got)
	}
}
