package athanor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/internal/cli"
	"github.com/athanor-iac/athanor/internal/engine"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/state"
)

// --adopt takes over an existing flow log whose tags differ from the
// program's: the run ends with AWS as declared, or at least the next plan
// shows the difference. Recording the program's props as applied hides it
// for good.
func TestAdoptedResourceGetsDeclaredTags(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	p := seedProps()["vpcFlowLog"]
	other := p
	other.Tags = []athanor.Tag{{Key: "Environment", Value: "Staging"}}
	existing := e.createDirectly("AWS::EC2::FlowLog", other, "")
	prog := programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, nil)
	if code, out := e.run(prog, "--adopt"); code != 0 {
		t.Fatalf("--adopt: exit %d\n%s", code, out)
	}
	live := e.flowLogs()
	if len(live) != 1 || live[existing] == nil {
		t.Fatalf("after adopt: %v, want only %s", live, existing)
	}
	tags, _ := json.Marshal(live[existing]["Tags"])
	code, out := e.run(prog, "plan")
	if string(tags) != `[{"Key":"Environment","Value":"Production"}]` && (code != 0 || strings.Contains(out, "No changes")) {
		t.Fatalf("adopted flow log has tags %s, and the plan says:\n%s", tags, out)
	}
}

// runIn runs program with args in stage of the env's state store.
func (e *env) runIn(stage string, program func(*athanor.App) error, args ...string) (int, string) {
	e.t.Helper()
	var out bytes.Buffer
	args = append(withYes(args), "--endpoint", e.srv.URL(), "--state", e.state, "--stage", stage)
	code := athanor.Main(context.Background(), "flowlogs", args, &out, &out, program)
	return code, out.String()
}

// logGroups declares log groups by logical ID → LogGroupName, in the
// order given.
func logGroups(pairs ...string) func(*athanor.App) error {
	return func(app *athanor.App) error {
		for i := 0; i+1 < len(pairs); i += 2 {
			if _, err := app.Resource("AWS::Logs::LogGroup", pairs[i], map[string]any{"LogGroupName": pairs[i+1]}); err != nil {
				return err
			}
		}
		return nil
	}
}

// stageStore opens stage of the env's state store, as the program does.
func (e *env) stageStore(stage string) state.Store {
	e.t.Helper()
	store, err := state.Open(context.Background(), e.state, "flowlogs", stage)
	if err != nil {
		e.t.Fatal(err)
	}
	return store
}

// load returns the stage's records.
func (e *env) load(stage string) []state.Record {
	e.t.Helper()
	recs, err := e.stageStore(stage).Load(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return recs
}

// records returns the stage's records: logical ID → identifier.
func (e *env) records(stage string) map[string]string {
	out := map[string]string{}
	for _, r := range e.load(stage) {
		out[r.LogicalID] = r.Identifier
	}
	return out
}

func (e *env) logGroupExists(name string) bool {
	for _, r := range e.srv.Resources("AWS::Logs::LogGroup") {
		if r.Identifier == name {
			return true
		}
	}
	return false
}

// mutations counts the create, update and delete calls the endpoint
// received.
func (e *env) mutations() map[string]int64 {
	c := e.srv.Metrics().Calls
	return map[string]int64{"create": c["CreateResource"], "update": c["UpdateResource"], "delete": c["DeleteResource"]}
}

// upWithoutCreateOrDelete runs program, which must succeed without a
// create or delete call reaching the endpoint, and returns its output.
func (e *env) upWithoutCreateOrDelete(program func(*athanor.App) error, args ...string) string {
	e.t.Helper()
	before := e.mutations()
	code, out := e.run(program, args...)
	if code != 0 {
		e.t.Fatalf("up: exit %d\n%s", code, out)
	}
	if after := e.mutations(); after["create"] != before["create"] || after["delete"] != before["delete"] {
		e.t.Fatalf("create or delete calls: %v before the run, %v after\n%s", before, after, out)
	}
	return out
}

// A log group renamed in the program (same LogGroupName, new logical ID)
// is the same log group: the plan shows the move, and the run renames the
// record without a create or a delete. Before, the run failed with
// AlreadyExists, and --adopt then had the new ID take the group over and
// deleted it as the old ID's orphan.
func TestRenamedResourceIsMoved(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	if code, out := e.run(logGroups("first", "chk-group")); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	renamed := logGroups("second", "chk-group")
	code, out := e.run(renamed, "plan", "--detailed-exitcode")
	if code != 2 || !strings.Contains(out, "→ second (AWS::Logs::LogGroup) chk-group: moved: first → second") || !strings.Contains(out, "Plan: 1 to move.") {
		t.Fatalf("plan of the rename: exit %d\n%s", code, out)
	}
	code, out = e.run(renamed, "plan", "--json")
	var plan struct {
		Changes []engine.Change
		Summary map[string]int
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil || code != 0 {
		t.Fatalf("plan --json: exit %d, %v\n%s", code, err, out)
	}
	if len(plan.Changes) != 1 || plan.Changes[0].MovedFrom != "first" || plan.Changes[0].Action != engine.NoOp || plan.Summary["move"] != 1 || plan.Summary["no-op"] != 0 {
		t.Fatalf("plan --json of the rename: %+v", plan)
	}
	if out = e.upWithoutCreateOrDelete(renamed, "--adopt"); !strings.Contains(out, "second (AWS::Logs::LogGroup) moved from first") || !strings.Contains(out, "1 moved") {
		t.Fatalf("up:\n%s", out)
	}
	if recs := e.records("test"); len(recs) != 1 || recs["second"] != "chk-group" || !e.logGroupExists("chk-group") {
		t.Fatalf("after the move: records %v, log group exists %v", recs, e.logGroupExists("chk-group"))
	}
	if code, out = e.run(renamed, "plan"); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("plan after the move: exit %d\n%s", code, out)
	}
}

// command returns the first command in backquotes in out that starts
// with prefix, split into arguments (none of the test's contain spaces).
func command(t *testing.T, out, prefix string) []string {
	t.Helper()
	i := strings.Index(out, "`"+prefix)
	if i < 0 {
		t.Fatalf("no `%s...` in:\n%s", prefix, out)
	}
	rest := out[i+1:]
	cmd := rest[:strings.Index(rest, "`")]
	return strings.Fields(cmd)[1:] // without "athanor"
}

// athanorAsPrinted runs an athanor command as a message printed it.
func (e *env) athanorAsPrinted(args []string) (int, string) {
	e.t.Helper()
	var out bytes.Buffer
	code := cli.Execute(context.Background(), args, nil, &out, &out)
	return code, out.String()
}

// --adopt never takes over a resource another record of the stage holds:
// here "first" is still declared (with a new name, so it is replaced) and
// "second" wants its old name. Taking it over would have the replacement
// of "first" delete it.
func TestAdoptRefusesWhatThisStageManages(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	if code, out := e.run(logGroups("first", "chk-group")); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	prog := logGroups("second", "chk-group", "first", "chk-group-2")
	code, out := e.run(prog, "--adopt")
	if code != 1 || !strings.Contains(out, `AWS::Logs::LogGroup chk-group is already managed as "first" in this stage; --adopt did not take it over`) {
		t.Fatalf("--adopt of what \"first\" holds: exit %d\n%s", code, out)
	}
	if recs := e.records("test"); len(recs) != 1 || recs["first"] != "chk-group" || !e.logGroupExists("chk-group") {
		t.Fatalf("after the refusal: records %v\n%s", recs, out)
	}
	// The move the message offers works as printed, and the next run
	// then creates "first" anew and keeps the group as "second".
	mv := command(t, out, "athanor state mv")
	if code, mout := e.athanorAsPrinted(mv); code != 0 || !strings.Contains(mout, "moved first to second") {
		t.Fatalf("%v: exit %d\n%s", mv, code, mout)
	}
	if code, out = e.run(prog); code != 0 {
		t.Fatalf("run after the move: exit %d\n%s", code, out)
	}
	if recs := e.records("test"); recs["second"] != "chk-group" || recs["first"] != "chk-group-2" || !e.logGroupExists("chk-group") {
		t.Fatalf("after the move and a run: records %v\n%s", recs, out)
	}
}

// A stage never takes over another stage's resource: before, --adopt did,
// and destroying either stage deleted it for both.
func TestAdoptRefusesWhatAnotherStageManages(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := logGroups("lg", "shared-group")
	if code, out := e.runIn("alpha", prog); code != 0 {
		t.Fatalf("alpha: exit %d\n%s", code, out)
	}
	code, out := e.runIn("beta", prog)
	if code != 1 || !strings.Contains(out, `already managed as "lg" by app flowlogs, stage alpha`) || strings.Contains(out, "run again with --adopt to take it over") {
		t.Fatalf("beta without --adopt: exit %d\n%s", code, out)
	}
	code, out = e.runIn("beta", prog, "--adopt")
	if code != 1 || !strings.Contains(out, `already managed as "lg" by app flowlogs, stage alpha; --adopt did not take it over`) {
		t.Fatalf("beta --adopt: exit %d\n%s", code, out)
	}
	if recs := e.records("beta"); len(recs) != 0 {
		t.Fatalf("beta holds %v after the refusal", recs)
	}
	if code, dout := e.runIn("beta", prog, "destroy"); code != 0 || !e.logGroupExists("shared-group") {
		t.Fatalf("destroying beta: exit %d, group exists %v\n%s", code, e.logGroupExists("shared-group"), dout)
	}
	imp := []string{"import", "AWS::Logs::LogGroup", "shared-group", "--as", "lg", "--app", "flowlogs", "--stage", "beta", "--state", e.state, "--endpoint", e.srv.URL()}
	if code, iout := e.athanorAsPrinted(imp); code != 1 || !strings.Contains(iout, `import refused, nothing changed: AWS::Logs::LogGroup shared-group is already managed as "lg" by app flowlogs, stage alpha`) {
		t.Fatalf("import into beta: exit %d\n%s", code, iout)
	}
	// Handing it over as the message says: rm from alpha, adopt in beta.
	rm := command(t, out, "athanor state rm")
	if code, rout := e.athanorAsPrinted(rm); code != 0 {
		t.Fatalf("%v: exit %d\n%s", rm, code, rout)
	}
	if code, out = e.runIn("beta", prog, "--adopt", "-q"); code != 0 || !strings.Contains(out, "adopted shared-group") || !strings.Contains(out, "1 adopted") || strings.Contains(out, "1 created") {
		t.Fatalf("beta --adopt -q after the hand-over: exit %d\n%s", code, out)
	}
	if code, out = e.runIn("alpha", prog, "destroy"); code != 0 || !e.logGroupExists("shared-group") || e.records("beta")["lg"] != "shared-group" {
		t.Fatalf("destroying alpha after the hand-over: exit %d\n%s", code, out)
	}
}

// dependentLogGroups declares log group id (named name) and a second one,
// "dep", that depends on it.
func dependentLogGroups(id, name string) func(*athanor.App) error {
	return func(app *athanor.App) error {
		lg, err := app.Resource("AWS::Logs::LogGroup", id, map[string]any{"LogGroupName": name})
		if err != nil {
			return err
		}
		_, err = app.Resource("AWS::Logs::LogGroup", "dep", map[string]any{"LogGroupName": "dep-group"}, athanor.DependsOn(lg))
		return err
	}
}

func (e *env) dependsOn(stage, id string) string {
	for _, r := range e.load(stage) {
		if r.LogicalID == id {
			return strings.Join(r.DependsOn, ",")
		}
	}
	return "(no record)"
}

// stateCmd runs `athanor state` on the env's stage.
func (e *env) stateCmd(args ...string) (int, string) {
	e.t.Helper()
	return e.athanorAsPrinted(append(append([]string{"state"}, args...), "--app", "flowlogs", "--stage", "test", "--state", e.state))
}

// `athanor state mv` renames a record under the stage's lock, and the
// records that depended on the old ID depend on the new one; it refuses a
// missing record and a taken ID, changing nothing.
func TestStateMv(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	if code, out := e.run(dependentLogGroups("first", "chk-group")); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	if got := e.dependsOn("test", "dep"); got != "first" {
		t.Fatalf("dep depends on %q", got)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"mv", "nope", "second"}, `the stage has no record "nope"`},
		{[]string{"mv", "first", "dep"}, `"dep" already holds AWS::Logs::LogGroup dep-group`},
	} {
		if code, out := e.stateCmd(tc.args...); code != 1 || !strings.Contains(out, "not moved, nothing changed") || !strings.Contains(out, tc.want) {
			t.Errorf("%v: exit %d\n%s", tc.args, code, out)
		}
	}
	if code, out := e.stateCmd("mv", "first"); code != 2 || !strings.Contains(out, "athanor state mv OLD NEW") {
		t.Errorf("mv with one argument: exit %d\n%s", code, out)
	}
	if code, out := e.stateCmd("mv", "first", "second"); code != 0 || !strings.Contains(out, "moved first to second (AWS::Logs::LogGroup chk-group)") {
		t.Fatalf("mv: exit %d\n%s", code, out)
	}
	if recs := e.records("test"); recs["second"] != "chk-group" || recs["first"] != "" || e.dependsOn("test", "dep") != "second" {
		t.Fatalf("after mv: records %v, dep depends on %q", recs, e.dependsOn("test", "dep"))
	}
	if code, out := e.run(dependentLogGroups("second", "chk-group"), "plan"); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("plan after mv: exit %d\n%s", code, out)
	}
}

// A renamed resource that others depend on and that changes in place:
// the plan shows the move with the update, the run makes no create or
// delete, and the dependents' records follow.
func TestMoveWithUpdateAndDependents(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := func(id string, days int) func(*athanor.App) error {
		return func(app *athanor.App) error {
			lg, err := app.Resource("AWS::Logs::LogGroup", id, map[string]any{"LogGroupName": "chk-group", "RetentionInDays": days})
			if err != nil {
				return err
			}
			_, err = app.Resource("AWS::Logs::LogGroup", "dep", map[string]any{"LogGroupName": "dep-group"}, athanor.DependsOn(lg))
			return err
		}
	}
	if code, out := e.run(prog("first", 7)); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	code, out := e.run(prog("second", 14), "plan")
	if code != 0 || !strings.Contains(out, "~ second (AWS::Logs::LogGroup) chk-group: moved: first → second, update in place") || !strings.Contains(out, "RetentionInDays: 7 → 14") || strings.Contains(out, "- first") {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	before := e.mutations()
	if code, out = e.run(prog("second", 14)); code != 0 || !strings.Contains(out, "1 moved, 1 updated") {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	if after := e.mutations(); after["create"] != before["create"] || after["delete"] != before["delete"] || after["update"] != before["update"]+1 {
		t.Fatalf("calls: %v before, %v after; want one update", before, after)
	}
	if got := e.dependsOn("test", "dep"); got != "second" {
		t.Fatalf("dep depends on %q after the move", got)
	}
	if code, out = e.run(prog("second", 14), "destroy"); code != 0 || e.logGroupExists("chk-group") || e.logGroupExists("dep-group") {
		t.Fatalf("destroy: exit %d\n%s", code, out)
	}
}

// A move interrupted between its two writes (or two records of one
// resource left by an older version's --adopt) leaves the resource
// recorded twice; the next run finishes the move instead of deleting the
// resource as the undeclared one's.
func TestInterruptedMoveIsFinished(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	if code, out := e.run(logGroups("first", "chk-group")); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	recs := e.load("test")
	if len(recs) != 1 {
		t.Fatalf("records %v", recs)
	}
	copied := recs[0]
	copied.LogicalID = "second"
	if err := e.stageStore("test").Put(context.Background(), copied); err != nil {
		t.Fatal(err)
	}
	prog := logGroups("second", "chk-group")
	if code, out := e.run(prog, "plan"); code != 0 || !strings.Contains(out, "moved: first → second") || strings.Contains(out, "- first") {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	e.upWithoutCreateOrDelete(prog)
	if recs := e.records("test"); len(recs) != 1 || recs["second"] != "chk-group" || !e.logGroupExists("chk-group") {
		t.Fatalf("after the run: records %v", recs)
	}
}

// A flow log renamed with the same configuration (resource, traffic type,
// destination) is moved, though AWS chose its identifier.
func TestRenamedFlowLogIsMoved(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	p := seedProps()["vpcFlowLog"]
	if code, out := e.run(programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, nil)); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	id := e.records("test")["vpcFlowLog"]
	renamed := programOf(map[string]ec2.FlowLogProps{"mainFlowLog": p}, nil)
	if code, out := e.run(renamed, "plan"); code != 0 || !strings.Contains(out, "→ mainFlowLog (AWS::EC2::FlowLog) "+id+": moved: vpcFlowLog → mainFlowLog") {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	e.upWithoutCreateOrDelete(renamed)
	if recs := e.records("test"); len(recs) != 1 || recs["mainFlowLog"] != id || e.flowLogs()[id] == nil {
		t.Fatalf("after the move: records %v", recs)
	}
}

// Two declarations of one user-named resource are a plan problem, as two
// flow logs with one configuration are: AWS would refuse the second.
func TestSameNameTwiceIsAProblem(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	code, out := e.run(logGroups("a", "g1", "b", "g1"), "plan")
	if code != 1 || !strings.Contains(out, `b (AWS::Logs::LogGroup): same LogGroupName as "a"`) {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
}

// A create that finds the resource already exists fails with everything
// needed to act on it; --adopt takes it over instead of creating another.
func TestAlreadyExistsAndAdopt(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	p := seedProps()["vpcFlowLog"]
	existing := e.createDirectly("AWS::EC2::FlowLog", p, "")
	prog := programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, nil)
	code, out := e.run(prog)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	// The error names the logical ID, type, operation, error code, message
	// and request token.
	for _, want := range []string{`create AWS::EC2::FlowLog "vpcFlowLog"`, "AlreadyExists", "existing Flow Log", "request token "} {
		if !strings.Contains(out, want) {
			t.Errorf("error lacks %q:\n%s", want, out)
		}
	}
	code, out = e.run(prog, "--adopt")
	if code != 0 || !strings.Contains(out, "took over the existing "+existing) {
		t.Fatalf("--adopt: exit %d\n%s", code, out)
	}
	if live := e.flowLogs(); len(live) != 1 || live[existing] == nil {
		t.Fatalf("after adopt: %v, want only %s", live, existing)
	}
	if code, out = e.run(prog); code != 0 || !strings.Contains(out, "no changes") {
		t.Fatalf("after adopt, rerun: exit %d\n%s", code, out)
	}
}

// A create that finds the resource already there says how to take it over.
func TestAlreadyExistsSaysHowToAdopt(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	p := seedProps()["vpcFlowLog"]
	e.createDirectly("AWS::EC2::FlowLog", p, "")
	code, out := e.run(programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, nil))
	if code != 1 || !strings.Contains(out, "AlreadyExists") || !strings.Contains(out, "run again with --adopt") {
		t.Fatalf("up over an existing flow log: exit %d\n%s", code, out)
	}
}

// vpcs declares a VPC under each logical ID: a type whose identifier AWS
// chooses, so that only records, not declarations, tell two apart.
func vpcs(ids ...string) func(*athanor.App) error {
	return func(app *athanor.App) error {
		for _, id := range ids {
			if _, err := app.Resource("AWS::EC2::VPC", id, map[string]any{"CidrBlock": "10.0.0.0/16"}); err != nil {
				return err
			}
		}
		return nil
	}
}

// Two records of a stage that hold one resource, both declared: the first
// declared is taken for a rename of the other until the other is
// declared too; it is then planned against its own record, not as a
// create of a resource it already has.
func TestCancelledMoveKeepsItsRecord(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	if code, out := e.run(vpcs("first")); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, out)
	}
	copied := e.load("test")[0]
	copied.LogicalID = "second"
	if err := e.stageStore("test").Put(context.Background(), copied); err != nil {
		t.Fatal(err)
	}
	if code, out := e.run(vpcs("second", "first"), "plan"); code != 0 || !strings.Contains(out, "No changes") {
		t.Fatalf("plan: exit %d, want no changes\n%s", code, out)
	}
}
