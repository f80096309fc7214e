// Package propcheck checks the properties a program declares for a resource
// before anything is sent to AWS: against the type's CloudFormation schema,
// then against the service rules the schema cannot express (for
// AWS::EC2::FlowLog, EC2's CreateFlowLogs rules). The engine and the
// `athanor validate` command share it, so both say the same thing.
package propcheck

import (
	"fmt"
	"strings"

	"github.com/athanor-iac/athanor/internal/flowlogrules"
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
	if typeName == "AWS::EC2::FlowLog" {
		for _, p := range flowlogrules.Check(props) {
			// One message a property: the schema's already says what to
			// change, and a value known only after apply cannot be judged.
			if flagged[p.Property] || containsUnknown(props[p.Property], unknown) {
				continue
			}
			msg := strings.TrimSuffix(p.Message, ".")
			if p.Fix != "" {
				msg += "; " + p.Fix
			}
			if !strings.HasPrefix(msg, p.Property) {
				msg = fmt.Sprintf("%s: %s", p.Property, msg)
			}
			out = append(out, Problem{Property: p.Property, Message: msg})
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
