// Package propcheck checks the properties a program declares for a resource
// before anything is sent to AWS: against the type's CloudFormation schema,
// then against the service rules the schema cannot express, which the
// type's rules in internal/typerules give. The engine and the `athanor
// validate` command share it, so both say the same thing.
package propcheck

import (
	"github.com/athanor-iac/athanor/internal/typerules"
	_ "github.com/athanor-iac/athanor/internal/typerules/standard" // every type's rules
	"github.com/athanor-iac/athanor/schema"
)

// Problem is one mistake in a resource's declared properties.
type Problem struct {
	// Property is the top-level property concerned, "" for the resource as
	// a whole.
	Property string
	// Message says what is wrong and how to fix it.
	Message string
}

func (p Problem) String() string { return p.Message }

// Check returns every problem with props for typeName, schema problems
// first. unknown, when set, marks values that are known only after apply;
// those are not judged. The error is for a type with no schema or a schema
// that does not compile, never for bad props.
func Check(typeName string, props map[string]any, unknown func(any) bool) ([]Problem, error) {
	sc, err := schema.Default().Lookup(typeName)
	if err != nil {
		return nil, err
	}
	return CheckSchema(sc, props, unknown)
}

// CheckSchema is Check for a schema already looked up.
func CheckSchema(sc *schema.Schema, props map[string]any, unknown func(any) bool) ([]Problem, error) {
	vs, err := sc.Validate(props, schema.ValidateOptions{Mode: schema.ForPartial, Unknown: unknown})
	if err != nil {
		return nil, err
	}
	var out []Problem
	flagged := map[string]bool{}
	for _, v := range vs {
		out = append(out, Problem{Property: v.Property, Message: v.Message})
		flagged[v.Property] = true
	}
	if c, ok := typerules.Lookup(sc.TypeName).(typerules.Checker); ok {
		for _, p := range c.Check(props) {
			// One message a property: the schema's already says what to
			// change, and a value known only after apply cannot be judged.
			if flagged[p.Property] || containsUnknown(props[p.Property], unknown) {
				continue
			}
			out = append(out, Problem{Property: p.Property, Message: p.Message})
		}
	}
	return out, nil
}

func containsUnknown(v any, unknown func(any) bool) bool {
	if unknown == nil || v == nil {
		return false
	}
	if unknown(v) {
		return true
	}
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			if containsUnknown(e, unknown) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if containsUnknown(e, unknown) {
				return true
			}
		}
	}
	return false
}
