// Package flowlog registers the rules of AWS::EC2::FlowLog that its schema
// cannot express: EC2's CreateFlowLogs rules (internal/flowlogrules, which
// the local endpoint shares) and EC2's notion of the same flow log.
package flowlog

import (
	"fmt"
	"strings"

	"github.com/athanor-iac/athanor/internal/flowlogrules"
	"github.com/athanor-iac/athanor/internal/typerules"
)

func init() { typerules.Register(rules{}) }

type rules struct{}

// Interface guards.
var (
	_ typerules.Checker  = rules{}
	_ typerules.Identity = rules{}
)

func (rules) TypeName() string { return "AWS::EC2::FlowLog" }

// Check returns EC2's problems with the flow log, each with its fix.
func (rules) Check(props map[string]any) []typerules.Problem {
	var out []typerules.Problem
	for _, p := range flowlogrules.Check(props) {
		msg := strings.TrimSuffix(p.Message, ".")
		if p.Fix != "" {
			msg += "; " + p.Fix
		}
		if !strings.HasPrefix(msg, p.Property) {
			msg = fmt.Sprintf("%s: %s", p.Property, msg)
		}
		out = append(out, typerules.Problem{Property: p.Property, Message: msg})
	}
	return out
}

// IdentityKey is EC2's key of a flow log's configuration: resource,
// traffic type and destination; "" without a ResourceId.
func (rules) IdentityKey(props map[string]any) string {
	if _, ok := props["ResourceId"]; !ok {
		return ""
	}
	return flowlogrules.DuplicateKey(props)
}

func (rules) IdentityNames() string { return "ResourceId, TrafficType or destination" }

func (rules) DuplicateMessage(other string) string {
	return fmt.Sprintf("same resource, traffic type and destination as %q; EC2 refuses a second flow log with one configuration (FlowLogAlreadyExists): change one of them or remove one", other)
}
