// Package typerules holds, per resource type, the rules a type's
// CloudFormation schema cannot express: mistakes the service refuses that
// the schema allows, and what the service takes for "the same resource".
// The engine and `athanor validate` find a type's rules here and never name
// a resource type themselves; the next type with special rules is one new
// package that registers itself.
//
// In the manner of database/sql drivers, [Rules] is one method, and every
// ability is an optional interface found by type assertion:
//
//   - [Checker]: problems in declared properties, shown before anything is
//     sent to AWS.
//   - [Identity]: the configuration under which the service refuses a
//     second resource (EC2's FlowLogAlreadyExists). The engine refuses two
//     declarations with one identity, replaces a resource delete-first when
//     the new one would share the old one's identity, and adopts an
//     existing resource by it.
//
// Rule packages call [Register] from init; internal/typerules/standard
// imports all of them, so one blank import makes every rule available.
package typerules

import (
	"fmt"
	"sort"
	"sync"
)

// Rules are the special rules of one resource type.
type Rules interface {
	// TypeName is the CloudFormation type the rules are for, such as
	// "AWS::EC2::FlowLog".
	TypeName() string
}

// Checker is implemented by rules that find mistakes in declared
// properties. Check is given the declared properties as plain JSON values
// and returns every problem, in a stable order. Its caller drops the
// problems of a property whose value is known only after apply, and of a
// property the schema already faults.
type Checker interface {
	Rules
	Check(props map[string]any) []Problem
}

// Problem is one mistake in declared properties.
type Problem struct {
	// Property is the top-level property at fault, "" for the resource as a
	// whole.
	Property string
	// Message says what is wrong and what to write instead.
	Message string
}

// Identity is implemented by rules of a type whose service refuses a
// second resource with the same configuration, although its primary
// identifier is generated.
type Identity interface {
	Rules
	// IdentityKey is the configuration two resources share when the
	// service takes them for the same one; "" when props do not determine
	// it.
	IdentityKey(props map[string]any) string
	// IdentityNames names the properties that make the identity, for
	// advice ("ResourceId, TrafficType or destination").
	IdentityNames() string
	// DuplicateMessage tells a person that a declaration has the identity
	// of the one declared as other, and what to change.
	DuplicateMessage(other string) string
}

// The registry is filled from init functions and read afterwards: a
// global like database/sql's drivers, never changed while the engine runs.
var (
	mu       sync.RWMutex
	registry = map[string]Rules{}
)

// Register makes r the rules of r.TypeName(). It panics on nil rules, an
// empty type name or a second registration for one type: those are
// programming errors found at start-up.
func Register(r Rules) {
	if r == nil || r.TypeName() == "" {
		panic("typerules: Register needs rules with a type name")
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := registry[r.TypeName()]; dup {
		panic(fmt.Sprintf("typerules: Register called twice for %s", r.TypeName()))
	}
	registry[r.TypeName()] = r
}

// Lookup returns the rules of typeName, or nil when it has none.
func Lookup(typeName string) Rules {
	mu.RLock()
	defer mu.RUnlock()
	return registry[typeName]
}

// Types returns the type names that have rules, sorted.
func Types() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// IdentityOf returns the identity key of props under typeName's rules, and
// whether the type has an identity and props determine it.
func IdentityOf(typeName string, props map[string]any) (string, bool) {
	id, ok := Lookup(typeName).(Identity)
	if !ok {
		return "", false
	}
	key := id.IdentityKey(props)
	return key, key != ""
}
