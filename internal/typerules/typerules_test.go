package typerules_test

import (
	"slices"
	"testing"

	"github.com/athanor-iac/athanor/internal/typerules"
	_ "github.com/athanor-iac/athanor/internal/typerules/standard"
)

type named string

func (n named) TypeName() string { return string(n) }

func TestRegistry(t *testing.T) {
	if !slices.Contains(typerules.Types(), "AWS::EC2::FlowLog") {
		t.Fatalf("standard registers %q; want the flow log's rules among them", typerules.Types())
	}
	if _, ok := typerules.Lookup("AWS::EC2::FlowLog").(typerules.Identity); !ok {
		t.Error("the flow log's rules have no Identity")
	}
	if _, ok := typerules.Lookup("AWS::EC2::FlowLog").(typerules.Checker); !ok {
		t.Error("the flow log's rules have no Checker")
	}
	if r := typerules.Lookup("AWS::Logs::LogGroup"); r != nil {
		t.Errorf("a type without rules has %v", r)
	}
	if _, ok := typerules.IdentityOf("AWS::Logs::LogGroup", map[string]any{"LogGroupName": "g"}); ok {
		t.Error("a type without rules has an identity")
	}
	typerules.Register(named("Test::Only::Once"))
	for _, r := range []typerules.Rules{nil, named(""), named("Test::Only::Once")} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%v) did not panic", r)
				}
			}()
			typerules.Register(r)
		}()
	}
}
