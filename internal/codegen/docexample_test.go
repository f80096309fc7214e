package codegen

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocExamplesCompile compiles the example that opens every committed
// aws/<service>/doc.go, as statements of a function with app in scope.
// The examples are placed in a package that exists only in a go build
// overlay, so nothing is written into the module.
func TestDocExamplesCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks every aws/ package")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := filepath.Glob(filepath.Join(root, "aws", "*", "doc.go"))
	if err != nil || len(docs) == 0 {
		t.Fatalf("no aws/*/doc.go: %v", err)
	}
	var imports, funcs strings.Builder
	for _, doc := range docs {
		pkgName := filepath.Base(filepath.Dir(doc))
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		var body []string
		for _, l := range strings.Split(string(data), "\n") {
			if code, ok := strings.CutPrefix(l, "//\t"); ok {
				body = append(body, "\t"+code)
			}
		}
		if len(body) == 0 {
			t.Errorf("%s has no example", doc)
			continue
		}
		fmt.Fprintf(&imports, "\t%q\n", "github.com/athanor-iac/athanor/aws/"+pkgName)
		fmt.Fprintf(&funcs, "\nfunc %sExample(app *athanor.App) error {\n%s\n\treturn nil\n}\n", pkgName, strings.Join(body, "\n"))
	}
	src := "package docexamples\n\nimport (\n\t\"github.com/athanor-iac/athanor\"\n" + imports.String() + ")\n" + funcs.String()
	tmp := t.TempDir()
	file := filepath.Join(tmp, "examples.go")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{filepath.Join(root, "aws", "internal", "docexamples", "examples.go"): file}})
	overlayFile := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-overlay", overlayFile, "./aws/internal/docexamples")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the package examples do not compile: %v\n%s", err, out)
	}
}
