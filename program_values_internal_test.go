package athanor

import (
	"encoding/json"
	"reflect"
	"testing"
)

// Converting a record's numbers for the program leaves the record (the
// engine's copy, written back to state) as it is, and copies nothing when
// there is nothing to convert.
func TestProgramPropertiesLeavesTheRecordAlone(t *testing.T) {
	rec := map[string]any{
		"Name":   "n",
		"Size":   json.Number("7"),
		"Nested": map[string]any{"List": []any{json.Number("1.5"), "s"}, "Flag": true},
		"Plain":  map[string]any{"Count": 2.0},
	}
	before := map[string]any{
		"Name":   "n",
		"Size":   json.Number("7"),
		"Nested": map[string]any{"List": []any{json.Number("1.5"), "s"}, "Flag": true},
		"Plain":  map[string]any{"Count": 2.0},
	}
	got := programProperties(rec)
	want := map[string]any{
		"Name":   "n",
		"Size":   7.0,
		"Nested": map[string]any{"List": []any{1.5, "s"}, "Flag": true},
		"Plain":  map[string]any{"Count": 2.0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
	if !reflect.DeepEqual(rec, before) {
		t.Fatalf("the record changed: %#v", rec)
	}
	if reflect.ValueOf(got["Plain"]).Pointer() != reflect.ValueOf(rec["Plain"]).Pointer() {
		t.Error("a map without json.Number was copied")
	}
	created := map[string]any{"Size": 7.0, "Tags": []any{map[string]any{"Key": "k"}}}
	if reflect.ValueOf(programProperties(created)).Pointer() != reflect.ValueOf(created).Pointer() {
		t.Error("properties without json.Number were copied")
	}
}
