package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/internal/codegen"
	"github.com/athanor-iac/athanor/internal/jsonout"
	"github.com/athanor-iac/athanor/schema"
)

// SchemaOptions are the parsed arguments of `athanor schema`.
type SchemaOptions struct {
	IO      *IOStreams
	Schemas func() *schema.Registry

	TypeName string // the type to describe; with List, the prefix ("" for all)
	List     bool
	JSON     bool
}

// NewCmdSchema builds `athanor schema`. runF replaces the run step in tests.
func NewCmdSchema(f *Factory, runF func(*SchemaOptions) error) *cobra.Command {
	opts := &SchemaOptions{IO: f.IOStreams, Schemas: f.Schemas}
	cmd := &cobra.Command{
		Use:   "schema TYPE | schema --list [PREFIX]",
		Short: "Describe a resource type's properties, or list the types",
		Long: `Describe a resource type from its CloudFormation schema: its description,
and for each property its JSON type and whether it is required, createOnly
(changing it replaces the resource), readOnly (set by AWS), writeOnly (never
read back) or part of the primary identifier, the Go field a program sets
(in the generated package aws/<service>) and an enum's allowed values;
nested properties follow their parent, indented. Then the handler timeouts
and the tagging property.

With --list, print the type names with a schema, optionally only those
starting with PREFIX (case-insensitive).`,
		Example: `  athanor schema AWS::EC2::FlowLog
  athanor schema AWS::EC2::FlowLog --json
  athanor schema --list AWS::EC2::`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErrorf("schema takes one TYPE (or PREFIX with --list), got %d arguments", len(args))
			}
			if len(args) == 0 && !opts.List {
				return usageErrorf("schema needs a TYPE, like AWS::EC2::FlowLog, or --list")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.TypeName = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return runSchema(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.List, "list", false, "list type names, optionally those starting with PREFIX")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

func runSchema(opts *SchemaOptions) error {
	reg := opts.Schemas()
	if opts.List {
		return listTypes(opts, reg)
	}
	sc, err := reg.Lookup(opts.TypeName)
	if errors.Is(err, schema.ErrTypeNotFound) {
		return unknownTypeError(reg, opts.TypeName)
	}
	if err != nil {
		return fmt.Errorf("reading the schema of %s: %w", opts.TypeName, err)
	}
	d, err := describe(sc)
	if err != nil {
		return fmt.Errorf("reading the schema of %s: %w", opts.TypeName, err)
	}
	addGo(reg, sc, d)
	if opts.JSON {
		d.FormatVersion = jsonout.FormatVersion
		return jsonout.Write(opts.IO.Out, d)
	}
	return d.writeText(opts.IO.Out)
}

func listTypes(opts *SchemaOptions, reg *schema.Registry) error {
	prefix := strings.ToLower(opts.TypeName)
	names := []string{}
	for _, n := range reg.TypeNames() {
		if strings.HasPrefix(strings.ToLower(n), prefix) {
			names = append(names, n)
		}
	}
	if opts.JSON {
		return jsonout.Write(opts.IO.Out, TypeList{FormatVersion: jsonout.FormatVersion, Types: names})
	}
	if len(names) == 0 {
		return fmt.Errorf("no type names start with %q", opts.TypeName)
	}
	for _, n := range names {
		fmt.Fprintln(opts.IO.Out, n)
	}
	return nil
}

// TypeList is the JSON form of `athanor schema --list --json`.
type TypeList struct {
	FormatVersion int      `json:"formatVersion"`
	Types         []string `json:"types"`
}

// TypeDescription is the JSON form of `athanor schema TYPE --json`. It is
// a summary for people and scripts; the full schema is in the schema package.
type TypeDescription struct {
	FormatVersion     int            `json:"formatVersion"`
	TypeName          string         `json:"typeName"`
	Description       string         `json:"description"`
	Properties        []PropertyInfo `json:"properties"`
	PrimaryIdentifier []string       `json:"primaryIdentifier"`
	// HandlerTimeoutMinutes has the handlers whose schema gives a timeout.
	HandlerTimeoutMinutes map[string]int `json:"handlerTimeoutMinutes"`
	// Tagging is null for a type the schema does not call taggable.
	Tagging *TaggingInfo `json:"tagging"`
	// Go is where a program finds the type's generated Go.
	Go *GoInfo `json:"go,omitempty"`
}

// GoInfo names the generated Go of a type: ec2.FlowLog(app, id,
// ec2.FlowLogProps{...}) returns *ec2.FlowLogResource.
type GoInfo struct {
	ImportPath string `json:"importPath"`
	Function   string `json:"function"`
	Props      string `json:"props"`
	Resource   string `json:"resource"`
}

// PropertyInfo describes one top-level property.
type PropertyInfo struct {
	Name string `json:"name"`
	// Type is the JSON type ("string", "object", "array", ...; types
	// joined with "|" when several are allowed), following a $ref.
	Type string `json:"type"`
	// Ref names the definition a $ref points to, such as "Tag".
	Ref string `json:"ref,omitempty"`
	// Items is an array's item type or definition name.
	Items             string `json:"items,omitempty"`
	Description       string `json:"description,omitempty"`
	Required          bool   `json:"required"`
	CreateOnly        bool   `json:"createOnly"`
	ReadOnly          bool   `json:"readOnly"`
	WriteOnly         bool   `json:"writeOnly"`
	PrimaryIdentifier bool   `json:"primaryIdentifier"`
	// GoName and GoType are the property's field in the generated props
	// (or resource, for read-only properties) struct.
	GoName string `json:"goName,omitempty"`
	GoType string `json:"goType,omitempty"`
	// Values are a string enum's allowed values.
	Values []string `json:"values,omitempty"`
	// Properties are an object's nested properties (or those of an
	// array's objects), in the same form.
	Properties []PropertyInfo `json:"properties,omitempty"`
}

// TaggingInfo is a schema's tagging block with the tag property's name.
type TaggingInfo struct {
	Taggable     bool   `json:"taggable"`
	TagOnCreate  bool   `json:"tagOnCreate"`
	TagUpdatable bool   `json:"tagUpdatable"`
	Property     string `json:"property,omitempty"`
}

// propertyShape is the part of a property's JSON schema that describes it.
type propertyShape struct {
	Type        json.RawMessage `json:"type"`
	Ref         string          `json:"$ref"`
	Description string          `json:"description"`
	Items       *propertyShape  `json:"items"`
}

func describe(sc *schema.Schema) (*TypeDescription, error) {
	d := &TypeDescription{
		TypeName:              sc.TypeName,
		Description:           sc.Description,
		Properties:            []PropertyInfo{},
		PrimaryIdentifier:     sc.PrimaryIdentifierNames(),
		HandlerTimeoutMinutes: map[string]int{},
	}
	if d.PrimaryIdentifier == nil {
		d.PrimaryIdentifier = []string{}
	}
	for _, op := range []string{"create", "read", "update", "delete", "list"} {
		if m := sc.HandlerTimeoutMinutes(op); m > 0 {
			d.HandlerTimeoutMinutes[op] = m
		}
	}
	if t := sc.Tagging; t != nil && t.Taggable {
		d.Tagging = &TaggingInfo{Taggable: true, TagOnCreate: t.TagOnCreate, TagUpdatable: t.TagUpdatable, Property: schema.PropertyName(t.TagProperty)}
	}
	required := map[string]bool{}
	for _, r := range sc.Required {
		required[r] = true
	}
	primary := map[string]bool{}
	for _, p := range d.PrimaryIdentifier {
		primary[p] = true
	}
	names := make([]string, 0, len(sc.Properties))
	for n := range sc.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		var sh propertyShape
		if err := json.Unmarshal(sc.Properties[n], &sh); err != nil {
			return nil, fmt.Errorf("property %s: %w", n, err)
		}
		path := "/properties/" + n
		p := PropertyInfo{
			Name:              n,
			Description:       sh.Description,
			Required:          required[n],
			CreateOnly:        sc.IsCreateOnly(path),
			ReadOnly:          sc.IsReadOnly(path),
			WriteOnly:         sc.IsWriteOnly(path),
			PrimaryIdentifier: primary[n],
		}
		p.Type, p.Ref = resolveType(sc, &sh)
		if sh.Items != nil {
			it, ref := resolveType(sc, sh.Items)
			p.Items = it
			if ref != "" {
				p.Items = ref
			}
		}
		d.Properties = append(d.Properties, p)
	}
	return d, nil
}

// addGo adds the generated Go names, enum values and nested properties.
// Types the generator cannot describe keep the schema's view alone.
func addGo(reg codegen.Source, sc *schema.Schema, d *TypeDescription) {
	info, err := codegen.Describe(reg, sc.TypeName)
	if err != nil {
		return
	}
	d.Go = &GoInfo{ImportPath: info.ImportPath, Function: info.Package + "." + info.Function, Props: info.Package + "." + info.Props, Resource: "*" + info.Package + "." + info.Resource}
	byName := map[string]codegen.FieldInfo{}
	for _, f := range info.Fields {
		byName[f.JSONName] = f
	}
	for i := range d.Properties {
		p := &d.Properties[i]
		if f, ok := byName[p.Name]; ok {
			p.GoName, p.GoType, p.Values = f.GoName, f.GoType, f.Values
			p.Properties = nestedProperties(sc, f.Fields)
		}
	}
}

func nestedProperties(sc *schema.Schema, fs []codegen.FieldInfo) []PropertyInfo {
	var out []PropertyInfo
	for _, f := range fs {
		out = append(out, PropertyInfo{
			Name: f.JSONName, Type: f.JSONType, Required: f.Required,
			CreateOnly: sc.IsCreateOnly(f.Path), ReadOnly: sc.IsReadOnly(f.Path), WriteOnly: sc.IsWriteOnly(f.Path),
			GoName: f.GoName, GoType: f.GoType, Values: f.Values,
			Properties: nestedProperties(sc, f.Fields),
		})
	}
	return out
}

// resolveType returns a property's JSON type, following one local $ref,
// and the name of the definition referred to.
func resolveType(sc *schema.Schema, sh *propertyShape) (typ, ref string) {
	if name, ok := strings.CutPrefix(sh.Ref, "#/definitions/"); ok {
		ref = name
		var def propertyShape
		if raw, ok := sc.Definitions[name]; ok && json.Unmarshal(raw, &def) == nil {
			sh = &def
		}
	}
	var one string
	var many []string
	switch {
	case json.Unmarshal(sh.Type, &one) == nil:
		typ = one
	case json.Unmarshal(sh.Type, &many) == nil:
		typ = strings.Join(many, "|")
	}
	if typ == "" {
		typ = "any" // oneOf/anyOf or no type at all
	}
	return typ, ref
}

func (d *TypeDescription) writeText(w io.Writer) error {
	fmt.Fprintln(w, d.TypeName)
	if d.Description != "" {
		fmt.Fprintln(w, d.Description)
	}
	if g := d.Go; g != nil {
		fmt.Fprintf(w, "\nGo: %s(app, logicalID, %s{...}) returns %s (import %q)\n", g.Function, g.Props, g.Resource, g.ImportPath)
	}
	fmt.Fprintln(w)
	// Every row has every cell, so that tabwriter aligns each column over
	// the whole table; the padding an empty last cell leaves is trimmed.
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PROPERTY\tTYPE\tFLAGS\tGO FIELD\tVALUES")
	writeRows(tw, d.Properties, "")
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing the property table: %w", err)
	}
	for _, line := range strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n") {
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "primary identifier: %s\n", strings.Join(d.PrimaryIdentifier, ", "))
	var timeouts []string
	for _, op := range []string{"create", "read", "update", "delete", "list"} {
		if m, ok := d.HandlerTimeoutMinutes[op]; ok {
			timeouts = append(timeouts, fmt.Sprintf("%s %dm", op, m))
		}
	}
	if len(timeouts) == 0 {
		timeouts = []string{"none in the schema"}
	}
	fmt.Fprintf(w, "handler timeouts: %s\n", strings.Join(timeouts, ", "))
	switch t := d.Tagging; {
	case t == nil:
		fmt.Fprintln(w, "tagging: not taggable")
	default:
		var how []string
		if t.TagOnCreate {
			how = append(how, "on create")
		}
		if t.TagUpdatable {
			how = append(how, "updatable")
		}
		prop := t.Property
		if prop == "" {
			prop = "(no tag property)"
		}
		if len(how) > 0 {
			prop += " (" + strings.Join(how, ", ") + ")"
		}
		fmt.Fprintf(w, "tagging: %s\n", prop)
	}
	return nil
}

// writeRows writes one table row per property, nested properties after
// their parent and indented.
func writeRows(tw io.Writer, props []PropertyInfo, indent string) {
	for _, p := range props {
		typ := p.Type
		switch {
		case p.Items != "":
			typ = "array of " + p.Items
		case p.Ref != "":
			typ = p.Ref + " (" + p.Type + ")"
		}
		var flags []string
		for _, f := range []struct {
			on   bool
			name string
		}{
			{p.Required, "required"}, {p.CreateOnly, "createOnly"}, {p.ReadOnly, "readOnly"},
			{p.WriteOnly, "writeOnly"}, {p.PrimaryIdentifier, "primaryIdentifier"},
		} {
			if f.on {
				flags = append(flags, f.name)
			}
		}
		if len(flags) == 0 {
			flags = []string{"-"}
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\n", indent, p.Name, typ, strings.Join(flags, ", "),
			strings.TrimSpace(p.GoName+" "+p.GoType), strings.Join(p.Values, ", "))
		writeRows(tw, p.Properties, indent+"  ")
	}
}
