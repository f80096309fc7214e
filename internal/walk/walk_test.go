package walk

import (
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
