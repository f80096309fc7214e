package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/provider/cloudcontrol"
	"github.com/athanor-iac/athanor/state"
)

// group declares log group name as logicalID.
func group(logicalID, name string, opts ResourceOptions) Declaration {
	return Declaration{LogicalID: logicalID, Type: logGroupType, Props: map[string]any{"LogGroupName": name}, Options: opts}
}

// upDev plans and applies decls in stage dev as a run of up does: a
// session, the plan pass (declarations, then deletes), and, when the plan
// has no problems, the apply pass and its deletes. It returns the plan's
// changes and problems, and the apply pass's error.
func upDev(t *testing.T, dev state.Store, prov Provider, opts Options, decls ...Declaration) ([]Change, []Problem, error) {
	t.Helper()
	ctx := context.Background()
	sess := devSession(t, dev, prov, opts)
	for _, d := range decls {
		if _, err := sess.Plan().Declare(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := sess.Plan().PlanDeletes(ctx); err != nil {
		t.Fatal(err)
	}
	changes, probs := sess.Plan().Changes(), sess.Plan().Problems()
	if len(probs) > 0 {
		return changes, probs, nil
	}
	eng, err := sess.Apply(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range decls {
		if _, err := eng.Declare(ctx, d); err != nil {
			return changes, nil, err
		}
	}
	return changes, nil, eng.DeleteAll(ctx, eng.Orphans())
}

// sharedByTwoStages makes log group shared, which dev holds as "lg" and
// prod as "other".
func sharedByTwoStages(t *testing.T) (dev *countingStore, prod state.Store, prov *fakeProvider) {
	t.Helper()
	dev, prod = twoStages(t)
	prov = newFakeProvider()
	groups(prov, "shared")
	putGroup(t, dev, "lg", "shared", nil)
	putGroup(t, prod, "other", "shared", nil)
	return dev, prod, prov
}

// change returns the change of logicalID.
func change(t *testing.T, changes []Change, logicalID string) Change {
	t.Helper()
	for _, c := range changes {
		if c.LogicalID == logicalID {
			return c
		}
	}
	t.Fatalf("no change of %s in %+v", logicalID, changes)
	return Change{}
}

// A replacement that creates the new resource first does not then delete
// the old one when another stage holds it too: the plan marks it, the
// run creates the new one, drops the old one from its record and leaves
// it to the other stage, and fails naming that record. Before, the old
// one was deleted from under the other stage.
func TestReplaceLeavesTheOldOneAnotherStageHolds(t *testing.T) {
	dev, prod, prov := sharedByTwoStages(t)
	changes, probs, err := upDev(t, dev, prov, Options{}, group("lg", "renamed", ResourceOptions{}))
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	c := change(t, changes, "lg")
	if c.Action != Replace || c.HeldBy == nil || *c.HeldBy != (Holder{App: "app", Stage: "prod", LogicalID: "other"}) {
		t.Fatalf("plan %+v: want lg's replacement, its old one held by prod's \"other\"", c)
	}
	var he *HeldDeleteError
	if !errors.As(err, &he) || !he.Replaced || he.Identifier != "shared" || he.Holder.LogicalID != "other" {
		t.Fatalf("run: %v; want a *HeldDeleteError leaving shared to prod's other", err)
	}
	if want := "`athanor state show other --app app --stage prod`"; !strings.Contains(err.Error(), want) {
		t.Errorf("error lacks %s:\n%v", want, err)
	}
	if got := verbs(prov.Calls()); slices.Contains(got, "Delete") {
		t.Fatalf("calls %q: the old log group was deleted", prov.Calls())
	}
	if _, ok := prov.resources[logGroupType]["renamed"]; !ok {
		t.Fatal("the new log group was not created")
	}
	if rec := records(t, dev)["lg"]; rec.Identifier != "renamed" || len(rec.Superseded) != 0 {
		t.Fatalf("dev's lg after the run: %+v; want the new log group alone", rec)
	}
	if rec := records(t, prod)["other"]; rec.Identifier != "shared" {
		t.Fatalf("prod's other after the run: %+v", rec)
	}
}

// In this stage too: the old resource is left to the record the run
// keeps that holds it. (The apply pass alone: the plan pass takes two
// declared records of one resource for a rename, see claimMove.)
func TestReplaceLeavesTheOldOneThisStageKeeps(t *testing.T) {
	ctx := context.Background()
	dev, _ := twoStages(t)
	prov := newFakeProvider()
	groups(prov, "shared")
	putGroup(t, dev, "a", "shared", nil)
	putGroup(t, dev, "b", "shared", nil)
	e, err := New(ctx, ModeApply, Options{Store: dev, Provider: prov, Where: devStage})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []Declaration{group("a", "renamed", ResourceOptions{}), group("b", "shared", ResourceOptions{})} {
		if _, err := e.Declare(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	err = e.DeleteAll(ctx, e.Orphans())
	var he *HeldDeleteError
	if !errors.As(err, &he) || !he.Replaced || !strings.Contains(err.Error(), `also held in this stage, as "b"`) {
		t.Fatalf("run: %v; want a *HeldDeleteError leaving shared to b", err)
	}
	if _, ok := prov.resources[logGroupType]["shared"]; !ok {
		t.Fatal("the log group b holds was deleted")
	}
	if recs := records(t, dev); recs["a"].Identifier != "renamed" || len(recs["a"].Superseded) != 0 || recs["b"].Identifier != "shared" {
		t.Fatalf("records after the run: %+v", recs)
	}
}

// A replacement that must delete the old resource first (DeleteBeforeReplace,
// or a new one with the old one's identity) is refused when another
// stage holds the old one: a plan problem naming that stage's record and
// the commands out, and, in an apply pass, before anything is sent.
func TestDeleteFirstReplaceOfWhatAnotherStageHoldsIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name       string
		typeName   string
		id         string
		old, new   Declaration
		want, cmds []string
	}{
		{name: "DeleteBeforeReplace", typeName: logGroupType, id: "shared",
			old: group("lg", "shared", ResourceOptions{}), new: group("lg", "renamed", ResourceOptions{DeleteBeforeReplace: true}),
			want: []string{"(DeleteBeforeReplace)", "the next run creates a new one)"}},
		{name: "one identity", typeName: flowLogType, id: "id-1",
			old:  Declaration{LogicalID: "lg", Type: flowLogType, Props: flowLog()},
			new:  Declaration{LogicalID: "lg", Type: flowLogType, Props: flowLog("MaxAggregationInterval", 60)},
			want: []string{"(the new one would have its ResourceId", "which needs another ResourceId"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dev, prod := twoStages(t)
			prov := newFakeProvider()
			if err := run(t, dev, prov, tc.old); err != nil {
				t.Fatal(err)
			}
			rec := records(t, dev)["lg"]
			rec.LogicalID = "other"
			if err := prod.Put(context.Background(), rec); err != nil {
				t.Fatal(err)
			}
			before := len(prov.Calls())
			changes, probs, err := upDev(t, dev, prov, Options{}, tc.new)
			if err != nil || len(probs) != 1 || change(t, changes, "lg").HeldBy != nil {
				t.Fatalf("plan: problems %v, changes %+v, err %v; want one problem", probs, changes, err)
			}
			msg := probs[0].Message
			for _, want := range append(tc.want, "not replaced", `also held by app app, stage prod, as "other"`,
				"`athanor state rm lg --yes --app app --stage dev`", "`athanor state rm other --yes --app app --stage prod`") {
				if !strings.Contains(msg, want) {
					t.Errorf("problem lacks %s:\n%s", want, msg)
				}
			}
			e, err := New(context.Background(), ModeApply, Options{Store: dev, Provider: prov, Where: devStage})
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.Declare(context.Background(), tc.new)
			var pe *ProblemsError
			if !errors.As(err, &pe) {
				t.Fatalf("apply pass: %v; want the problem", err)
			}
			if calls := prov.Calls()[before:]; len(calls) != 0 {
				t.Fatalf("calls %q; want none", calls)
			}
			if rec := records(t, dev)["lg"]; rec.Identifier != tc.id || len(rec.Superseded) != 0 {
				t.Fatalf("dev's lg: %+v; want it as it was", rec)
			}
		})
	}
}

// A create-first replacement whose create collides anyway falls back to
// deleting the old resource first: not when another stage holds it. The
// replacement fails, nothing is deleted and the record still tracks the
// old resource.
func TestCollidingReplaceOfWhatAnotherStageHoldsIsRefused(t *testing.T) {
	dev, _, prov := sharedByTwoStages(t)
	prov.refuse = []cloudcontrol.HandlerErrorCode{cloudcontrol.HandlerAlreadyExists}
	_, _, err := upDev(t, dev, prov, Options{}, group("lg", "renamed", ResourceOptions{}))
	var he *HeldDeleteError
	if !errors.As(err, &he) || he.First == "" || !strings.Contains(err.Error(), "found the two colliding") {
		t.Fatalf("run: %v; want a *HeldDeleteError refusing the delete first", err)
	}
	if got := verbs(prov.Calls()); slices.Contains(got, "Delete") {
		t.Fatalf("calls %q: the old log group was deleted", prov.Calls())
	}
	if rec := records(t, dev)["lg"]; len(rec.Superseded) != 1 || rec.Superseded[0].Identifier != "shared" {
		t.Fatalf("dev's lg: %+v; want it to track shared still", rec)
	}
}

// What a replacement left behind, deleted later (of a record no longer
// declared, or of a declared one), is left to another stage that holds
// it too, as the old resource of a replacement is.
func TestLeftoverReplacedResourceAnotherStageHoldsIsLeft(t *testing.T) {
	for _, declared := range []bool{false, true} {
		name := "no longer declared"
		if declared {
			name = "declared"
		}
		t.Run(name, func(t *testing.T) {
			dev, prod := twoStages(t)
			prov := leftoverShared(t, dev)
			putGroup(t, prod, "other", "shared", nil)
			var decls []Declaration
			if declared {
				decls = append(decls, group("lg", "current", ResourceOptions{}))
			}
			changes, _, err := upDev(t, dev, prov, Options{}, decls...)
			c := change(t, changes, "lg")
			if want := (Holder{App: "app", Stage: "prod", LogicalID: "other"}); len(c.Leftovers) != 1 || c.Leftovers[0].Identifier != "shared" ||
				c.Leftovers[0].HeldBy == nil || *c.Leftovers[0].HeldBy != want || !c.Changes() {
				t.Fatalf("plan of lg: %+v; want the leftover shared, held by prod's other", c)
			}
			var he *HeldDeleteError
			if !errors.As(err, &he) || !he.Replaced || he.Identifier != "shared" {
				t.Fatalf("run: %v; want a *HeldDeleteError leaving shared to prod", err)
			}
			if _, ok := prov.resources[logGroupType]["shared"]; !ok {
				t.Fatal("the log group prod holds was deleted")
			}
			_, exists := prov.resources[logGroupType]["current"]
			recs := records(t, dev)
			if exists != declared || (recs["lg"].Identifier != "") != declared || len(recs["lg"].Superseded) != 0 {
				t.Fatalf("current exists %v, dev's records %+v; want lg gone unless declared, without shared", exists, recs)
			}
		})
	}
}

// Whether another stage holds the old resource compares the accounts
// that the records' ARNs name, in the plan as in the run: records of two
// accounts hold two log groups, and the old one is deleted.
func TestReplaceComparesARNAccounts(t *testing.T) {
	for _, tc := range []struct {
		name     string
		devAcct  string
		held     bool
		wantDels int
	}{
		{"two accounts", "222222222222", false, 1},
		{"one account", "111111111111", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dev, prod := twoStages(t)
			prov := newFakeProvider()
			groups(prov, "shared")
			for store, acct := range map[state.Store]string{dev: tc.devAcct, prod: "111111111111"} {
				id := map[state.Store]string{dev: "lg", prod: "other"}[store]
				rec := state.Record{LogicalID: id, Type: logGroupType, Identifier: "shared", Props: map[string]any{"LogGroupName": "shared"},
					Outputs: map[string]any{"LogGroupName": "shared", "Arn": groupARN(acct, "shared")}}
				if err := store.Put(context.Background(), rec); err != nil {
					t.Fatal(err)
				}
			}
			changes, _, err := upDev(t, dev, prov, Options{}, group("lg", "renamed", ResourceOptions{}))
			var he *HeldDeleteError
			if (change(t, changes, "lg").HeldBy != nil) != tc.held || errors.As(err, &he) != tc.held || (err == nil) == tc.held {
				t.Fatalf("plan %+v, run %v; want held %v", changes, err, tc.held)
			}
			dels := 0
			for _, v := range verbs(prov.Calls()) {
				if v == "Delete" {
					dels++
				}
			}
			if dels != tc.wantDels {
				t.Fatalf("calls %q: want %d deletes", prov.Calls(), tc.wantDels)
			}
		})
	}
}

// A replacement an earlier run left deleting the old resource first is
// not finished when another stage holds that resource: nothing is sent,
// and the record still tracks it.
func TestUnfinishedDeleteFirstOfWhatAnotherStageHoldsIsRefused(t *testing.T) {
	dev, prod := twoStages(t)
	prov := newFakeProvider()
	groups(prov, "shared")
	rec := state.Record{LogicalID: "lg", Type: logGroupType, Props: map[string]any{"LogGroupName": "renamed"},
		Superseded: []state.Superseded{{Identifier: "shared", Props: map[string]any{"LogGroupName": "shared"},
			Pending: &state.Intent{Operation: state.OpDelete, Identifier: "shared", ClientToken: "earlier"}}}}
	if err := dev.Put(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	putGroup(t, prod, "other", "shared", nil)
	_, _, err := upDev(t, dev, prov, Options{}, group("lg", "renamed", ResourceOptions{}))
	var he *HeldDeleteError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), "an earlier run started deleting it") {
		t.Fatalf("run: %v; want a *HeldDeleteError refusing the delete", err)
	}
	if got := verbs(prov.Calls()); slices.Contains(got, "Delete") || slices.Contains(got, "Create") {
		t.Fatalf("calls %q; want neither create nor delete", prov.Calls())
	}
	if rec := records(t, dev)["lg"]; len(rec.Superseded) != 1 || rec.Superseded[0].Identifier != "shared" {
		t.Fatalf("dev's lg: %+v; want it to track shared still", rec)
	}
}

// A replacement whose old resource records of this stage the program no
// longer declares hold too: the plan marks them all, the replacement held
// by the first of them and their deletes held by the replaced one, and
// the run agrees. The new resource is made, the old one is left to "b",
// and the run refuses the deletes of "b" and "c" too: nothing is deleted,
// and the errors say which record keeps it. Before, the old one was left
// to "b", which the same run then deleted. (Two records, for with one the
// plan takes the pair for an interrupted rename, see claimMove.)
func TestReplaceLeavesTheOldOneToAnUndeclaredRecord(t *testing.T) {
	dev, _ := twoStages(t)
	prov := newFakeProvider()
	groups(prov, "shared")
	for _, id := range []string{"a", "b", "c"} {
		putGroup(t, dev, id, "shared", nil)
	}
	changes, probs, err := upDev(t, dev, prov, Options{}, group("a", "renamed", ResourceOptions{}))
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	if c := change(t, changes, "a"); c.Action != Replace || c.HeldBy == nil || c.HeldBy.LogicalID != "b" {
		t.Fatalf("plan of a: %+v; want its replacement, the old one held by b", c)
	}
	for _, id := range []string{"b", "c"} {
		if c := change(t, changes, id); c.Action != Delete || c.HeldBy == nil || c.HeldBy.LogicalID != "a" {
			t.Fatalf("plan of %s: %+v; want its delete, held by a", id, c)
		}
	}
	if got := verbs(prov.Calls()); slices.Contains(got, "Delete") {
		t.Fatalf("calls %q: the old log group was deleted", prov.Calls())
	}
	byID := map[string]*HeldDeleteError{}
	for _, e := range joined(err) {
		var he *HeldDeleteError
		if !errors.As(e, &he) {
			t.Fatalf("run: %v; want *HeldDeleteErrors alone", err)
		}
		byID[he.LogicalID] = he
	}
	if he := byID["a"]; he == nil || !he.Replaced || he.Holder.LogicalID != "b" {
		t.Fatalf("run: %v; want shared left to b", err)
	}
	for _, id := range []string{"b", "c"} {
		if he := byID[id]; he == nil || he.Identifier != "shared" || !strings.Contains(he.Error(), `"b", which keeps it`) {
			t.Fatalf("run: %v; want %s's delete refused, saying that b keeps shared", err, id)
		}
	}
	recs := records(t, dev)
	if recs["a"].Identifier != "renamed" || len(recs["a"].Superseded) != 0 || recs["b"].Identifier != "shared" || recs["c"].Identifier != "shared" {
		t.Fatalf("records after the run: %+v; want a with the new log group, b and c with the old one", recs)
	}
}

// joined returns the errors err joins (errors.Join), or err alone.
func joined(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}

// With one undeclared record of the replaced resource, the plan takes the
// pair for an interrupted rename (claimMove): the run merges the two
// records and deletes the old resource, and the plan does not mark it
// held by the record merged.
func TestReplaceOfARenameIsNotHeldByTheOldName(t *testing.T) {
	dev, _ := twoStages(t)
	prov := newFakeProvider()
	groups(prov, "shared")
	putGroup(t, dev, "a", "shared", nil)
	putGroup(t, dev, "b", "shared", nil)
	changes, probs, err := upDev(t, dev, prov, Options{}, group("a", "renamed", ResourceOptions{}))
	if len(probs) > 0 || err != nil {
		t.Fatalf("problems %v, run: %v", probs, err)
	}
	if c := change(t, changes, "a"); c.Action != Replace || c.MovedFrom != "b" || c.HeldBy != nil {
		t.Fatalf("plan of a: %+v; want its replacement, moved from b, not held", c)
	}
	if _, ok := prov.resources[logGroupType]["shared"]; ok {
		t.Fatal("the old log group was not deleted")
	}
	if recs := records(t, dev); len(recs) != 1 || recs["a"].Identifier != "renamed" {
		t.Fatalf("records after the run: %+v; want a with the new log group alone", recs)
	}
}

// A resource a record still lists as replaced is in the plan, which the
// run then deletes; when a record of this stage the program no longer
// declares holds it too, the plan marks both, and the run deletes
// neither: the leftover is left to that record, whose delete is refused.
func TestLeftoverReplacedResourceInThePlan(t *testing.T) {
	for _, held := range []bool{false, true} {
		t.Run(fmt.Sprintf("held=%v", held), func(t *testing.T) {
			dev, _ := twoStages(t)
			prov := leftoverShared(t, dev)
			if held {
				putGroup(t, dev, "b", "shared", nil)
			}
			changes, probs, err := upDev(t, dev, prov, Options{}, group("lg", "current", ResourceOptions{}))
			if len(probs) > 0 {
				t.Fatalf("problems: %v", probs)
			}
			c := change(t, changes, "lg")
			if c.Action != NoOp || len(c.Leftovers) != 1 || c.Leftovers[0].Identifier != "shared" || (c.Leftovers[0].HeldBy != nil) != held || !c.Changes() {
				t.Fatalf("plan of lg: %+v; want no change but the leftover shared (held %v)", c, held)
			}
			_, exists := prov.resources[logGroupType]["shared"]
			if !held {
				if err != nil || exists {
					t.Fatalf("run: %v, shared exists %v; want it deleted", err, exists)
				}
				return
			}
			if b := change(t, changes, "b"); b.HeldBy == nil || b.HeldBy.LogicalID != "lg" {
				t.Fatalf("plan of b: %+v; want its delete held by lg", b)
			}
			if !exists || slices.Contains(verbs(prov.Calls()), "Delete") {
				t.Fatalf("calls %q: shared was deleted", prov.Calls())
			}
			var he *HeldDeleteError
			if !errors.As(err, &he) || !strings.Contains(err.Error(), `"b", which keeps it`) {
				t.Fatalf("run: %v; want b's delete refused, b keeping shared", err)
			}
			if recs := records(t, dev); len(recs["lg"].Superseded) != 0 || recs["b"].Identifier != "shared" {
				t.Fatalf("records after the run: %+v", recs)
			}
		})
	}
}

// leftoverShared gives dev the record "lg" of log group current, which
// still lists shared as replaced, and returns a provider with both.
func leftoverShared(t *testing.T, dev state.Store) *fakeProvider {
	t.Helper()
	prov := newFakeProvider()
	groups(prov, "shared", "current")
	rec := state.Record{LogicalID: "lg", Type: logGroupType, Identifier: "current", Props: map[string]any{"LogGroupName": "current"},
		Superseded: []state.Superseded{{Identifier: "shared", Props: map[string]any{"LogGroupName": "shared"}}}}
	if err := dev.Put(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	return prov
}
