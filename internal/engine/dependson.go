package engine

import (
	"fmt"

	"github.com/athanor-iac/athanor/schema"
)

// explicitDeps is what a declaration named with DependsOn.
type explicitDeps struct {
	typeName string
	deps     []string
}

// noteDependsOn remembers a declaration's DependsOn for CheckDependsOn.
// Callers hold mu.
func (e *Engine) noteDependsOn(d Declaration) {
	if len(d.DependsOn) == 0 {
		return
	}
	if e.dependsOn == nil {
		e.dependsOn = map[string]explicitDeps{}
	}
	e.dependsOn[d.LogicalID] = explicitDeps{typeName: d.Type, deps: d.DependsOn}
}

// CheckDependsOn records a problem for every DependsOn that names a logical
// ID the program did not declare: a dependency on nothing orders nothing,
// and is most likely a typo or a resource left out by mistake. Call it
// after the plan pass, when every declaration is known.
func (e *Engine) CheckDependsOn() {
	e.mu.Lock()
	defer e.mu.Unlock()
	declared := sortedKeys(e.declared)
	for _, id := range sortedKeys(e.dependsOn) {
		d := e.dependsOn[id]
		for _, dep := range d.deps {
			if e.declared[dep] {
				continue
			}
			msg := fmt.Sprintf("DependsOn %q: the program declares no resource with that logical ID", dep)
			if s := schema.Suggest(dep, declared); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			e.problems = append(e.problems, Problem{LogicalID: id, Type: d.typeName, Message: msg})
		}
	}
}
