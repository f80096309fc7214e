// Command secretprops lists the properties of the embedded CloudFormation
// schemas that hold secrets, for internal/secrets (a Go file) and for
// docs/secret-properties.md. Run it with `go generate ./internal/secrets`;
// CI checks that both outputs are up to date.
//
// The rule: a string leaf at or under a write-only pointer is a secret
// when its name says it holds a password, secret, token, key or
// credential, except booleans, enums and
// the names that only look like secrets (ClientToken is an idempotency
// token, GenerateSecretString asks AWS to make one, KmsKeyId names a key,
// Manage*/Rotate* switch a feature, ...). Write-only is required because a
// readable property's value comes back in every read anyway; the secrets
// that are readable all the same are listed by hand in readable below.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/athanor-iac/athanor/schema"
)

// secretName matches names of properties that hold a secret.
var secretName = regexp.MustCompile(`(?i)(password|passphrase|secret|token|apikey|privatekey|presharedkey|keytab|accesskey|secretkey|activationkey|credentials?$|authparameters)`)

// notSecret matches names that secretName catches but that hold no secret.
var notSecret = regexp.MustCompile(`(?i)(^clienttoken$|^generatesecretstring$|^removeprivatekey$|^manage|^rotate|arn$|id$|ids$|name$|kmskey|type$|mode$|source$|required$|version$|location$|enabled$|secretsmanager|ttl|^excludecharacters$|^excludepunctuation$|length$|^include|^require|header$|^key$|template$|audiences$|^httptokens$|url$|endpoint$)`)

// readable are secrets that reads return (read-only outputs, or inputs that
// are not write-only), found by reading the schemas' descriptions.
var readable = map[string][]string{
	"AWS::Cognito::UserPoolClient":          {"/properties/ClientSecret"},
	"AWS::OpsWorksCM::Server":               {"/properties/CustomPrivateKey"},
	"AWS::DataSync::StorageSystem":          {"/properties/ServerCredentials/Password"},
	"AWS::EC2::VerifiedAccessTrustProvider": {"/properties/OidcOptions/ClientSecret"},
}

func main() {
	goOut := flag.String("go", "schemasecrets.go", "Go file to write")
	mdOut := flag.String("md", "", "Markdown table to write (optional)")
	flag.Parse()
	found := map[string]map[string]bool{}
	reg := schema.Default()
	for _, name := range reg.TypeNames() {
		sc, err := reg.Lookup(name)
		if err != nil {
			log.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(sc.Raw, &doc); err != nil {
			log.Fatal(err)
		}
		w := walker{doc: doc}
		for _, p := range sc.WriteOnly {
			node, ok := w.at(p)
			if !ok {
				continue
			}
			w.leaves(node, p, 0, func(leaf string) {
				if n := lastName(leaf); secretName.MatchString(n) && !notSecret.MatchString(n) {
					add(found, name, leaf)
				}
			})
		}
	}
	for typ, ptrs := range readable {
		sc, err := reg.Lookup(typ)
		if err != nil {
			log.Fatalf("readable secret of %s: %v", typ, err)
		}
		var doc map[string]any
		json.Unmarshal(sc.Raw, &doc)
		for _, p := range ptrs {
			if _, ok := (walker{doc: doc}).at(p); !ok {
				log.Fatalf("readable secret %s %s is not in the schema", typ, p)
			}
			add(found, typ, p)
		}
	}
	if err := writeGo(*goOut, found); err != nil {
		log.Fatal(err)
	}
	if *mdOut != "" {
		if err := writeMarkdown(*mdOut, found); err != nil {
			log.Fatal(err)
		}
	}
}

func add(m map[string]map[string]bool, typ, ptr string) {
	if m[typ] == nil {
		m[typ] = map[string]bool{}
	}
	m[typ][strings.TrimPrefix(ptr, "/properties")] = true
}

func lastName(ptr string) string {
	parts := strings.Split(ptr, "/")
	for i := len(parts) - 1; i >= 0; i-- {
		if parts[i] != "*" {
			return parts[i]
		}
	}
	return ""
}

// walker follows schema pointers through properties, items and $refs.
type walker struct{ doc map[string]any }

func (w walker) resolve(n map[string]any) map[string]any {
	for i := 0; i < 10; i++ {
		ref, ok := n["$ref"].(string)
		if !ok {
			return n
		}
		name, ok := strings.CutPrefix(ref, "#/definitions/")
		if !ok {
			return n
		}
		defs, _ := w.doc["definitions"].(map[string]any)
		next, ok := defs[name].(map[string]any)
		if !ok {
			return n
		}
		n = next
	}
	return n
}

// at returns the schema node a write-only pointer names.
func (w walker) at(ptr string) (map[string]any, bool) {
	rest, ok := strings.CutPrefix(ptr, "/properties/")
	if !ok {
		return nil, false
	}
	node := map[string]any{"type": "object", "properties": w.doc["properties"]}
	for _, tok := range strings.Split(rest, "/") {
		node = w.resolve(node)
		if tok == "*" {
			items, ok := node["items"].(map[string]any)
			if !ok {
				return nil, false
			}
			node = items
			continue
		}
		props, _ := node["properties"].(map[string]any)
		next, ok := props[tok].(map[string]any)
		if !ok {
			return nil, false
		}
		node = next
	}
	return w.resolve(node), true
}

// leaves calls fn with the pointer of every string leaf at or under node
// that is not an enum.
func (w walker) leaves(node map[string]any, ptr string, depth int, fn func(string)) {
	node = w.resolve(node)
	if depth > 8 {
		return
	}
	if _, isEnum := node["enum"]; isEnum {
		return
	}
	types := typesOf(node)
	switch {
	case types["string"]:
		fn(ptr)
	case types["array"]:
		if items, ok := node["items"].(map[string]any); ok {
			w.leaves(items, ptr+"/*", depth+1, fn)
		}
	case types["object"] || node["properties"] != nil:
		props, _ := node["properties"].(map[string]any)
		for _, k := range sortedKeys(props) {
			if sub, ok := props[k].(map[string]any); ok {
				w.leaves(sub, ptr+"/"+k, depth+1, fn)
			}
		}
	}
	for _, key := range []string{"oneOf", "anyOf"} {
		alts, _ := node[key].([]any)
		for _, a := range alts {
			if m, ok := a.(map[string]any); ok {
				w.leaves(m, ptr, depth+1, fn)
			}
		}
	}
}

func typesOf(node map[string]any) map[string]bool {
	out := map[string]bool{}
	switch t := node["type"].(type) {
	case string:
		out[t] = true
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok {
				out[s] = true
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func writeGo(path string, found map[string]map[string]bool) error {
	var b bytes.Buffer
	b.WriteString("// Code generated by internal/tools/secretprops; DO NOT EDIT.\n\npackage secrets\n\n")
	b.WriteString("// schemaSecrets are the properties the embedded schemas imply hold secrets,\n// by type, as JSON pointers into the properties (\"*\": every element).\nvar schemaSecrets = map[string][]string{\n")
	for _, typ := range sortedKeys(found) {
		fmt.Fprintf(&b, "\t%q: {", typ)
		for i, p := range sortedKeys(found[typ]) {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", p)
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return err
	}
	return os.WriteFile(path, src, 0o644)
}

func writeMarkdown(path string, found map[string]map[string]bool) error {
	var b bytes.Buffer
	n := 0
	for _, ps := range found {
		n += len(ps)
	}
	fmt.Fprintf(&b, "# Properties that are secret without marking\n\n")
	fmt.Fprintf(&b, "Generated by `go generate ./internal/secrets` from the embedded schemas;\ndo not edit. The rule is in docs/secrets.md. %d properties of %d types.\n\n", n, len(found))
	b.WriteString("| Type | Properties |\n|---|---|\n")
	for _, typ := range sortedKeys(found) {
		var ps []string
		for _, p := range sortedKeys(found[typ]) {
			ps = append(ps, "`"+p+"`")
		}
		fmt.Fprintf(&b, "| %s | %s |\n", typ, strings.Join(ps, ", "))
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}
