// Package coverage reports which VPCs of an organisation have a flow log
// that meets a compliance policy, per account and region, as a table and
// as JSON. It is what AWS Config's vpc-flow-logs-enabled rule (CIS AWS
// Foundations 3.9, Security Hub EC2.6) checks, narrowed to a policy a
// central log archive needs: the flow log must deliver to the central
// bucket and capture the traffic type the policy names.
//
// It works on what lookups return (ec2.ListVPCs and ec2.ListFlowLogs in
// each scope; see [FromLookups]), so a program can report before it
// declares anything and decide which VPCs still need a flow log.
//
// A flow log that someone else made and that already meets the policy
// covers its VPC: a program should leave it alone rather than declare a
// second one, which EC2 refuses anyway (FlowLogAlreadyExists: same VPC,
// same destination). Leaving it, rather than adopting it, keeps the
// program from deleting a flow log its owner relies on when the program
// is destroyed.
package coverage

import (
	"sort"
	"strings"
)

// Policy is what a flow log must do to cover its VPC.
type Policy struct {
	// Bucket is the ARN of the S3 bucket flow logs must deliver to,
	// arn:aws:s3:::NAME; a LogDestination in a folder of it
	// (arn:aws:s3:::NAME/prefix/) counts too.
	Bucket string
	// TrafficType the flow log must capture; empty means ALL. A flow log
	// capturing ALL meets a policy of ACCEPT or REJECT as well.
	TrafficType string
	// Managed, when it returns true, marks a flow log as the reporting
	// program's own (say, by a tag), so the report tells them from
	// flow logs made by others. Nil: none is the program's.
	Managed func(FlowLog) bool
}

// FlowLog is what coverage needs of a flow log.
type FlowLog struct {
	ID                 string            `json:"id"`
	ResourceID         string            `json:"resourceId"`
	ResourceType       string            `json:"resourceType"`
	TrafficType        string            `json:"trafficType"`
	LogDestinationType string            `json:"logDestinationType"`
	LogDestination     string            `json:"logDestination"`
	Tags               map[string]string `json:"tags,omitempty"`
}

// Scope is one account and region with its VPCs and flow logs.
type Scope struct {
	Account  string
	Region   string
	VPCs     []string
	FlowLogs []FlowLog
}

// Meets reports whether fl covers the VPC it watches under p.
func (p Policy) Meets(fl FlowLog) bool {
	if fl.ResourceType != "VPC" || fl.LogDestinationType != "s3" {
		return false
	}
	if fl.LogDestination != p.Bucket && !strings.HasPrefix(fl.LogDestination, strings.TrimSuffix(p.Bucket, "/")+"/") {
		return false
	}
	want := p.TrafficType
	if want == "" {
		want = "ALL"
	}
	return fl.TrafficType == "ALL" || fl.TrafficType == want
}

// VPC is one VPC's coverage.
type VPC struct {
	ID      string `json:"id"`
	Covered bool   `json:"covered"`
	// FlowLog is the flow log that covers it, the program's own first.
	FlowLog string `json:"flowLog,omitempty"`
	// ByOthers says the covering flow log is not the program's.
	ByOthers bool `json:"byOthers,omitempty"`
}

// ScopeReport is the coverage of one account and region.
type ScopeReport struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Total   int    `json:"vpcs"`
	Covered int    `json:"covered"`
	VPCs    []VPC  `json:"vpcDetails"`
}

// Uncovered returns the IDs of the scope's VPCs without a flow log that
// meets the policy.
func (s ScopeReport) Uncovered() []string {
	var out []string
	for _, v := range s.VPCs {
		if !v.Covered {
			out = append(out, v.ID)
		}
	}
	return out
}

// Skipped is an account, or one region of it, that was not looked at and
// why: an account that is SUSPENDED or PENDING_CLOSURE cannot be entered
// (STS refuses its roles), so its VPCs are neither covered nor uncovered.
// A report lists them so that a compliance reader sees the gap rather
// than a total that quietly leaves them out.
type Skipped struct {
	Account string `json:"account"`
	// Region is empty when the whole account was skipped.
	Region string `json:"region,omitempty"`
	Reason string `json:"reason"`
}

// Report is the coverage of every scope, sorted by account and region.
// Total, Covered and Percent count the scopes looked at; Skipped lists
// what was not, sorted by account and region.
type Report struct {
	Total   int           `json:"vpcs"`
	Covered int           `json:"covered"`
	Percent float64       `json:"percent"`
	Scopes  []ScopeReport `json:"scopes"`
	Skipped []Skipped     `json:"skipped,omitempty"`
}

// Compute reports the coverage of scopes under p, listing skipped as not
// looked at.
func Compute(p Policy, scopes []Scope, skipped ...Skipped) Report {
	r := Report{Skipped: append([]Skipped(nil), skipped...)}
	sort.Slice(r.Skipped, func(i, j int) bool {
		a, b := r.Skipped[i], r.Skipped[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		return a.Region < b.Region
	})
	for _, sc := range scopes {
		r.Scopes = append(r.Scopes, computeScope(p, sc))
	}
	sort.Slice(r.Scopes, func(i, j int) bool {
		a, b := r.Scopes[i], r.Scopes[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		return a.Region < b.Region
	})
	for _, s := range r.Scopes {
		r.Total += s.Total
		r.Covered += s.Covered
	}
	r.Percent = 100
	if r.Total > 0 {
		r.Percent = float64(r.Covered) * 100 / float64(r.Total)
	}
	return r
}

func computeScope(p Policy, sc Scope) ScopeReport {
	out := ScopeReport{Account: sc.Account, Region: sc.Region, Total: len(sc.VPCs)}
	covering := map[string]FlowLog{} // VPC → the flow log that covers it, the program's preferred
	for _, fl := range sc.FlowLogs {
		if !p.Meets(fl) {
			continue
		}
		if prev, ok := covering[fl.ResourceID]; ok && (p.managed(prev) || !p.managed(fl)) && prev.ID <= fl.ID {
			continue
		}
		covering[fl.ResourceID] = fl
	}
	vpcs := append([]string(nil), sc.VPCs...)
	sort.Strings(vpcs)
	for _, id := range vpcs {
		v := VPC{ID: id}
		if fl, ok := covering[id]; ok {
			v.Covered, v.FlowLog, v.ByOthers = true, fl.ID, !p.managed(fl)
			out.Covered++
		}
		out.VPCs = append(out.VPCs, v)
	}
	return out
}

func (p Policy) managed(fl FlowLog) bool { return p.Managed != nil && p.Managed(fl) }
