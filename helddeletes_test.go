package athanor_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/internal/engine"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/state"
)

// sharedGroup sets up what an older version, a hand edit or `athanor
// state` commands could leave: stage alpha holds log group shared-group as
// "lg", and stage beta holds it as well, as "copy", besides its own
// beta-group as "own".
func sharedGroup(t *testing.T, e *env) {
	t.Helper()
	if code, out := e.runIn("alpha", logGroups("lg", "shared-group")); code != 0 {
		t.Fatalf("alpha: exit %d\n%s", code, out)
	}
	if code, out := e.runIn("beta", logGroups("own", "beta-group")); code != 0 {
		t.Fatalf("beta: exit %d\n%s", code, out)
	}
	rec := e.load("alpha")[0]
	rec.LogicalID = "copy"
	if err := e.stageStore("beta").Put(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
}

// A run that no longer declares a resource another stage also holds does
// not delete it: the plan says so (text and JSON), the run deletes the
// rest and fails naming the other stage.
func TestOrphanAnotherStageHoldsIsNotDeleted(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	sharedGroup(t, e)
	none := logGroups()
	code, out := e.runIn("beta", none, "plan", "--json")
	var plan struct {
		Changes []engine.Change
		Summary map[string]int
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil || code != 0 {
		t.Fatalf("plan --json: exit %d, %v\n%s", code, err, out)
	}
	var held *engine.Holder
	for _, c := range plan.Changes {
		if c.LogicalID == "copy" {
			held = c.HeldBy
		}
	}
	if held == nil || *held != (engine.Holder{App: "flowlogs", Stage: "alpha", LogicalID: "lg"}) || plan.Summary["refused"] != 1 || plan.Summary["delete"] != 1 {
		t.Fatalf("plan --json: %+v; want copy's delete held by alpha's lg", plan)
	}
	code, out = e.runIn("beta", none, "plan")
	if code != 0 || !strings.Contains(out, `! copy (AWS::Logs::LogGroup) shared-group: not deleted (no longer declared): app flowlogs, stage alpha holds it too, as "lg"`) ||
		!strings.Contains(out, "Plan: 1 to delete, 1 not to delete") {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	code, out = e.runIn("beta", none)
	if code != 1 || !strings.Contains(out, "not deleted: AWS::Logs::LogGroup shared-group is also held by app flowlogs, stage alpha") {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	if !e.logGroupExists("shared-group") || e.logGroupExists("beta-group") {
		t.Fatalf("after up: shared-group exists %v (want true), beta-group exists %v (want false)\n%s", e.logGroupExists("shared-group"), e.logGroupExists("beta-group"), out)
	}
	if recs := e.records("beta"); len(recs) != 1 || recs["copy"] != "shared-group" {
		t.Fatalf("beta's records after up: %v; want copy alone", recs)
	}
}

// destroy refuses it the same way, and destroys the rest.
func TestDestroyLeavesWhatAnotherStageHolds(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	sharedGroup(t, e)
	code, out := e.runIn("beta", logGroups("own", "beta-group"), "destroy")
	if code != 1 || !strings.Contains(out, "not deleted: AWS::Logs::LogGroup shared-group is also held by app flowlogs, stage alpha") {
		t.Fatalf("destroy: exit %d\n%s", code, out)
	}
	if !e.logGroupExists("shared-group") || e.logGroupExists("beta-group") || e.records("alpha")["lg"] != "shared-group" {
		t.Fatalf("after destroy: shared-group exists %v, beta-group exists %v, alpha %v\n%s", e.logGroupExists("shared-group"), e.logGroupExists("beta-group"), e.records("alpha"), out)
	}
}

// `athanor import` takes the account and region into account: a record
// of another account does not hold a log group of the run's own of that
// name, one that names the run's own account does. The run's own is what
// STS says (the local endpoint's account 123456789012).
func TestImportComparesAccounts(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	e.createDirectly("AWS::Logs::LogGroup", map[string]any{"LogGroupName": "shared-group"}, "")
	for stage, acct := range map[string]string{"alpha": "210987654321", "gamma": "123456789012"} {
		rec := state.Record{LogicalID: "lg", Type: "AWS::Logs::LogGroup", Identifier: "shared-group", Scope: &state.Scope{Account: acct, Region: "us-east-1"}}
		if err := e.stageStore(stage).Put(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	imp := []string{"import", "AWS::Logs::LogGroup", "shared-group", "--as", "lg", "--app", "flowlogs", "--stage", "beta", "--state", e.state, "--endpoint", e.srv.URL()}
	if code, out := e.athanorAsPrinted(imp); code != 1 || !strings.Contains(out, `already managed as "lg" by app flowlogs, stage gamma`) {
		t.Fatalf("import of what a record of the run's own account holds: exit %d\n%s", code, out)
	}
	if err := e.stageStore("gamma").Delete(context.Background(), "lg"); err != nil {
		t.Fatal(err)
	}
	if code, out := e.athanorAsPrinted(imp); code != 0 {
		t.Fatalf("import of the run's own shared-group, held in another account only: exit %d\n%s", code, out)
	}
}

// renamedCopy is beta's program of sharedGroup with "copy" renamed to
// renamed-group, which replaces it, with opts.
func renamedCopy(opts ...athanor.ResourceOption) func(*athanor.App) error {
	return func(app *athanor.App) error {
		if _, err := app.Resource("AWS::Logs::LogGroup", "own", map[string]any{"LogGroupName": "beta-group"}); err != nil {
			return err
		}
		_, err := app.Resource("AWS::Logs::LogGroup", "copy", map[string]any{"LogGroupName": "renamed-group"}, opts...)
		return err
	}
}

// A replacement does not delete the old resource when another stage holds
// it too: the plan says so (text and JSON), the run creates the new one,
// leaves the old one to the other stage and fails naming it. The next run
// has nothing left to do.
func TestReplaceLeavesWhatAnotherStageHolds(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	sharedGroup(t, e)
	code, out := e.runIn("beta", renamedCopy(), "plan", "--json")
	var plan struct {
		Changes []engine.Change
		Summary map[string]int
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil || code != 0 {
		t.Fatalf("plan --json: exit %d, %v\n%s", code, err, out)
	}
	var copyChange engine.Change
	for _, c := range plan.Changes {
		if c.LogicalID == "copy" {
			copyChange = c
		}
	}
	if h := copyChange.HeldBy; copyChange.Action != engine.Replace || h == nil || *h != (engine.Holder{App: "flowlogs", Stage: "alpha", LogicalID: "lg"}) ||
		plan.Summary["replace"] != 1 || plan.Summary["refused"] != 1 {
		t.Fatalf("plan --json: %+v; want copy's replacement, its old one held by alpha's lg", plan)
	}
	code, out = e.runIn("beta", renamedCopy(), "plan")
	if code != 0 || !strings.Contains(out, `copy (AWS::Logs::LogGroup) shared-group: replace (LogGroupName forces replacement); the old one is not deleted: app flowlogs, stage alpha holds it too, as "lg", and it is left to that record`) ||
		!strings.Contains(out, "Plan: 1 to replace, 1 unchanged, 1 not to delete") {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	code, out = e.runIn("beta", renamedCopy())
	if code != 1 || !strings.Contains(out, `not deleted: AWS::Logs::LogGroup shared-group, which "copy" replaced, is also held by app flowlogs, stage alpha, as "lg"`) {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	if !e.logGroupExists("shared-group") || !e.logGroupExists("renamed-group") {
		t.Fatalf("after up: shared-group exists %v, renamed-group exists %v; want both\n%s", e.logGroupExists("shared-group"), e.logGroupExists("renamed-group"), out)
	}
	if beta, alpha := e.records("beta"), e.records("alpha"); beta["copy"] != "renamed-group" || alpha["lg"] != "shared-group" {
		t.Fatalf("after up: beta %v, alpha %v", beta, alpha)
	}
	if code, out := e.runIn("beta", renamedCopy()); code != 0 || !strings.Contains(out, "no changes") {
		t.Fatalf("the next up: exit %d\n%s", code, out)
	}
}

// A replacement that deletes the old resource first is refused before
// anything is sent when another stage holds it.
func TestDeleteFirstReplaceOfWhatAnotherStageHoldsIsRefused(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	sharedGroup(t, e)
	before := e.mutations()
	for _, args := range [][]string{{"plan"}, {"plan", "--json"}, nil} {
		code, out := e.runIn("beta", renamedCopy(athanor.DeleteBeforeReplace()), args...)
		if code != 1 || !strings.Contains(out, `not replaced: the replacement would delete AWS::Logs::LogGroup shared-group before creating the new one (DeleteBeforeReplace), and it is also held by app flowlogs, stage alpha`) {
			t.Fatalf("%v: exit %d\n%s", args, code, out)
		}
	}
	if after := e.mutations(); after["create"] != before["create"] || after["delete"] != before["delete"] {
		t.Fatalf("calls: %v before, %v after", before, after)
	}
	if beta := e.records("beta"); beta["copy"] != "shared-group" {
		t.Fatalf("beta after: %v", beta)
	}
}
