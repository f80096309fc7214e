package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"

	"github.com/athanor-iac/athanor/internal/typerules"
	"github.com/athanor-iac/athanor/provider/cloudcontrol"
	"github.com/athanor-iac/athanor/schema"
	"github.com/athanor-iac/athanor/state"
)

// fakeProvider is an in-memory Provider that refuses a second resource
// with the primary identifier, or the identity under its type's rules, of
// one that exists, as Cloud Control's handlers do with AlreadyExists. It
// records every call, so a test can say what the engine asked for, in
// which order, and which calls failed.
type fakeProvider struct {
	mu        sync.Mutex
	resources map[string]map[string]map[string]any // type → identifier → properties
	calls     []string                             // "Create AWS::Logs::LogGroup g", "Delete ... id", with " FAILED" when refused
	seq       int
	// waitErr, when set, is what Wait returns.
	waitErr error
	// refuse fails the next creates, one a code, as a quota would.
	refuse []cloudcontrol.HandlerErrorCode
}

var _ Provider = (*fakeProvider)(nil)

func newFakeProvider() *fakeProvider {
	return &fakeProvider{resources: map[string]map[string]map[string]any{}}
}

func (f *fakeProvider) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

// Calls returns the calls so far, oldest first.
func (f *fakeProvider) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func failed(op, typeName string, code cloudcontrol.HandlerErrorCode, msg string) error {
	return &cloudcontrol.OperationError{Operation: op, TypeName: typeName, Status: types.OperationStatusFailed, HandlerCode: code, ErrorCode: string(code), Message: msg}
}

func (f *fakeProvider) Create(ctx context.Context, typeName string, props map[string]any, clientToken string, submitted cloudcontrol.Submitted) (string, map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sc, err := schema.Default().Lookup(typeName)
	if err != nil {
		return "", nil, err
	}
	if len(f.refuse) > 0 {
		code := f.refuse[0]
		f.refuse = f.refuse[1:]
		f.record("Create %s FAILED", typeName)
		return "", nil, failed("CREATE", typeName, code, "refused")
	}
	key, hasKey := typerules.IdentityOf(typeName, props)
	id, named := sc.Identifier(props)
	for other, p := range f.resources[typeName] {
		okey, _ := typerules.IdentityOf(typeName, p)
		if named && other == id || hasKey && okey == key {
			f.record("Create %s %s FAILED", typeName, other)
			return "", nil, failed("CREATE", typeName, cloudcontrol.HandlerAlreadyExists, "exists: "+other)
		}
	}
	if !named {
		f.seq++
		id = fmt.Sprintf("id-%d", f.seq)
	}
	model := map[string]any{}
	for k, v := range props {
		model[k] = v
	}
	for _, n := range sc.PrimaryIdentifierNames() {
		if _, ok := model[n]; !ok {
			model[n] = id
		}
	}
	if f.resources[typeName] == nil {
		f.resources[typeName] = map[string]map[string]any{}
	}
	f.resources[typeName][id] = model
	f.record("Create %s %s", typeName, id)
	return id, cloneMap(model), nil
}

func (f *fakeProvider) Update(ctx context.Context, typeName, id string, patch []cloudcontrol.PatchOp, clientToken string, submitted cloudcontrol.Submitted) (map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.resources[typeName][id]
	if !ok {
		f.record("Update %s %s FAILED", typeName, id)
		return nil, failed("UPDATE", typeName, cloudcontrol.HandlerNotFound, "no "+id)
	}
	for _, op := range patch {
		name := strings.TrimPrefix(op.Path, "/")
		if op.Op == "remove" {
			delete(m, name)
		} else {
			m[name] = op.Value
		}
	}
	f.record("Update %s %s", typeName, id)
	return cloneMap(m), nil
}

func (f *fakeProvider) Delete(ctx context.Context, typeName, id, clientToken string, submitted cloudcontrol.Submitted) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.resources[typeName], id)
	f.record("Delete %s %s", typeName, id)
	return nil
}

func (f *fakeProvider) Wait(ctx context.Context, typeName, requestToken string) (string, map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Wait %s %s", typeName, requestToken)
	return "", nil, f.waitErr
}

func (f *fakeProvider) Read(ctx context.Context, typeName, id string) (map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Read %s %s", typeName, id)
	m, ok := f.resources[typeName][id]
	if !ok {
		return nil, fmt.Errorf("%s %s: %w", typeName, id, cloudcontrol.ErrNotFound)
	}
	return cloneMap(m), nil
}

func (f *fakeProvider) List(ctx context.Context, typeName string) ([]cloudcontrol.Described, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("List %s", typeName)
	var out []cloudcontrol.Described
	for _, id := range sortedKeys(f.resources[typeName]) {
		out = append(out, cloudcontrol.Described{Identifier: id, Properties: cloneMap(f.resources[typeName][id])})
	}
	return out, nil
}

// ListWhere lists the resources of a type whose properties equal the
// model's, as a list handler lists within its parent.
func (f *fakeProvider) ListWhere(ctx context.Context, typeName string, model map[string]any) ([]cloudcontrol.Described, error) {
	all, err := f.List(ctx, typeName)
	if err != nil || len(model) == 0 {
		return all, err
	}
	var out []cloudcontrol.Described
	for _, d := range all {
		if matches(d.Properties, model) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (f *fakeProvider) Cancel(ctx context.Context, requestToken string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Cancel %s", requestToken)
	return nil
}

// stage is a file state store of one stage in a temporary directory.
func stage(t *testing.T) state.Store {
	t.Helper()
	s, err := state.Open(context.Background(), t.TempDir(), "app", "dev")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// run applies one pass of decls, as a program run would, and returns the
// first error.
func run(t *testing.T, store state.Store, prov Provider, decls ...Declaration) error {
	t.Helper()
	e, err := New(context.Background(), ModeApply, Options{Store: store, Provider: prov})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range decls {
		if _, err := e.Declare(context.Background(), d); err != nil {
			return err
		}
	}
	return e.DeleteAll(context.Background(), e.Orphans())
}

// records returns the stage's records by logical ID.
func records(t *testing.T, store state.Store) map[string]state.Record {
	t.Helper()
	recs, err := store.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]state.Record{}
	for _, r := range recs {
		out[r.LogicalID] = r
	}
	return out
}

// verbs returns the calls' first words and failures, "Create", "Delete",
// "Create FAILED", in order.
func verbs(calls []string) []string {
	var out []string
	for _, c := range calls {
		v, _, _ := strings.Cut(c, " ")
		if strings.HasSuffix(c, " FAILED") {
			v += " FAILED"
		}
		out = append(out, v)
	}
	return out
}
