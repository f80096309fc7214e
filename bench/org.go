package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/athanor-iac/athanor/examples/org-flow-logs/orgflow"
	"github.com/athanor-iac/athanor/localcc"
)

// The organisation of scenario g: 20 accounts (the management account and
// 19 members), 4 regions, 12 VPCs in each account and region, a tenth of
// them already covered by others' flow logs.
var (
	orgMembers = 19
	orgRegions = []string{"us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"}
	orgVPCs    = 12
	orgCovered = 0.1
)

// orgManagement is the management account, where the bench's plain
// access keys act.
const orgManagement = "111111111111"

// scenarioG: examples/org-flow-logs over a generated organisation, each
// account and region throttled at 25/s, T in [3 s, 12 s]; then a rerun
// with no changes.
func scenarioG(c config) (*Result, error) {
	dir := c.dir("g")
	org := localcc.Organization{Accounts: orgMembers, Regions: orgRegions, VPCs: orgVPCs, Covered: orgCovered}
	ep, err := startEndpoint(localcc.Options{
		Seed:          c.seed,
		Account:       orgManagement,
		Latency:       map[string]localcc.Range{flowLogType: c.latency()},
		ThrottleRPS:   c.rps(),
		ThrottleBurst: int(throttle),
		Regions:       orgRegions,
		Org:           &org,
		DataFile:      filepath.Join(dir, "endpoint.json"),
	})
	if err != nil {
		return nil, err
	}
	defer ep.close()
	os.Setenv("AWS_ENDPOINT_URL_STS", ep.srv.URL()) // the program assumes each member's role
	defer os.Unsetenv("AWS_ENDPOINT_URL_STS")
	scopes := (orgMembers + 1) * len(orgRegions)
	vpcs := scopes * orgVPCs
	covered := orgFlowLogs(ep, org)
	n := vpcs - covered
	prog := orgflow.Config{Regions: orgRegions}.Program
	r := &Result{Scenario: "g", Title: fmt.Sprintf("flow logs for an organisation: %d accounts x %d regions x %d VPCs, %d already covered, %d to create; T in [3 s, 12 s], throttle 25/s per account and region",
		orgMembers+1, len(orgRegions), orgVPCs, covered, n), Timescale: c.timescale, Operations: n,
		Target: "wall <= 1.15 x bound, no failure, 100 % covered; rerun <= 2 s"}
	mem := startMemSampler()
	start := time.Now()
	code, out, wall := runProgram(ep.srv.URL(), filepath.Join(dir, "state"), c.parallelism, []string{"up"}, prog)
	r.Memory.GoHeapMB, r.Memory.GoTotalMB, r.Memory.ProcessRSSMB = mem.finish()
	r.ExitCode, r.Output, r.WallSeconds = code, out, secs(wall)
	m := ep.srv.Metrics()
	r.fromMetrics(m, n)
	reqs, err := ep.requests()
	if err != nil {
		return nil, err
	}
	r.finishBound(reqs, c.latency().Max, start)
	r.orgBound(reqs, m, c.rps())
	r.Left = orgFlowLogs(ep, org)
	r.NotDone = vpcs - r.Left
	full := strings.Contains(out, fmt.Sprintf("coverage after: %d of %d VPCs (100 %%)", vpcs, vpcs))
	if !full {
		r.Notes = append(r.Notes, "the run did not log full coverage")
	}

	code2, out2, wall2 := runProgram(ep.srv.URL(), filepath.Join(dir, "state"), c.parallelism, []string{"up"}, prog)
	r.Rerun = &Rerun{WallSeconds: secs(wall2), ExitCode: code2, Calls: ep.srv.Metrics().TotalCalls - m.TotalCalls, NoChanges: strings.Contains(out2, "no changes")}
	if !r.Rerun.NoChanges {
		r.Notes = append(r.Notes, "the rerun did not report \"no changes\"")
		r.Output += "\n--- rerun:\n" + out2
	}
	r.TargetMet = code == 0 && r.Failed == 0 && r.NotDone == 0 && full && r.Ratio <= 1.15 &&
		code2 == 0 && r.Rerun.NoChanges && r.Rerun.WallSeconds <= 2
	return r, nil
}

// orgBound replaces finishBound's bound with scenario g's: no scope can
// finish before its longest chain (the central bucket and its policy, then
// its longest flow log) nor before the calls it needs have passed its
// throttle, and the lookups come first. Bound = the largest over scopes of
// max(chain, calls / rate), plus the lookups' calls / rate of the busiest
// scope.
func (r *Result) orgBound(reqs []requestRecord, m localcc.Metrics, rps float64) {
	type scope struct {
		maxT    time.Duration
		creates int
	}
	by := map[string]*scope{}
	var prelude time.Duration // the bucket and its policy, which every flow log waits for
	for _, q := range reqs {
		t := q.CompleteAt.Sub(q.EventTime)
		if q.TypeName != flowLogType {
			prelude += t
			continue
		}
		sc := by[q.Account+"/"+q.Region]
		if sc == nil {
			sc = &scope{}
			by[q.Account+"/"+q.Region] = sc
		}
		sc.maxT = max(sc.maxT, t)
		sc.creates++
	}
	// Lookups: ListResources of VPCs and of flow logs in each scope (one
	// page each), and in the management account the organisation, its
	// accounts and a GetResource per member for its status (Cloud
	// Control's list of accounts leaves the status out).
	lookupCalls := 2 + 2 + orgMembers
	var worst float64
	minCalls := 0
	for _, sc := range by {
		calls := 2 * sc.creates // CreateResource and one GetResourceRequestStatus
		minCalls += calls
		worst = max(worst, max(secs(prelude+sc.maxT), float64(calls)/rps))
	}
	lookups := float64(lookupCalls) / rps
	r.Bound = Bound{Seconds: round3(worst + lookups), ChainSeconds: round3(worst), ChainSource: "endpoint, per account and region",
		MinCalls: minCalls, RPS: rps, CallsSeconds: round3(lookups)}
	if r.Bound.Seconds > 0 {
		r.Ratio = round3(r.WallSeconds / r.Bound.Seconds)
	}
	r.Notes = append(r.Notes, fmt.Sprintf("bound per scope: max(bucket+policy+longest flow log, 2 calls per create / %.0f rps); callsSeconds is the lookups (%d calls / rate)", rps, lookupCalls))
}

// orgFlowLogs counts the flow logs in every account and region.
func orgFlowLogs(ep *endpoint, org localcc.Organization) int {
	n := 0
	for _, acct := range append([]string{orgManagement}, org.Members()...) {
		for _, region := range orgRegions {
			n += len(ep.srv.ResourcesIn(localcc.Scope{Account: acct, Region: region}, flowLogType))
		}
	}
	return n
}

// Rerun is a second run with nothing to change (scenario g).
type Rerun struct {
	WallSeconds float64 `json:"wallSeconds"`
	ExitCode    int     `json:"exitCode"`
	Calls       int64   `json:"calls"`
	NoChanges   bool    `json:"noChanges"`
}
