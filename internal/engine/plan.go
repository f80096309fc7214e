package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/athanor-iac/athanor/schema"
	"github.com/athanor-iac/athanor/state"
)

// Action is what a run does to one resource.
type Action string

// Actions, with the symbols plans show.
const (
	NoOp    Action = "no-op"
	Create  Action = "create"
	Update  Action = "update"
	Replace Action = "replace"
	Delete  Action = "delete"
	// Forget removes a resource from state and leaves it in AWS: a delete
	// of a resource declared with RetainOnDelete.
	Forget Action = "forget"
	// Adopted and Moved appear in progress events only: an existing
	// resource taken over by a create (--adopt), a record renamed
	// (Change.MovedFrom).
	Adopted Action = "adopted"
	Moved   Action = "moved"
)

// Symbol is the one-glyph marker of an action in a plan.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "+"
	case Update:
		return "~"
	case Replace:
		return "-/+"
	case Delete:
		return "-"
	case Forget:
		return "⊘"
	case Moved:
		return "→"
	}
	return " "
}

// removes reports whether the action takes a resource out of state.
func (a Action) removes() bool { return a == Delete || a == Forget }

// PropDiff is one property's change.
type PropDiff struct {
	Name   string `json:"name"`
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
	// Unknown says the new value is known only after apply.
	Unknown bool `json:"unknown,omitempty"`
	// ForcesReplacement says the property is createOnly.
	ForcesReplacement bool `json:"forcesReplacement,omitempty"`
	// Sensitive says the property holds a secret: Before and After show
	// "(sensitive)" in its place.
	Sensitive bool `json:"sensitive,omitempty"`
}

// Change is the plan for one resource.
type Change struct {
	LogicalID string `json:"logicalId"`
	Type      string `json:"type"`
	// Scope is "ACCOUNT/REGION" for a resource outside the run's own
	// account and region (see athanor.Scope); for a replacement that moves
	// it, where it goes.
	Scope      string `json:"scope,omitempty"`
	Action     Action `json:"action"`
	Reason     string `json:"reason,omitempty"`
	Identifier string `json:"identifier,omitempty"`
	// MovedFrom is the logical ID the resource had: the program renamed
	// it, and the run renames its record instead of creating and deleting.
	MovedFrom string `json:"movedFrom,omitempty"`
	// Import is the identifier of the existing resource the run takes
	// over for this declaration (athanor.Import), on its first run.
	Import string     `json:"import,omitempty"`
	Diffs  []PropDiff `json:"diffs,omitempty"`
	// Ignored are the IgnoreChanges paths where the program or the
	// resource differ: left as the resource has them.
	Ignored []string `json:"ignored,omitempty"`
	// Protected says the resource is declared with Protect (a plan that
	// deletes or replaces it fails instead).
	Protected bool `json:"protected,omitempty"`
	// Retain says the resource a delete or replacement removes is left in
	// AWS and only dropped from state (RetainOnDelete).
	Retain bool `json:"retain,omitempty"`
	// DeleteBeforeReplace says a replacement deletes the old resource
	// before creating the new one.
	DeleteBeforeReplace bool `json:"deleteBeforeReplace,omitempty"`
	// HeldBy, on a delete, is another record of the state store that
	// holds the same resource: the run refuses the delete, leaving the
	// resource and both records alone, and fails once the rest is done
	// (*HeldDeleteError). On a replace, the record that holds the old
	// resource too: the run creates the new one and, instead of deleting
	// the old one, leaves it to that record, and fails the same way.
	HeldBy *Holder `json:"heldBy,omitempty"`
	// Leftovers are the resources an earlier run's replacement left
	// behind, which the record still lists: the run deletes them too.
	Leftovers []Leftover `json:"leftovers,omitempty"`
}

// Changes reports whether c changes anything: an action, a move, an
// import, or a leftover of an earlier replacement to delete.
func (c Change) Changes() bool {
	return c.Action != NoOp || c.MovedFrom != "" || c.Import != "" || len(c.Leftovers) > 0
}

// diff compares declared props with what was last applied and decides the
// action. Values known only after apply count as changed.
func diff(sc *schema.Schema, rec *state.Record, desired map[string]any) Change {
	c := Change{Type: sc.TypeName}
	if rec == nil || (rec.Identifier == "" && len(rec.Superseded) == 0 && rec.Pending == nil) {
		c.Action = Create
		for _, name := range sortedKeys(desired) {
			c.Diffs = append(c.Diffs, PropDiff{Name: name, After: desired[name], Unknown: IsUnknown(desired[name])})
		}
		return c
	}
	c.Identifier = rec.Identifier
	if rec.Identifier == "" {
		// A create or replacement that never finished: finish it.
		c.Action, c.Reason = Create, "an earlier run did not finish creating it"
		return c
	}
	before := rec.Props
	if before == nil {
		// An imported resource: nothing was declared yet, so compare the
		// declared properties with what AWS reports, and let AWS's other
		// properties be.
		before = importedBefore(sc, rec.Outputs, desired)
	}
	names := map[string]bool{}
	for k := range desired {
		names[k] = true
	}
	for k := range before {
		names[k] = true
	}
	var forcing []string
	for _, name := range sortedKeys(names) {
		old, hadBefore := before[name]
		after, hasAfter := desired[name]
		if hadBefore == hasAfter && equal(old, after) && !IsUnknown(after) {
			continue
		}
		d := PropDiff{Name: name, Before: old, After: after, Unknown: IsUnknown(after)}
		if sc.IsCreateOnly("/properties/" + name) {
			d.ForcesReplacement = true
			forcing = append(forcing, name)
		}
		c.Diffs = append(c.Diffs, d)
	}
	switch {
	case len(c.Diffs) == 0:
		c.Action = NoOp
	case len(forcing) > 0:
		c.Action = Replace
		verb := "forces"
		if len(forcing) > 1 {
			verb = "force"
		}
		c.Reason = fmt.Sprintf("%s %s replacement", strings.Join(forcing, ", "), verb)
	default:
		c.Action = Update
	}
	return c
}

// importedBefore is what an imported resource counts as having been
// declared with: the declared properties as AWS reports them. A declared
// property a read cannot return (write-only, or empty; see unread) cannot
// be compared: the program's value is taken. Any other declared property
// AWS does not report is missing and will be set. Reads leave the tag
// property out when there are no tags: that is no tags, or declared tags
// would never be applied.
func importedBefore(sc *schema.Schema, outputs, desired map[string]any) map[string]any {
	tags := ""
	if t := sc.Tagging; t != nil && t.Taggable {
		tags = schema.PropertyName(t.TagProperty)
	}
	before := map[string]any{}
	for k, d := range desired {
		if v, ok := outputs[k]; ok {
			before[k] = v
		} else if k != tags && unread(sc, k, d) {
			before[k] = d
		}
	}
	return before
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
