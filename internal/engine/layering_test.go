package engine

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The engine is generic: what is special about a resource type lives in
// internal/typerules. A type name in its code is a rule in the wrong place.
func TestEngineNamesNoResourceType(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	typeName := regexp.MustCompile(`"AWS::[A-Za-z0-9]+::[A-Za-z0-9]+"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := typeName.Find(src); m != nil {
			t.Errorf("%s names the resource type %s; put its rule in a package under internal/typerules", f, m)
		}
	}
}
