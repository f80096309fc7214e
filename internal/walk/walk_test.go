package walk

import (
	"reflect"
	"slices"
	"sort"
	"testing"
)

func TestStringsVisitsEveryString(t *testing.T) {
	v := map[string]any{"a": "x", "b": []any{"y", 3.0, map[string]any{"c": "z"}}, "d": true}
	var got []string
	Strings(v, func(s string) { got = append(got, s) })
	sort.Strings(got)
	if len(got) != 3 || got[0] != "x" || got[1] != "y" || got[2] != "z" {
		t.Fatalf("visited %q; want x, y, z", got)
	}
}

func TestPointerTokenEscapes(t *testing.T) {
	for in, want := range map[string]string{"Tags": "Tags", "a/b": "a~1b", "a~b": "a~0b", "~/": "~0~1"} {
		if got := PointerToken(in); got != want {
			t.Errorf("PointerToken(%q) = %q; want %q", in, got, want)
		}
	}
}

// Transform and Map rewrite the leaves fn changes, copying only the maps
// and lists on the way to one: the input is left as it was, and what
// holds no change is shared.
func TestMapCopiesOnlyWhatChanges(t *testing.T) {
	same := map[string]any{"b": "keep"}
	in := map[string]any{"a": []any{"x", "y"}, "s": same}
	upper := func(v any) (any, bool) {
		if v == "x" {
			return "X", true
		}
		return v, false
	}
	out, changed := Map(in, upper)
	got := out.(map[string]any)
	if !changed || got["a"].([]any)[0] != "X" || got["a"].([]any)[1] != "y" {
		t.Fatalf("Map = %v, %v", out, changed)
	}
	if in["a"].([]any)[0] != "x" {
		t.Fatal("Map changed its input")
	}
	if reflect.ValueOf(got["s"]).Pointer() != reflect.ValueOf(same).Pointer() {
		t.Fatal("Map copied a map that holds no change")
	}
	var ptrs []string
	Transform(in, "", func(ptr string, v any) (any, bool, error) {
		ptrs = append(ptrs, ptr)
		return v, false, nil
	})
	if !slices.Contains(ptrs, "/a/1") || !slices.Contains(ptrs, "/s/b") {
		t.Fatalf("Transform's pointers %v lack /a/1 or /s/b", ptrs)
	}
}
