package athanor

import (
	"time"

	"github.com/athanor-iac/athanor/internal/engine"
)

// ResourceOption tunes one declaration. Options are made only by this
// package's functions ([DependsOn], [Protect], [RetainOnDelete],
// [IgnoreChanges], [ReplaceOnChanges], [DeleteBeforeReplace], [Timeout],
// [Aliases], [Import]),
// and every declaration takes them: App.Resource and each generated
// function of the aws/ packages. docs/resource-options.md shows each.
type ResourceOption interface{ applyResource(*resourceOptions) }

type resourceOptions struct {
	dependsOn []string
	engine    engine.ResourceOptions
}

type optionFunc func(*resourceOptions)

func (f optionFunc) applyResource(o *resourceOptions) { f(o) }

// Identified is anything with a logical ID, such as *Resource and the
// typed resources of the aws/ packages.
type Identified interface{ ResourceID() string }

// DependsOn makes a resource depend on others even when none of its
// properties refers to them: it is created after them and deleted before
// them. Dependencies through property values (an ID or ARN passed from one
// resource into another) are found without it.
func DependsOn(rs ...Identified) ResourceOption {
	return optionFunc(func(o *resourceOptions) {
		for _, r := range rs {
			o.dependsOn = append(o.dependsOn, r.ResourceID())
		}
	})
}

// Protect refuses every plan that would delete or replace the resource: a
// changed createOnly property, a declaration removed from the program, and
// destroy. The plan fails before anything is sent, naming the resource.
// The option is kept in state, so removing the resource's code does not
// delete it; removing Protect() from the declaration (and running up) is
// the way out.
func Protect() ResourceOption {
	return optionFunc(func(o *resourceOptions) { o.engine.Protect = true })
}

// RetainOnDelete leaves the resource in AWS when a run would delete it
// (its declaration removed, destroy, or a replacement's old resource): it
// is only removed from state, and the plan says so. Like Protect, the
// option is kept in state. Take the resource back with `athanor import`.
func RetainOnDelete() ResourceOption {
	return optionFunc(func(o *resourceOptions) { o.engine.RetainOnDelete = true })
}

// IgnoreChanges names property paths, JSON-pointer style relative to the
// properties ("Tags", "Tags/0/Value", "LogFormat"), whose differences
// never cause an update or a replacement: neither a change in the program
// nor a change made outside it (drift) is planned or undone there. The
// program's values are used when the resource is created.
func IgnoreChanges(paths ...string) ResourceOption {
	return optionFunc(func(o *resourceOptions) { o.engine.IgnoreChanges = append(o.engine.IgnoreChanges, paths...) })
}

// ReplaceOnChanges names property paths (as for IgnoreChanges; "*" is any
// property) whose changes replace the resource instead of updating it in
// place, for properties AWS can update but whose change the resource's
// users cannot follow.
func ReplaceOnChanges(paths ...string) ResourceOption {
	return optionFunc(func(o *resourceOptions) { o.engine.ReplaceOnChanges = append(o.engine.ReplaceOnChanges, paths...) })
}

// DeleteBeforeReplace makes a replacement delete the old resource before
// creating the new one. By default the new one is created first, so that
// dependents always have one; this order is for resources whose new copy
// would collide with the old (a fixed name the schema does not reveal).
func DeleteBeforeReplace() ResourceOption {
	return optionFunc(func(o *resourceOptions) { o.engine.DeleteBeforeReplace = true })
}

// Timeout bounds each operation on the resource (create, update, delete,
// waiting included), overriding the run's --timeout and
// $ATHANOR_OPERATION_TIMEOUT. An operation past it fails, and its request
// stays recorded for the next run to pick up.
func Timeout(d time.Duration) ResourceOption {
	return optionFunc(func(o *resourceOptions) { o.engine.Timeout = d })
}

// Aliases names logical IDs the resource had before: when the program
// renames a resource, a record under an alias that the program no longer
// declares is renamed to the new ID (the plan shows "moved: old → new"),
// and nothing is created or deleted. Renames that keep the resource's
// identity (the same user-chosen name) are found without it; Aliases is
// for the others. Keep the alias until every stage has run once.
func Aliases(oldIDs ...string) ResourceOption {
	return optionFunc(func(o *resourceOptions) { o.engine.Aliases = append(o.engine.Aliases, oldIDs...) })
}

// Import takes over the existing resource with this primary identifier
// on the first run that declares it, instead of creating one, as
// `athanor import` does: properties AWS can update are then made to match
// the program, and a difference in one it cannot (createOnly) makes the
// plan fail, listing the differences, before anything is sent. A resource
// another record already manages is refused. Once the resource is in
// state the option has no effect; it may stay or go.
func Import(identifier string) ResourceOption {
	return optionFunc(func(o *resourceOptions) { o.engine.Import = identifier })
}
