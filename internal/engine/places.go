package engine

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/athanor-iac/athanor/state"
)

// place is what the state store tells of the account and region a
// resource is in, for deciding whether two records hold one resource. A
// record declared through a scope is where its scope says. A record
// without one is in the account and region of the runs of its stage,
// which the store does not say: what its ARN names, when AWS gave it
// one, tells; otherwise it is taken to be the run's own (known false).
// An empty account or region is one nothing tells.
type place struct {
	account, region string
	known           bool
}

// scopePlace is the place of scope s: the run's own for nil.
func scopePlace(s *state.Scope) place {
	if s == nil {
		return place{}
	}
	return place{account: s.Account, region: s.Region, known: true}
}

// recordPlace is the place of a record's resource: its scope, or, for a
// record without one, what its ARNs name. The record's Scope is left as
// it is: a record does not move for being read so.
func recordPlace(r *state.Record) place {
	if r.Scope != nil {
		return scopePlace(r.Scope)
	}
	return arnPlace(r.Type, r.Identifier, r.Outputs)
}

// arnPlace is the account and region the ARNs of a resource name: its
// identifier when it is one, and the read-only properties of outputs
// (those AWS sets, such as a log group's Arn) that are ARNs. Properties
// the program sets are not read, since they may name another account's
// resource (a role to assume, a key to use). An account or region on
// which the ARNs disagree is left unknown.
func arnPlace(typeName, identifier string, outputs map[string]any) place {
	values := []any{identifier}
	if sc := schemaOf(typeName); sc != nil && len(outputs) > 0 {
		for _, name := range sc.ReadOnlyNames() {
			values = append(values, outputs[name])
		}
	}
	var accounts, regions []string
	for _, v := range values {
		s, ok := v.(string)
		if !ok || !arn.IsARN(s) {
			continue
		}
		a, err := arn.Parse(s)
		if err != nil {
			continue
		}
		accounts, regions = append(accounts, a.AccountID), append(regions, a.Region)
	}
	p := place{account: agreed(accounts), region: agreed(regions)}
	p.known = p.account != "" || p.region != ""
	return p
}

// agreed is the one value of vs that is not "", or "" when there are
// none or more than one.
func agreed(vs []string) string {
	out := ""
	for _, v := range vs {
		switch {
		case v == "" || v == out:
		case out == "":
			out = v
		default:
			return ""
		}
	}
	return out
}

// samePlace reports whether resources at a and b can be one resource: no
// account and no region that both tell differs, a place not known being
// the run's own (Options.Home). Where the run's own is not known, a place
// not known may be any: the checks that use this refuse rather than risk
// a resource another record holds.
func (e *Engine) samePlace(ctx context.Context, a, b place) bool {
	if !a.known && !b.known {
		return true
	}
	if !a.known || !b.known {
		home := e.homeKey(ctx)
		if home == "" {
			return true
		}
		acct, region, _ := strings.Cut(home, "/")
		h := place{account: acct, region: region, known: true}
		if !a.known {
			a = h
		} else {
			b = h
		}
	}
	return (a.account == "" || b.account == "" || a.account == b.account) &&
		(a.region == "" || b.region == "" || a.region == b.region)
}
