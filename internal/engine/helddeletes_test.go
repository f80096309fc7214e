package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/state"
)

const logGroupType = "AWS::Logs::LogGroup"

// countingStore counts the reads of every stage (state.AllLoader).
type countingStore struct {
	state.Store
	loadAll int
}

func (s *countingStore) LoadAll(ctx context.Context) ([]state.Located, error) {
	s.loadAll++
	return s.Store.(state.AllLoader).LoadAll(ctx)
}

// twoStages opens stages dev and prod of app "app" in one file store.
func twoStages(t *testing.T) (dev *countingStore, prod state.Store) {
	t.Helper()
	dir := t.TempDir()
	open := func(name string) state.Store {
		s, err := state.Open(context.Background(), dir, "app", name)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return &countingStore{Store: open("dev")}, open("prod")
}

// putGroup records log group name as logicalID in store, in scope.
func putGroup(t *testing.T, store state.Store, logicalID, name string, scope *state.Scope) {
	t.Helper()
	rec := state.Record{LogicalID: logicalID, Type: logGroupType, Identifier: name, Props: map[string]any{"LogGroupName": name}, Scope: scope}
	if err := store.Put(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
}

// groups makes log groups exist in prov.
func groups(prov *fakeProvider, names ...string) {
	prov.resources[logGroupType] = map[string]map[string]any{}
	for _, n := range names {
		prov.resources[logGroupType][n] = map[string]any{"LogGroupName": n}
	}
}

var devStage = state.StageRef{App: "app", Stage: "dev"}

// devSession starts a run in stage dev with opts, reaching every scope
// through prov.
func devSession(t *testing.T, dev state.Store, prov Provider, opts Options) *Session {
	t.Helper()
	opts.Store, opts.Provider, opts.Where = dev, prov, devStage
	opts.Scopes = func(context.Context, *state.Scope) (Provider, error) { return prov, nil }
	sess, err := NewSession(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

// destroyDev plans and applies destroy of stage dev as a run does: a
// session, the plan pass's deletes, then the apply pass's.
func destroyDev(t *testing.T, dev state.Store, prov Provider, opts Options) ([]Change, error) {
	t.Helper()
	ctx := context.Background()
	sess := devSession(t, dev, prov, opts)
	if err := sess.Plan().PlanDestroy(ctx); err != nil {
		t.Fatal(err)
	}
	changes := sess.Plan().Changes()
	eng, err := sess.Apply(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	return changes, eng.DeleteAll(ctx, eng.All())
}

// Destroying a stage does not delete a resource another stage of the
// store also holds (a store left so by an older version, a hand edit or
// `athanor state`): the plan marks the delete refused, the run deletes the
// rest and fails naming the other record and the commands out. Before,
// the resource was deleted from under the other stage.
func TestDestroyRefusesWhatAnotherStageHolds(t *testing.T) {
	dev, prod := twoStages(t)
	prov := newFakeProvider()
	groups(prov, "shared", "mine")
	putGroup(t, dev, "lg", "shared", nil)
	putGroup(t, dev, "own", "mine", nil)
	putGroup(t, prod, "other", "shared", nil)
	changes, err := destroyDev(t, dev, prov, Options{})
	var held *Holder
	for _, c := range changes {
		if c.LogicalID == "lg" {
			held = c.HeldBy
		} else if c.HeldBy != nil {
			t.Errorf("%s marked held by %+v", c.LogicalID, c.HeldBy)
		}
	}
	if held == nil || *held != (Holder{App: "app", Stage: "prod", LogicalID: "other"}) {
		t.Fatalf("plan %+v: want lg's delete held by prod's \"other\"", changes)
	}
	var he *HeldDeleteError
	if !errors.As(err, &he) || he.Holder.Stage != "prod" || he.LogicalID != "lg" {
		t.Fatalf("DeleteAll = %v; want a *HeldDeleteError for lg naming prod", err)
	}
	for _, want := range []string{"`athanor state rm lg --yes --app app --stage dev`", "`athanor state rm other --yes --app app --stage prod`"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %s:\n%v", want, err)
		}
	}
	if _, ok := prov.resources[logGroupType]["shared"]; !ok {
		t.Fatal("the log group prod holds was deleted")
	}
	if _, ok := prov.resources[logGroupType]["mine"]; ok {
		t.Error("the log group dev holds alone was not deleted")
	}
	if recs := records(t, dev); len(recs) != 1 || recs["lg"].Identifier != "shared" {
		t.Errorf("dev's records after the run: %v; want lg alone", recs)
	}
	if dev.loadAll != 1 {
		t.Errorf("the other stages were read %d times in the run; want once", dev.loadAll)
	}
}

// A record the program no longer declares is not deleted when another
// record of the same stage, which the run keeps, holds its resource
// (records written twice by hand, which no rename pairs up).
func TestOrphanHeldInThisStageIsNotDeleted(t *testing.T) {
	ctx := context.Background()
	dev, _ := twoStages(t)
	prov := newFakeProvider()
	groups(prov, "shared")
	for _, id := range []string{"a", "b", "c"} {
		putGroup(t, dev, id, "shared", nil)
	}
	sess, err := NewSession(ctx, Options{Store: dev, Provider: prov, Where: devStage})
	if err != nil {
		t.Fatal(err)
	}
	d := Declaration{LogicalID: "a", Type: logGroupType, Props: map[string]any{"LogGroupName": "shared"}}
	if _, err := sess.Plan().Declare(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := sess.Plan().PlanDeletes(ctx); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range sess.Plan().Changes() {
		if c.Action == Delete {
			if c.HeldBy == nil || c.HeldBy.LogicalID != "a" {
				t.Errorf("delete of %s held by %+v; want a", c.LogicalID, c.HeldBy)
			}
			n++
		}
	}
	if n != 2 {
		t.Fatalf("plan %+v: want the deletes of b and c", sess.Plan().Changes())
	}
	eng, err := sess.Apply(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Declare(ctx, d); err != nil {
		t.Fatal(err)
	}
	err = eng.DeleteAll(ctx, eng.Orphans())
	var he *HeldDeleteError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), "`athanor state rm b --yes --app app --stage dev`") {
		t.Fatalf("DeleteAll = %v; want a *HeldDeleteError with the rm of b", err)
	}
	if _, ok := prov.resources[logGroupType]["shared"]; !ok {
		t.Fatal("the log group a holds was deleted")
	}
}

// The same identifier in two accounts or regions is two resources: the
// delete goes ahead. A record without a scope is in the run's own account
// and region (Options.Home); when that cannot be known, it may be
// anywhere, and the delete is refused.
func TestHeldDeleteComparesScopes(t *testing.T) {
	acct1 := &state.Scope{Account: "111111111111", Region: "us-east-1"}
	acct2 := &state.Scope{Account: "222222222222", Region: "us-east-1"}
	west := &state.Scope{Account: "111111111111", Region: "eu-west-1"}
	home := func(context.Context) (string, error) { return "111111111111/us-east-1", nil }
	for _, tc := range []struct {
		name      string
		dev, prod *state.Scope
		home      func(context.Context) (string, error)
		held      bool
	}{
		{"two accounts", acct1, acct2, nil, false},
		{"two regions", acct1, west, nil, false},
		{"one account and region", acct1, &state.Scope{Account: "111111111111", Region: "us-east-1", RoleARN: "arn:aws:iam::111111111111:role/other"}, nil, true},
		{"the run's own and another account", nil, acct2, home, false},
		{"another account and the run's own", acct2, nil, home, false},
		{"the run's own, named and not", nil, acct1, home, true},
		{"the run's own unknown", nil, acct2, nil, true},
		{"both the run's own", nil, nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dev, prod := twoStages(t)
			prov := newFakeProvider()
			groups(prov, "shared")
			putGroup(t, dev, "lg", "shared", tc.dev)
			putGroup(t, prod, "other", "shared", tc.prod)
			changes, err := destroyDev(t, dev, prov, Options{Home: tc.home})
			_, exists := prov.resources[logGroupType]["shared"]
			var he *HeldDeleteError
			if got := errors.As(err, &he); got != tc.held || exists != tc.held || (changes[0].HeldBy != nil) != tc.held {
				t.Fatalf("held %v (plan %+v, DeleteAll %v, still exists %v); want %v", got, changes, err, exists, tc.held)
			}
		})
	}
}

// --adopt compares scopes too: a record of another account does not hold
// the run's own resource of that name, one of the same account does.
func TestAdoptComparesScopes(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		holder *state.Scope
		held   bool
	}{
		{&state.Scope{Account: "222222222222", Region: "us-east-1"}, false},
		{&state.Scope{Account: "111111111111", Region: "us-east-1"}, true},
	} {
		t.Run(tc.holder.Key(), func(t *testing.T) {
			dev, prod := twoStages(t)
			prov := newFakeProvider()
			groups(prov, "shared")
			putGroup(t, prod, "other", "shared", tc.holder)
			e, err := New(ctx, ModeApply, Options{Store: dev, Provider: prov, Adopt: true, Where: devStage,
				Home: func(context.Context) (string, error) { return "111111111111/us-east-1", nil }})
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.Declare(ctx, Declaration{LogicalID: "lg", Type: logGroupType, Props: map[string]any{"LogGroupName": "shared"}})
			var he *HeldError
			if errors.As(err, &he) != tc.held || (err == nil) == tc.held {
				t.Fatalf("Declare = %v; want held %v", err, tc.held)
			}
			if _, ok := records(t, dev)["lg"]; ok == tc.held {
				t.Fatalf("dev's record of lg: %v; want %v", ok, !tc.held)
			}
		})
	}
}

// A run with nothing to delete does not read the other stages, and a run
// that deletes reads them once across its plan and apply passes.
func TestOtherStagesReadOnlyToDelete(t *testing.T) {
	dev, _ := twoStages(t)
	prov := newFakeProvider()
	if _, err := destroyDev(t, dev, prov, Options{}); err != nil {
		t.Fatal(err)
	}
	if dev.loadAll != 0 {
		t.Fatalf("an empty destroy read the other stages %d times", dev.loadAll)
	}
	kept := state.Record{LogicalID: "kept", Type: logGroupType, Identifier: "kept", RetainOnDelete: true}
	if err := dev.Put(context.Background(), kept); err != nil {
		t.Fatal(err)
	}
	if _, err := destroyDev(t, dev, prov, Options{}); err != nil {
		t.Fatal(err)
	}
	if dev.loadAll != 0 {
		t.Fatalf("a destroy that deletes nothing in AWS (RetainOnDelete) read the other stages %d times", dev.loadAll)
	}
}

// groupARN is the ARN AWS gives log group name in account acct.
func groupARN(acct, name string) string {
	return "arn:aws:logs:us-east-1:" + acct + ":log-group:" + name + ":*"
}

// Two stages that run in different accounts each hold a record without a
// scope of a log group of one name: two log groups. The account their
// ARNs name tells them apart, so destroying one stage deletes its own;
// records whose ARNs name one account hold one log group, and the delete
// is refused. An ARN the program set (a KMS key's, which may be another
// account's) tells nothing, and neither does a record without one: then
// the run's own account decides, or, unknown, the delete is refused.
func TestHeldDeleteComparesARNAccounts(t *testing.T) {
	const acct1, acct2 = "111111111111", "222222222222"
	home := func(context.Context) (string, error) { return acct1 + "/us-east-1", nil }
	withArn := func(acct string) map[string]any {
		return map[string]any{"LogGroupName": "shared", "Arn": groupARN(acct, "shared")}
	}
	kms := map[string]any{"LogGroupName": "shared", "KmsKeyId": "arn:aws:kms:us-east-1:" + acct2 + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"}
	for _, tc := range []struct {
		name      string
		dev, prod map[string]any
		prodScope *state.Scope
		home      func(context.Context) (string, error)
		held      bool
	}{
		{"ARNs of two accounts", withArn(acct2), withArn(acct1), nil, nil, false},
		{"ARNs of one account", withArn(acct1), withArn(acct1), nil, nil, true},
		{"an ARN and a scope of another account", withArn(acct2), nil, &state.Scope{Account: acct1, Region: "us-east-1"}, nil, false},
		{"an ARN and a scope of its account", withArn(acct1), nil, &state.Scope{Account: acct1, Region: "us-east-1"}, nil, true},
		{"an ARN of another account than the run's own", withArn(acct2), nil, nil, home, false},
		{"an ARN of the run's own account", withArn(acct1), nil, nil, home, true},
		{"an ARN, and the run's own unknown", withArn(acct2), nil, nil, nil, true},
		{"an ARN the program set", kms, withArn(acct1), nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dev, prod := twoStages(t)
			prov := newFakeProvider()
			groups(prov, "shared")
			put := func(store state.Store, id string, outputs map[string]any, scope *state.Scope) {
				rec := state.Record{LogicalID: id, Type: logGroupType, Identifier: "shared", Props: map[string]any{"LogGroupName": "shared"}, Outputs: outputs, Scope: scope}
				if err := store.Put(context.Background(), rec); err != nil {
					t.Fatal(err)
				}
			}
			put(dev, "lg", tc.dev, nil)
			put(prod, "other", tc.prod, tc.prodScope)
			changes, err := destroyDev(t, dev, prov, Options{Home: tc.home})
			var he *HeldDeleteError
			if got := errors.As(err, &he); got != tc.held || (changes[0].HeldBy != nil) != tc.held {
				t.Fatalf("held %v (plan %+v, DeleteAll %v); want %v", got, changes, err, tc.held)
			}
			if rec := records(t, prod)["other"]; rec.Scope.Key() != tc.prodScope.Key() {
				t.Errorf("prod's record's scope is now %v", rec.Scope)
			}
		})
	}
}
