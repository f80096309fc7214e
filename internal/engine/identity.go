package engine

import (
	"github.com/athanor-iac/athanor/internal/typerules"
	"github.com/athanor-iac/athanor/schema"
	"github.com/athanor-iac/athanor/state"
)

// identity is what makes a resource of sc's type that one resource among
// all others of the type, as far as props tell: the identity under the
// type's rules when it has one (typerules.Identity: for a flow log its
// configuration, since EC2 refuses a second flow log with one), otherwise
// the primary identifier when props set it (a name the user chose). ok is
// false when props do not tell, or when what tells is known only after
// apply.
//
// Two resources with one identity cannot exist side by side: a replacement
// must delete the old one first (collides), two declarations cannot both
// be created (check), and a resource the program no longer declares under
// one logical ID is the resource it now declares under another (moves).
func identity(sc *schema.Schema, props map[string]any) (string, bool) {
	var key string
	if rule, ok := identityRule(sc); ok {
		if key = rule.IdentityKey(props); key == "" {
			return "", false
		}
	} else {
		id, ok := sc.Identifier(props)
		if !ok {
			return "", false
		}
		key = id
	}
	if IsUnknown(key) {
		return "", false
	}
	return key, true
}

// identityRule returns the identity rule of sc's type, when its rules in
// internal/typerules have one.
func identityRule(sc *schema.Schema) (typerules.Identity, bool) {
	rule, ok := typerules.Lookup(sc.TypeName).(typerules.Identity)
	return rule, ok
}

// recordIdentity is the identity of the resource a record holds: under
// the type's identity rule, that of its props as last applied (or,
// imported, as AWS reported them); of any other type, the primary
// identifier AWS gave, which is the name for a user-named resource.
func recordIdentity(sc *schema.Schema, rec *state.Record) (string, bool) {
	if rec == nil || rec.Identifier == "" {
		return "", false
	}
	if _, ok := identityRule(sc); !ok {
		return rec.Identifier, true
	}
	props := rec.Props
	if props == nil {
		props = rec.Outputs
	}
	return identity(sc, props)
}

// collides reports whether old and new cannot exist side by side.
func collides(sc *schema.Schema, oldProps, desired map[string]any) bool {
	if sc.ReplacementStrategy == "delete_then_create" {
		return true
	}
	oldKey, ok1 := identity(sc, oldProps)
	newKey, ok2 := identity(sc, desired)
	return ok1 && ok2 && oldKey == newKey
}
