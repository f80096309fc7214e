package engine

import (
	"context"
	"testing"

	"github.com/athanor-iac/athanor/state"
)

// A Home scope (a role or profile into the run's own account and region)
// is the run's own: the same place as a record without a scope and as
// one that names the account and region (another stage's, run from
// elsewhere), and not the same as another account's.
func TestSameScopeHome(t *testing.T) {
	ctx := context.Background()
	viaRole := &state.Scope{Account: "111111111111", Region: "us-east-1", RoleARN: "arn:aws:iam::111111111111:role/Deploy", Home: true}
	named := &state.Scope{Account: "111111111111", Region: "us-east-1"}
	other := &state.Scope{Account: "222222222222", Region: "us-east-1"}
	home := func(context.Context) (string, error) { return "111111111111/us-east-1", nil }
	for _, tc := range []struct {
		name string
		a, b *state.Scope
		same bool
	}{
		{"the run's own", viaRole, nil, true},
		{"named", viaRole, named, true},
		{"named, the other way round", named, viaRole, true},
		{"another account", viaRole, other, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &Engine{opts: Options{Home: home}}
			if got := e.samePlace(ctx, scopePlace(tc.a), scopePlace(tc.b)); got != tc.same {
				t.Fatalf("samePlace(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.same)
			}
		})
	}
}

// A move out of a Home scope is named as a move from the run's own.
func TestMovedScopeFromHome(t *testing.T) {
	c := Change{Action: NoOp}
	rec := &state.Record{Identifier: "lg", Scope: &state.Scope{Account: "111111111111", Region: "us-east-1", RoleARN: "arn:aws:iam::111111111111:role/Deploy", Home: true}}
	movedScope(&c, rec, &state.Scope{Account: "222222222222", Region: "us-east-1"})
	if want := "moves from the run's own account and region to 222222222222/us-east-1"; c.Action != Replace || c.Reason != want {
		t.Fatalf("change %+v, want a replacement because it %s", c, want)
	}
}
