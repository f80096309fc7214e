package localcc

import (
	"encoding/json"
	"regexp"
	"strings"
)

// trusts evaluates a role's trust policy (AssumeRolePolicyDocument) for an
// sts:AssumeRole call by c with externalID: an explicit Deny that applies
// wins, otherwise an Allow must apply. A statement applies when its action
// covers sts:AssumeRole, its AWS principal admits the caller (the account
// ID, the account's root ARN, "*", or the caller's role or session ARN) and
// its conditions hold. Conditions on sts:ExternalId and aws:PrincipalAccount
// with StringEquals or StringLike are understood; a statement with any
// other condition does not apply, so that the endpoint never admits what
// AWS might refuse.
func trusts(doc any, c caller, externalID string) bool {
	pol, ok := policyObject(doc)
	if !ok {
		return false
	}
	allowed := false
	for _, st := range asList(pol["Statement"]) {
		m, ok := st.(map[string]any)
		if !ok || !statementApplies(m, c, externalID) {
			continue
		}
		switch m["Effect"] {
		case "Deny":
			return false
		case "Allow":
			allowed = true
		}
	}
	return allowed
}

// policyObject accepts a policy as a JSON object or as a string holding
// one, the two forms the schema allows.
func policyObject(doc any) (map[string]any, bool) {
	switch d := doc.(type) {
	case map[string]any:
		return d, true
	case string:
		var m map[string]any
		if err := json.Unmarshal([]byte(d), &m); err != nil {
			return nil, false
		}
		return m, true
	}
	return nil, false
}

func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func statementApplies(st map[string]any, c caller, externalID string) bool {
	actionOK := false
	for _, a := range asList(st["Action"]) {
		if s, _ := a.(string); strings.EqualFold(s, "sts:AssumeRole") || s == "sts:*" || s == "*" {
			actionOK = true
		}
	}
	return actionOK && principalAdmits(st["Principal"], c) && conditionsHold(st["Condition"], c, externalID)
}

func principalAdmits(p any, c caller) bool {
	if p == "*" {
		return true
	}
	m, ok := p.(map[string]any)
	if !ok {
		return false
	}
	for _, v := range asList(m["AWS"]) {
		s, _ := v.(string)
		switch {
		case s == "*", s == c.Account, s == "arn:aws:iam::"+c.Account+":root":
			return true
		case c.session != nil && (s == c.session.RoleARN || s == c.ARN):
			return true
		}
	}
	return false
}

func conditionsHold(cond any, c caller, externalID string) bool {
	if cond == nil {
		return true
	}
	ops, ok := cond.(map[string]any)
	if !ok {
		return false
	}
	for op, keys := range ops {
		km, ok := keys.(map[string]any)
		if !ok || (op != "StringEquals" && op != "StringLike") {
			return false
		}
		for key, want := range km {
			var have string
			switch strings.ToLower(key) {
			case "sts:externalid":
				have = externalID
			case "aws:principalaccount":
				have = c.Account
			default:
				return false
			}
			if have == "" || !anyMatch(op, asList(want), have) {
				return false
			}
		}
	}
	return true
}

func anyMatch(op string, wants []any, have string) bool {
	for _, w := range wants {
		s, _ := w.(string)
		if op == "StringEquals" && s == have {
			return true
		}
		if op == "StringLike" && globMatch(s, have) {
			return true
		}
	}
	return false
}

// globMatch is StringLike's matching: * any run of characters, ? any one.
func globMatch(pattern, s string) bool {
	re := regexp.QuoteMeta(pattern)
	re = strings.ReplaceAll(strings.ReplaceAll(re, `\*`, ".*"), `\?`, ".")
	ok, _ := regexp.MatchString("^"+re+"$", s)
	return ok
}
