package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/athanor-iac/athanor/internal/version"
)

// replacedVersion is the version a module requires Athanor at when a
// replace directive provides it; it is what go mod tidy writes.
const replacedVersion = "v0.0.0-00010101000000-000000000000"

// moduleFiles returns the go.mod of a new module called module that
// builds against src, and its go.sum (nil when go mod tidy must make it).
//
// Against a checkout, go.mod lists Athanor's requirements as indirect
// ones and go.sum is the checkout's: together they are complete, so the
// go command needs neither the network nor go mod tidy.
func moduleFiles(module string, src ModuleSource) (gomod, gosum []byte, err error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "module %s\n\n", module)
	if src.Checkout == "" {
		fmt.Fprintf(&b, "go %s\n\nrequire %s %s\n", strings.TrimPrefix(runtime.Version(), "go"), version.ModulePath, src.Version)
		return b.Bytes(), nil, nil
	}
	goLine, reqs, err := readGoMod(filepath.Join(src.Checkout, "go.mod"))
	if err != nil {
		return nil, nil, err
	}
	gosum, err = os.ReadFile(filepath.Join(src.Checkout, "go.sum"))
	if err != nil {
		return nil, nil, fmt.Errorf("athanor's checkout: %w", err)
	}
	fmt.Fprintf(&b, "%s\n\nrequire %s %s\n\nrequire (\n", goLine, version.ModulePath, replacedVersion)
	slices.Sort(reqs) // one block by path, as go mod tidy writes it
	for _, r := range reqs {
		fmt.Fprintf(&b, "\t%s // indirect\n", r)
	}
	fmt.Fprintf(&b, ")\n\n// A development build of athanor made this module: it builds against that\n// checkout. To use a release instead, delete this line and run\n// go get %s@latest.\nreplace %s => %s\n", version.ModulePath, version.ModulePath, quoteModPath(src.Checkout))
	return b.Bytes(), gosum, nil
}

// readGoMod returns the go directive of a go.mod file and its
// requirements ("path version"). go.mod's grammar is small; this reads
// the subset `go mod tidy` writes.
func readGoMod(path string) (goLine string, reqs []string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", nil, fmt.Errorf("athanor's checkout: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	inBlock := false
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "//")
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case inBlock && f[0] == ")":
			inBlock = false
		case inBlock && len(f) == 2:
			reqs = append(reqs, f[0]+" "+f[1])
		case f[0] == "go" && len(f) == 2:
			goLine = "go " + f[1]
		case f[0] == "require" && len(f) == 2 && f[1] == "(":
			inBlock = true
		case f[0] == "require" && len(f) == 3:
			reqs = append(reqs, f[1]+" "+f[2])
		}
	}
	if goLine == "" {
		return "", nil, fmt.Errorf("%s has no go directive", path)
	}
	return goLine, reqs, nil
}

// quoteModPath quotes a directory for go.mod when it has spaces or other
// characters the go.mod grammar does not allow bare.
func quoteModPath(dir string) string {
	dir = filepath.ToSlash(dir)
	if strings.ContainsAny(dir, " \t\"'`\\()") {
		return fmt.Sprintf("%q", dir)
	}
	return dir
}
