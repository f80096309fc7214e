// Package codegen turns the embedded CloudFormation schemas into typed Go:
// for each resource type a props struct, an output struct with the
// read-only properties, and a function that declares the resource, in a
// package per AWS service (aws/ec2, aws/logs, ...). cmd/athanor-gen writes
// the files; docs/codegen.md describes the mapping.
//
// Output is deterministic: names are allocated over every type of a
// service, in sorted order, whether or not all of them are written, so
// generating a subset gives the same files as generating everything.
package codegen

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/athanor-iac/athanor/schema"
)

// node is the part of a JSON schema the generator reads.
type node struct {
	Type                 any              `json:"type"`
	Ref                  string           `json:"$ref"`
	Description          string           `json:"description"`
	Properties           map[string]*node `json:"properties"`
	PatternProperties    map[string]*node `json:"patternProperties"`
	AdditionalProperties json.RawMessage  `json:"additionalProperties"`
	Items                *node            `json:"items"`
	Enum                 []any            `json:"enum"`
	Required             []string         `json:"required"`
	OneOf                []*node          `json:"oneOf"`
	AnyOf                []*node          `json:"anyOf"`
	AllOf                []*node          `json:"allOf"`

	raw map[string]json.RawMessage
}

func (n *node) UnmarshalJSON(b []byte) error {
	type plain node
	if err := json.Unmarshal(b, (*plain)(n)); err != nil {
		// A schema value that is not an object (true, for instance)
		// constrains nothing the generator uses.
		*n = node{}
		return nil
	}
	_ = json.Unmarshal(b, &n.raw)
	return nil
}

// types returns the JSON types the node allows, "null" left out.
func (n *node) types() []string {
	var out []string
	switch t := n.Type.(type) {
	case string:
		out = append(out, t)
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok && s != "null" {
				out = append(out, s)
			}
		}
	}
	return out
}

// constraintOnly reports whether a oneOf/anyOf/allOf variant only
// constrains its parent (required, pattern, default...) without giving it
// a type of its own.
func (n *node) constraintOnly() bool {
	if n == nil {
		return true
	}
	return n.Ref == "" && n.Type == nil && len(n.Properties) == 0 && n.Items == nil && len(n.Enum) == 0 &&
		len(n.PatternProperties) == 0 && n.variants() == nil
}

func (n *node) variants() []*node {
	var out []*node
	out = append(out, n.OneOf...)
	out = append(out, n.AnyOf...)
	out = append(out, n.AllOf...)
	return out
}

type kind int

const (
	kString kind = iota
	kInt
	kFloat
	kBool
	kAny    // any JSON value
	kObject // map[string]any: a JSON document such as a policy
	kMap    // map[string]elem
	kSlice  // []elem
	kStruct // named struct
	kTag    // athanor.Tag
)

// goType is the Go type of a schema value.
type goType struct {
	kind kind
	name string // kStruct
	elem *goType
}

func (t *goType) expr() string {
	switch t.kind {
	case kString:
		return "string"
	case kInt:
		return "int"
	case kFloat:
		return "float64"
	case kBool:
		return "bool"
	case kObject:
		return "map[string]any"
	case kMap:
		return "map[string]" + t.elem.expr()
	case kSlice:
		return "[]" + t.elem.expr()
	case kStruct:
		return t.name
	case kTag:
		return "athanor.Tag"
	}
	return "any"
}

// field is one field of a generated struct.
type field struct {
	GoName, JSONName, Doc string
	Type                  *goType
	Required              bool
}

// fieldType is the Go type written for the field: pointers for optional
// numbers and booleans (so that unset is not 0 or false) and for every
// struct (so that recursive definitions compile).
func (f field) fieldType() string {
	switch f.Type.kind {
	case kInt, kFloat, kBool:
		if !f.Required {
			return "*" + f.Type.expr()
		}
	case kStruct:
		return "*" + f.Type.expr()
	}
	return f.Type.expr()
}

// tag is the field's JSON tag: omitempty unless the field is a required
// number or boolean, whose zero value must be sent.
func (f field) tag() string {
	switch f.Type.kind {
	case kInt, kFloat, kBool:
		if f.Required {
			return fmt.Sprintf("`json:%q`", f.JSONName)
		}
	}
	return fmt.Sprintf("`json:%q`", f.JSONName+",omitempty")
}

// decl is a generated struct, or the constants of an enum.
type decl struct {
	Name, Doc string
	Fields    []field   // struct
	Enum      bool      // constants only
	Consts    []enumVal // enum
}

type enumVal struct{ Name, Value string }

// resourceType is everything generated for one CloudFormation type.
type resourceType struct {
	TypeName string // AWS::EC2::FlowLog
	Name     string // FlowLog, the function
	// The names of the props struct, the output struct and the type name
	// constant: FlowLogProps, FlowLogResource, FlowLogType unless another
	// type of the package has one of them.
	PropsName, ResourceName, TypeConst string
	// GetName and ListName are the lookup functions (GetVPC, ListVPCs);
	// ListName is empty for types Cloud Control cannot list.
	GetName, ListName string
	Description       string
	Props             []field // settable properties
	Outputs           []field // read-only properties
	PrimaryID         []string
	Decls             []*decl // nested structs and enums, sorted by name
	UsesTag           bool
	File              string // file name in the package, flow_log.go

	sc *schema.Schema
}

// pkg allocates the Go names of one service package.
type pkg struct {
	Name    string // ec2
	Service string // EC2
	used    map[string]bool
	files   map[string]bool
	Types   []*resourceType
}

func (p *pkg) alloc(base string) string {
	// A taken name gets the suffix CloudFormation's documentation gives
	// nested types ("property types"): RolePolicyProperty beside the type
	// RolePolicy.
	name := base
	for i := 1; p.used[name]; i++ {
		if i == 1 {
			name = base + "Property"
		} else {
			name = fmt.Sprintf("%sProperty%d", base, i)
		}
	}
	p.used[name] = true
	return name
}

// typeGen builds one resourceType.
type typeGen struct {
	p     *pkg
	rt    *resourceType
	defs  map[string]*node
	props map[string]*node
	memo  map[string]*goType // by definition name
	busy  map[string]bool
	decls []*decl
}

func newTypeGen(p *pkg, sc *schema.Schema, name string) (*typeGen, error) {
	g := &typeGen{p: p, rt: &resourceType{TypeName: sc.TypeName, Name: name, Description: sc.Description, sc: sc},
		defs: map[string]*node{}, props: map[string]*node{}, memo: map[string]*goType{}, busy: map[string]bool{}}
	for k, v := range sc.Definitions {
		n := &node{}
		if err := json.Unmarshal(v, n); err != nil {
			return nil, fmt.Errorf("%s: definition %s: %w", sc.TypeName, k, err)
		}
		g.defs[k] = n
	}
	for k, v := range sc.Properties {
		n := &node{}
		if err := json.Unmarshal(v, n); err != nil {
			return nil, fmt.Errorf("%s: property %s: %w", sc.TypeName, k, err)
		}
		g.props[k] = n
	}
	return g, nil
}

// deref follows $ref chains to the node they name; it returns the node and
// the definition name of the last hop ("" when n is no reference).
func (g *typeGen) deref(n *node) (*node, string) {
	def := ""
	for i := 0; n != nil && n.Ref != "" && i < 16; i++ {
		switch {
		case strings.HasPrefix(n.Ref, "#/definitions/"):
			def = strings.TrimPrefix(n.Ref, "#/definitions/")
			n = g.defs[def]
		case strings.HasPrefix(n.Ref, "#/properties/"):
			def = ""
			n = g.props[strings.TrimPrefix(n.Ref, "#/properties/")]
		default:
			return nil, ""
		}
	}
	return n, def
}

// build fills the resource type's props, outputs and nested types.
func (g *typeGen) build() {
	sc := g.rt.sc
	required := map[string]bool{}
	for _, r := range sc.Required {
		required[r] = true
	}
	readOnly := map[string]bool{}
	for _, n := range sc.ReadOnlyNames() {
		readOnly[n] = true
	}
	g.rt.PrimaryID = sc.PrimaryIdentifierNames()
	// Field names the output struct has of its own.
	reserved := map[string]bool{"Resource": true, "ResourceID": true, g.rt.PropsName: true}
	for _, name := range sortedKeys(g.props) {
		n := g.props[name]
		f := field{GoName: goName(name), JSONName: name, Required: required[name] && !readOnly[name]}
		owner := g.rt.PropsName
		if readOnly[name] {
			owner = g.rt.ResourceName
		}
		f.Type = g.typeOf(n, g.rt.Name+f.GoName, owner+"."+f.GoName)
		if f.Type.kind == kSlice && f.Type.elem.kind == kTag {
			g.rt.UsesTag = true
		}
		f.Doc = g.fieldDoc(name, n, f.Required, "/properties/"+name)
		if readOnly[name] {
			if reserved[f.GoName] {
				f.GoName += "_"
			}
			g.rt.Outputs = append(g.rt.Outputs, f)
		} else {
			g.rt.Props = append(g.rt.Props, f)
		}
	}
	uniqueFields(g.rt.Props)
	uniqueFields(g.rt.Outputs)
	sort.SliceStable(g.decls, func(i, j int) bool {
		if g.decls[i].Name != g.decls[j].Name {
			return g.decls[i].Name < g.decls[j].Name
		}
		return !g.decls[i].Enum && g.decls[j].Enum
	})
	g.rt.Decls = g.decls
}

// uniqueFields renames fields whose Go names collide (Name and name).
func uniqueFields(fs []field) {
	seen := map[string]bool{}
	for i := range fs {
		for seen[fs[i].GoName] {
			fs[i].GoName += "_"
		}
		seen[fs[i].GoName] = true
	}
}

func (g *typeGen) fieldDoc(name string, n *node, required bool, path string) string {
	desc := n.Description
	if desc == "" {
		if d, _ := g.deref(n); d != nil {
			desc = d.Description
		}
	}
	var notes []string
	sc := g.rt.sc
	if required {
		notes = append(notes, "Required.")
	}
	switch {
	case sc.IsReadOnly(path):
		notes = append(notes, "Read-only: set by AWS.")
	case path != "" && sc.IsCreateOnly(path):
		notes = append(notes, "Create-only: changing it replaces the resource.")
	}
	if path != "" && sc.IsWriteOnly(path) {
		notes = append(notes, "Write-only: AWS does not return it.")
	}
	return strings.TrimSpace(sentence(sanitize(desc)) + " " + strings.Join(notes, " "))
}

// sentence ends s with a full stop, so that notes appended to it read
// apart.
func sentence(s string) string {
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// typeOf maps a schema value to a Go type. hint names a struct or enum
// made for it inline; where says where it is used, for their docs.
func (g *typeGen) typeOf(n *node, hint, where string) *goType {
	if n == nil {
		return &goType{kind: kAny}
	}
	if n.Ref != "" {
		if strings.HasPrefix(n.Ref, "#/definitions/") {
			return g.defType(strings.TrimPrefix(n.Ref, "#/definitions/"))
		}
		d, _ := g.deref(n)
		if d == nil || d == n {
			return &goType{kind: kAny}
		}
		return g.typeOf(d, hint, where)
	}
	ts := n.types()
	if len(ts) > 1 {
		return &goType{kind: kAny}
	}
	t := ""
	if len(ts) == 1 {
		t = ts[0]
	}
	if t == "" {
		switch {
		case len(n.Properties) > 0:
			t = "object"
		case n.Items != nil:
			t = "array"
		case len(n.Enum) > 0:
			t = enumKind(n.Enum)
		default:
			return g.variantType(n, hint, where)
		}
	}
	switch t {
	case "string":
		if len(n.Enum) > 0 && enumKind(n.Enum) == "string" {
			return g.enumType(n, hint, where)
		}
		return &goType{kind: kString}
	case "integer":
		return &goType{kind: kInt}
	case "number":
		return &goType{kind: kFloat}
	case "boolean":
		return &goType{kind: kBool}
	case "array":
		if g.isTag(n.Items) {
			return &goType{kind: kSlice, elem: &goType{kind: kTag}}
		}
		return &goType{kind: kSlice, elem: g.typeOf(n.Items, hint, where)}
	case "object":
		if props := g.objectProps(n); len(props) > 0 {
			return g.structType(hint, n, props)
		}
		if v := g.mapValue(n); v != nil {
			return &goType{kind: kMap, elem: g.typeOf(v, hint, where)}
		}
		return &goType{kind: kObject}
	}
	return &goType{kind: kAny}
}

// variantType types a node without a type of its own from its oneOf,
// anyOf and allOf variants: objects merge into one struct, one typed
// variant gives its type, anything else is any.
func (g *typeGen) variantType(n *node, hint, where string) *goType {
	var typed []*node
	for _, v := range n.variants() {
		if !v.constraintOnly() {
			typed = append(typed, v)
		}
	}
	if len(typed) == 0 {
		return &goType{kind: kAny}
	}
	if len(typed) == 1 {
		return g.typeOf(typed[0], hint, where)
	}
	if props := g.objectProps(n); len(props) > 0 {
		return g.structType(hint, n, props)
	}
	// Variants of one scalar type (a string, or a string pattern) are
	// that type.
	var kinds []kind
	for _, v := range typed {
		d, _ := g.deref(v)
		if d == nil {
			return &goType{kind: kAny}
		}
		ts := d.types()
		if len(ts) != 1 {
			return &goType{kind: kAny}
		}
		switch ts[0] {
		case "string":
			kinds = append(kinds, kString)
		case "integer":
			kinds = append(kinds, kInt)
		case "number":
			kinds = append(kinds, kFloat)
		case "boolean":
			kinds = append(kinds, kBool)
		default:
			return &goType{kind: kAny}
		}
	}
	for _, k := range kinds[1:] {
		if k != kinds[0] {
			return &goType{kind: kAny}
		}
	}
	return &goType{kind: kinds[0]}
}

// objectProps returns the properties of an object node: its own and, for
// oneOf/anyOf/allOf variants that are objects, theirs, merged.
func (g *typeGen) objectProps(n *node) map[string]*node {
	out := map[string]*node{}
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		n, _ = g.deref(n)
		if n == nil || depth > 4 {
			return
		}
		for k, v := range n.Properties {
			if _, ok := out[k]; !ok {
				out[k] = v
			}
		}
		for _, v := range n.variants() {
			if !v.constraintOnly() {
				d, _ := g.deref(v)
				if d != nil && (len(d.Properties) > 0 || len(d.variants()) > 0) && !hasNonObjectType(d) {
					walk(d, depth+1)
				}
			}
		}
	}
	walk(n, 0)
	return out
}

func hasNonObjectType(n *node) bool {
	for _, t := range n.types() {
		if t != "object" {
			return true
		}
	}
	return false
}

// mapValue returns the schema of an object's values when it is a map: one
// pattern property, or an additionalProperties schema.
func (g *typeGen) mapValue(n *node) *node {
	if len(n.PatternProperties) == 1 {
		for _, v := range n.PatternProperties {
			return v
		}
	}
	if len(n.PatternProperties) > 1 {
		// Several patterns of one scalar type are still a map of it.
		var first *goType
		for _, k := range sortedKeys(n.PatternProperties) {
			d, _ := g.deref(n.PatternProperties[k])
			if d == nil || len(d.types()) != 1 || d.types()[0] != "string" {
				return nil
			}
			if first == nil {
				first = &goType{kind: kString}
			}
		}
		return &node{Type: "string"}
	}
	ap := strings.TrimSpace(string(n.AdditionalProperties))
	if strings.HasPrefix(ap, "{") {
		v := &node{}
		if json.Unmarshal(n.AdditionalProperties, v) == nil && (v.Type != nil || v.Ref != "") {
			return v
		}
	}
	return nil
}

// isTag reports whether an array's items are the usual Key/Value tag.
func (g *typeGen) isTag(items *node) bool {
	d, _ := g.deref(items)
	if d == nil || len(d.Properties) != 2 {
		return false
	}
	for _, k := range []string{"Key", "Value"} {
		p, _ := g.deref(d.Properties[k])
		if p == nil || len(p.types()) != 1 || p.types()[0] != "string" || len(p.Enum) > 0 {
			return false
		}
	}
	return true
}

// defType returns the Go type of a definition, made once per type.
func (g *typeGen) defType(def string) *goType {
	if t, ok := g.memo[def]; ok {
		return t
	}
	n := g.defs[def]
	if n == nil || g.busy[def] {
		return &goType{kind: kAny}
	}
	hint := g.rt.Name + goName(def)
	d, _ := g.deref(n)
	if d != nil && d.Ref == "" {
		if props := g.objectProps(d); len(props) > 0 && !hasNonObjectType(d) {
			// Register the struct before its fields, so that recursive
			// definitions refer to it.
			t := &goType{kind: kStruct, name: g.p.alloc(hint)}
			g.memo[def] = t
			g.fillStruct(t.name, d, props)
			return t
		}
	}
	g.busy[def] = true
	t := g.typeOf(n, hint, "the definition "+def)
	delete(g.busy, def)
	g.memo[def] = t
	return t
}

func (g *typeGen) structType(hint string, n *node, props map[string]*node) *goType {
	t := &goType{kind: kStruct, name: g.p.alloc(hint)}
	g.fillStruct(t.name, n, props)
	return t
}

func (g *typeGen) fillStruct(name string, n *node, props map[string]*node) {
	d := &decl{Name: name, Doc: sanitize(n.Description)}
	g.decls = append(g.decls, d)
	required := map[string]bool{}
	for _, r := range n.Required {
		required[r] = true
	}
	for _, k := range sortedKeys(props) {
		p := props[k]
		f := field{GoName: goName(k), JSONName: k, Required: required[k]}
		f.Type = g.typeOf(p, name+f.GoName, name+"."+f.GoName)
		f.Doc = g.fieldDoc(k, p, f.Required, "")
		d.Fields = append(d.Fields, f)
	}
	uniqueFields(d.Fields)
}

// enumType records the constants of a string enum. The field stays a
// plain string, so that string variables and decoded JSON values mix with
// it freely; the constants are untyped and the schema check at plan time
// refuses a value outside the enum.
func (g *typeGen) enumType(n *node, hint, where string) *goType {
	d := &decl{Name: hint, Doc: where, Enum: true}
	seen := map[string]bool{}
	for i, v := range n.Enum {
		s, _ := v.(string)
		vn := enumValueName(s)
		if vn == "" {
			vn = fmt.Sprintf("Value%d", i)
		}
		for seen[vn] {
			vn += "_"
		}
		seen[vn] = true
		d.Consts = append(d.Consts, enumVal{Name: g.p.alloc(hint + vn), Value: s})
	}
	g.decls = append(g.decls, d)
	return &goType{kind: kString}
}

func enumKind(vals []any) string {
	allStr, allInt := true, true
	for _, v := range vals {
		switch x := v.(type) {
		case string:
			allInt = false
		case float64:
			allStr = false
			if x != float64(int64(x)) {
				allInt = false
			}
		default:
			allStr, allInt = false, false
		}
	}
	switch {
	case allStr:
		return "string"
	case allInt:
		return "integer"
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
