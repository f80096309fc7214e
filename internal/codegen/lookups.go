package codegen

import (
	"bytes"
	"fmt"
	"go/token"
	"strings"
	"unicode"
)

// writeLookups writes a type's lookup functions: GetX by primary
// identifier, and ListXs where the schema has a list handler, taking the
// properties that handler requires as parameters.
func (p *pkg) writeLookups(b *bytes.Buffer, rt *resourceType) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	res, tc := rt.ResourceName, rt.TypeConst
	id := strings.Join(rt.PrimaryID, "|")
	if len(rt.PrimaryID) > 1 {
		id += ", joined by |"
	}
	b.WriteString("\n")
	b.WriteString(comment("", fmt.Sprintf("%s reads %s that the program uses but does not manage, by its primary identifier (%s). It reads while planning too, once per run; a missing resource stops the plan naming it. See athanor.App.Get.", rt.GetName, article(rt.TypeName), id), 77))
	w("func %s(in athanor.Declarer, id string) (*%s, error) {\n", rt.GetName, res)
	w("\tout := &%s{}\n", res)
	w("\tr, err := typed.Get(in, %s, id, out)\n", tc)
	w("\tif err != nil {\n\t\treturn nil, err\n\t}\n\tout.Resource = r\n\treturn out, nil\n}\n")
	if rt.ListName == "" {
		return
	}
	params := rt.listParams()
	var sig, filter []string
	doc := fmt.Sprintf("%s reads every %s in the account and region of in, sorted by identifier. See athanor.App.List.", rt.ListName, rt.TypeName)
	if len(params) > 0 {
		var names []string
		for _, pr := range params {
			sig = append(sig, pr.name+" "+pr.goType)
			filter = append(filter, fmt.Sprintf("%q: %s", pr.prop, pr.name))
			names = append(names, pr.prop)
		}
		doc = fmt.Sprintf("%s reads every %s within the given %s (Cloud Control lists this type only within them), sorted by identifier. See athanor.App.List.", rt.ListName, rt.TypeName, strings.Join(names, " and "))
	}
	b.WriteString("\n")
	b.WriteString(comment("", doc, 77))
	w("func %s(%s) ([]*%s, error) {\n", rt.ListName, strings.Join(append([]string{"in athanor.Declarer"}, sig...), ", "), res)
	f := "nil"
	if len(filter) > 0 {
		f = "map[string]any{" + strings.Join(filter, ", ") + "}"
	}
	w("\treturn typed.List(in, %s, %s, func(out *%s, r *athanor.Resource) { out.Resource = r })\n}\n", tc, f, res)
}

type listParam struct{ name, goType, prop string }

// listParams are the properties the type's list handler requires, as Go
// parameters typed like the type's own fields.
func (rt *resourceType) listParams() []listParam {
	var out []listParam
	for _, prop := range rt.sc.ListRequires() {
		typ := "any"
		for _, f := range append(append([]field(nil), rt.Props...), rt.Outputs...) {
			if f.JSONName == prop {
				typ = f.Type.expr()
			}
		}
		out = append(out, listParam{name: paramName(prop), goType: typ, prop: prop})
	}
	return out
}

// paramName is a property's name as a Go parameter: ApiId → apiId; keywords
// and the Declarer's name get a suffix.
func paramName(prop string) string {
	r := []rune(goName(prop))
	r[0] = unicode.ToLower(r[0])
	name := string(r)
	if token.IsKeyword(name) || name == "in" {
		name += "Value"
	}
	return name
}

// plural is the English plural of a type name for List functions: VPCs,
// Policies, Addresses, Analyses, Gateways; names that already end in a
// plural (DHCPOptions, Settings) stay as they are.
func plural(s string) string {
	last := rune(s[len(s)-1])
	switch {
	case unicode.IsUpper(last) || unicode.IsDigit(last):
		return s + "s"
	case strings.HasSuffix(s, "sis"):
		return strings.TrimSuffix(s, "is") + "es"
	case strings.HasSuffix(s, "ss"), strings.HasSuffix(s, "us"), strings.HasSuffix(s, "as"), strings.HasSuffix(s, "x"), strings.HasSuffix(s, "z"), strings.HasSuffix(s, "ch"), strings.HasSuffix(s, "sh"):
		return s + "es"
	case strings.HasSuffix(s, "s"):
		return s
	case strings.HasSuffix(s, "y") && len(s) > 1 && !strings.ContainsRune("aeiou", rune(s[len(s)-2])):
		return s[:len(s)-1] + "ies"
	}
	return s + "s"
}
