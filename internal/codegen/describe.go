package codegen

import (
	"fmt"
	"strings"
)

// TypeInfo is the Go side of one resource type as athanor-gen writes it,
// for `athanor schema`: where a program finds the type, and the Go name
// of every property, nested ones included.
type TypeInfo struct {
	ImportPath string // github.com/athanor-iac/athanor/aws/ec2
	Package    string // ec2
	Function   string // FlowLog
	Props      string // FlowLogProps
	Resource   string // FlowLogResource
	// Fields are the props' fields, then the read-only ones, each in
	// JSON name order.
	Fields []FieldInfo
}

// FieldInfo is one property's Go field.
type FieldInfo struct {
	JSONName string
	GoName   string
	GoType   string // as written in a program: *ec2.FlowLogDestinationOptions
	JSONType string // string, integer, number, boolean, object, array, any
	Required bool
	// Path is the property's JSON pointer in the schema's terms
	// (/properties/DestinationOptions/FileFormat, /* for array items).
	Path string
	// Values are a string enum's values.
	Values []string
	// Fields are an object's fields (or those of an array's objects);
	// empty where the object repeats one it is inside of.
	Fields []FieldInfo
}

// Describe returns the Go names of typeName's properties, allocated over
// its whole service exactly as Generate allocates them.
func Describe(reg Source, typeName string) (*TypeInfo, error) {
	parts := strings.Split(typeName, "::")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%q is not a type name like AWS::EC2::FlowLog", typeName)
	}
	var types []string
	for _, t := range reg.TypeNames() {
		if p := strings.Split(t, "::"); len(p) == 3 && p[1] == parts[1] {
			types = append(types, t)
		}
	}
	p, err := buildPackage(reg, parts[1], types)
	if err != nil {
		return nil, err
	}
	for _, rt := range p.Types {
		if rt.TypeName != typeName {
			continue
		}
		info := &TypeInfo{ImportPath: "github.com/athanor-iac/athanor/aws/" + p.Name, Package: p.Name, Function: rt.Name, Props: rt.PropsName, Resource: rt.ResourceName}
		structs := map[string]*decl{}
		for _, d := range rt.Decls {
			if !d.Enum {
				structs[d.Name] = d
			}
		}
		d := describer{p: p, rt: rt, structs: structs, inside: map[string]bool{}}
		info.Fields = append(d.fields(rt.PropsName, rt.Props, "/properties"), d.fields(rt.ResourceName, rt.Outputs, "/properties")...)
		return info, nil
	}
	return nil, fmt.Errorf("no schema for %s", typeName)
}

type describer struct {
	p       *pkg
	rt      *resourceType
	structs map[string]*decl
	inside  map[string]bool // the structs being described, against recursion
}

func (d describer) fields(owner string, fs []field, path string) []FieldInfo {
	var out []FieldInfo
	for _, f := range fs {
		fi := FieldInfo{JSONName: f.JSONName, GoName: f.GoName, GoType: d.p.qualifiedField(f), JSONType: jsonType(f.Type), Required: f.Required, Path: path + "/" + f.JSONName}
		for _, dc := range d.rt.Decls {
			if dc.Enum && dc.Doc == owner+"."+f.GoName {
				for _, c := range dc.Consts {
					fi.Values = append(fi.Values, c.Value)
				}
			}
		}
		t, sub := f.Type, fi.Path
		for t.kind == kSlice || t.kind == kMap {
			t, sub = t.elem, sub+"/*"
		}
		if s := d.structs[t.name]; t.kind == kStruct && s != nil && !d.inside[s.Name] {
			d.inside[s.Name] = true
			fi.Fields = d.fields(s.Name, s.Fields, sub)
			delete(d.inside, s.Name)
		}
		out = append(out, fi)
	}
	return out
}

// qualifiedField is a field's type as a program writes it.
func (p *pkg) qualifiedField(f field) string {
	t := p.qualified(f.Type)
	if strings.HasPrefix(f.fieldType(), "*") {
		return "*" + t
	}
	return t
}

func jsonType(t *goType) string {
	switch t.kind {
	case kString:
		return "string"
	case kInt:
		return "integer"
	case kFloat:
		return "number"
	case kBool:
		return "boolean"
	case kObject, kMap, kStruct, kTag:
		return "object"
	case kSlice:
		return "array"
	}
	return "any"
}
