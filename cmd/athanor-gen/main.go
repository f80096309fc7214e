// Command athanor-gen generates the typed resource packages under aws/
// from the CloudFormation schemas embedded in package schema: one package
// per AWS service, one file per resource type. See docs/codegen.md.
//
//	go generate ./aws/...                                  # regenerate what the repository commits
//	go run ./cmd/athanor-gen -out aws                       # the same
//	go run ./cmd/athanor-gen -out aws -types 'AWS::SQS::*'  # add the types of one more service
//
// Without -types it writes the types listed in aws/types.txt (one type
// name or Service::* pattern per line) and deletes generated files of
// types no longer listed. With -types it writes the types named there and
// deletes nothing.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/athanor-iac/athanor/internal/codegen"
	"github.com/athanor-iac/athanor/schema"
)

func main() {
	out := flag.String("out", "aws", "folder of the generated packages")
	types := flag.String("types", "", "comma-separated type names or patterns (AWS::EC2::*, *); default: the list in OUT/types.txt")
	list := flag.Bool("list", false, "print the selected type names instead of generating")
	flag.Parse()
	if err := run(*out, *types, *list); err != nil {
		fmt.Fprintln(os.Stderr, "athanor-gen:", err)
		os.Exit(1)
	}
}

func run(out, typesFlag string, list bool) error {
	reg := schema.Default()
	var patterns []string
	clean := typesFlag == ""
	if clean {
		var err error
		if patterns, err = readList(filepath.Join(out, "types.txt")); err != nil {
			return err
		}
	} else {
		for _, p := range strings.Split(typesFlag, ",") {
			if p = strings.TrimSpace(p); p != "" {
				patterns = append(patterns, p)
			}
		}
	}
	selected, err := selectTypes(reg.TypeNames(), patterns)
	if err != nil {
		return err
	}
	if list {
		for _, t := range selected {
			fmt.Println(t)
		}
		return nil
	}
	files, err := codegen.Generate(reg, selected)
	if err != nil {
		return err
	}
	written := map[string]bool{}
	changed := 0
	for _, f := range files {
		p := filepath.Join(out, filepath.FromSlash(f.Path))
		written[p] = true
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, f.Data) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return err
		}
		changed++
	}
	removed := 0
	if clean {
		if removed, err = removeStale(out, written); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "athanor-gen: %d types, %d files (%d written, %d removed)\n", len(selected), len(files), changed, removed)
	return nil
}

// readList reads a types.txt: one pattern a line, # comments.
func readList(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w (give -types, or list the types to generate there)", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}

// selectTypes returns the type names matching any pattern: an exact name,
// AWS::Service::* for a whole service, or * for everything. A pattern that
// matches nothing is an error, so that a misspelt name is not ignored.
func selectTypes(all, patterns []string) ([]string, error) {
	set := map[string]bool{}
	for _, p := range patterns {
		n := 0
		for _, t := range all {
			ok, _ := filepath.Match(strings.ReplaceAll(p, "::", "/"), strings.ReplaceAll(t, "::", "/"))
			if p == "*" || ok {
				set[t] = true
				n++
			}
		}
		if n == 0 {
			msg := fmt.Sprintf("no type matches %q", p)
			if s := schema.Suggest(p, all); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			return nil, errors.New(msg)
		}
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out, nil
}

// removeStale deletes generated files under out that were not written,
// and folders left empty.
func removeStale(out string, written map[string]bool) (int, error) {
	n := 0
	var dirs []string
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, p)
			return nil
		}
		if !strings.HasSuffix(p, ".go") || written[p] {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.HasPrefix(b, []byte(codegen.Header)) {
			n++
			return os.Remove(p)
		}
		return nil
	})
	for i := len(dirs) - 1; i > 0; i-- {
		_ = os.Remove(dirs[i]) // fails unless empty
	}
	return n, err
}
