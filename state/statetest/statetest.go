// Package statetest is the conformance suite for state.Store backends. Every
// backend runs the same suite, as Terraform's backends run
// statemgr.TestFull, so that the engine can rely on the same behaviour from
// all of them.
package statetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/state"
)

// Run runs the conformance suite against the stores returned by open. Each
// subtest calls open with its own t; calls with the same t must return
// stores (handles) on the same, initially empty, stage, and calls with
// different t must return independent stages.
func Run(t *testing.T, open func(t *testing.T) state.Store) {
	RunWith(t, open, Options{})
}

// Options are the backend-specific hooks of RunWith. Behaviour that every
// backend must have but that cannot be brought about through the Store
// interface alone, such as a holder dying with the lock, needs a hook; the
// tests that need a missing hook are skipped, saying which.
type Options struct {
	// Crash makes the holder of u end without unlocking, as a killed
	// process would: the lock must become free (at once, or after an
	// expiry the hook waits out or makes pass) and the next Lock must report
	// the lock as stale, naming the holder.
	Crash func(t *testing.T, u state.Unlocker)
}

// RunWith runs the conformance suite with backend hooks; see Run.
func RunWith(t *testing.T, open func(t *testing.T) state.Store, opts Options) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) state.Store)
	}{
		{"Empty", testEmpty},
		{"RoundTrip", testRoundTrip},
		{"Overwrite", testOverwrite},
		{"Delete", testDelete},
		{"Sorted", testSorted},
		{"CaseDistinct", testCaseDistinct},
		{"InvalidLogicalID", testInvalidLogicalID},
		{"CanceledContext", testCanceledContext},
		{"Lock", testLock},
		{"LockTwoHandles", testLockTwoHandles},
		{"UnlockRelock", testUnlockRelock},
		{"LargeStage", testLargeStage},
		{"LargeRecord", testLargeRecord},
		{"DeleteAndRecreate", testDeleteAndRecreate},
		{"ConcurrentHandles", testConcurrentHandles},
		{"LockHolderReported", testLockHolderReported},
		{"ForceUnlockFree", testForceUnlockFree},
		{"ListStages", testListStages},
		{"LoadAll", testLoadAll},
		{"StaleLock", func(t *testing.T, open func(t *testing.T) state.Store) { testStaleLock(t, open, opts) }},
		{"ForceUnlockStale", func(t *testing.T, open func(t *testing.T) state.Store) { testForceUnlockStale(t, open, opts) }},
		{"LineageAndSerial", testLineageAndSerial},
		{"LineageReplaced", testLineageReplaced},
		{"Close", testClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open) })
	}
}

// Sample returns a record with nested values, a pending intent and a
// superseded resource, for tests of backends and of the engine.
func Sample(logicalID string) state.Record {
	at := time.Date(2026, 11, 24, 5, 0, 0, 123456789, time.FixedZone("CET", 3600))
	return state.Record{
		LogicalID:  logicalID,
		Type:       "AWS::EC2::FlowLog",
		Identifier: "fl-0123456789abcdef0",
		Props: map[string]any{
			"ResourceId":             "vpc-123",
			"TrafficType":            "ALL",
			"MaxAggregationInterval": 60,
			"Ratio":                  0.25,
			"Big":                    int64(9007199254740993), // not representable as float64
			"Enabled":                true,
			"Nothing":                nil,
			"Unicode":                "é ✓ <&>",
			"Tags": []any{
				map[string]any{"Key": "team", "Value": "core"},
				map[string]any{"Key": "nested", "Value": map[string]any{"deep": []any{1, "two", false}}},
			},
		},
		Outputs:   map[string]any{"Id": "fl-0123456789abcdef0", "CreationTime": "2026-11-24T05:00:01Z"},
		DependsOn: []string{"Vpc", "LogGroup"},
		Pending: &state.Intent{
			Operation:    state.OpUpdate,
			Identifier:   "fl-0123456789abcdef0",
			ClientToken:  "tok-1",
			RequestToken: "req-1",
			StartedAt:    at.Add(time.Second),
		},
		Superseded: []state.Superseded{{
			Identifier: "fl-old",
			Props:      map[string]any{"ResourceId": "vpc-old"},
			Pending:    &state.Intent{Operation: state.OpDelete, Identifier: "fl-old", ClientToken: "tok-0", StartedAt: at},
		}},
		UpdatedAt: at,
	}
}

// Equal reports whether two records hold the same data. Records are compared
// through their JSON form, because a backend may return numbers as
// json.Number and times in another location.
func Equal(a, b state.Record) bool {
	ja, err1 := json.Marshal(normalize(a))
	jb, err2 := json.Marshal(normalize(b))
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

func normalize(r state.Record) state.Record {
	r.UpdatedAt = r.UpdatedAt.UTC()
	if r.Pending != nil {
		p := *r.Pending
		p.StartedAt = p.StartedAt.UTC()
		r.Pending = &p
	}
	sup := make([]state.Superseded, len(r.Superseded))
	for i, s := range r.Superseded {
		if s.Pending != nil {
			p := *s.Pending
			p.StartedAt = p.StartedAt.UTC()
			s.Pending = &p
		}
		sup[i] = s
	}
	r.Superseded = sup
	return r
}

func mustLoad(t *testing.T, s state.Store) []state.Record {
	t.Helper()
	recs, err := s.Load(context.Background())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return recs
}

func mustPut(t *testing.T, s state.Store, r state.Record) {
	t.Helper()
	if err := s.Put(context.Background(), r); err != nil {
		t.Fatalf("Put(%s): %v", r.LogicalID, err)
	}
}

func ids(recs []state.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.LogicalID
	}
	return out
}

func testEmpty(t *testing.T, open func(t *testing.T) state.Store) {
	s := open(t)
	if recs := mustLoad(t, s); len(recs) != 0 {
		t.Fatalf("new stage holds %d records", len(recs))
	}
}

func testRoundTrip(t *testing.T, open func(t *testing.T) state.Store) {
	s := open(t)
	want := Sample("FlowLog")
	mustPut(t, s, want)
	minimal := state.Record{LogicalID: "minimal", Type: "AWS::S3::Bucket"}
	mustPut(t, s, minimal)
	recs := mustLoad(t, open(t)) // a fresh handle sees what the first wrote
	if len(recs) != 2 {
		t.Fatalf("Load returned %v, want FlowLog and minimal", ids(recs))
	}
	if !Equal(recs[0], want) {
		g, _ := json.MarshalIndent(recs[0], "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("round trip changed the record:\ngot  %s\nwant %s", g, w)
	}
	if !recs[0].UpdatedAt.Equal(want.UpdatedAt) || !recs[0].Pending.StartedAt.Equal(want.Pending.StartedAt) {
		t.Errorf("times changed: got %v, %v", recs[0].UpdatedAt, recs[0].Pending.StartedAt)
	}
	if !Equal(recs[1], minimal) {
		t.Errorf("minimal record: got %+v", recs[1])
	}
}

func testOverwrite(t *testing.T, open func(t *testing.T) state.Store) {
	s := open(t)
	r := Sample("FlowLog")
	mustPut(t, s, r)
	r.Pending = nil
	r.Superseded = nil
	r.Props["TrafficType"] = "REJECT"
	r.UpdatedAt = r.UpdatedAt.Add(time.Minute)
	mustPut(t, s, r)
	recs := mustLoad(t, s)
	if len(recs) != 1 || !Equal(recs[0], r) {
		t.Fatalf("after overwrite Load returned %+v, want %+v", recs, r)
	}
}

func testDelete(t *testing.T, open func(t *testing.T) state.Store) {
	ctx := context.Background()
	s := open(t)
	mustPut(t, s, Sample("a"))
	mustPut(t, s, Sample("b"))
	if err := s.Delete(ctx, "a"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if got := ids(mustLoad(t, s)); strings.Join(got, ",") != "b" {
		t.Fatalf("after Delete(a) Load returned %v, want [b]", got)
	}
	for _, id := range []string{"a", "never-existed"} {
		if err := s.Delete(ctx, id); err != nil {
			t.Errorf("Delete(%s) of a missing record: %v, want nil", id, err)
		}
	}
}

func testSorted(t *testing.T, open func(t *testing.T) state.Store) {
	s := open(t)
	want := []string{"A", "B-1", "Z", "_x", "a", "a.b", "a_b", "b", "z9"}
	shuffled := append([]string(nil), want...)
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for _, id := range shuffled {
		mustPut(t, s, state.Record{LogicalID: id, Type: "AWS::S3::Bucket"})
	}
	if got := ids(mustLoad(t, s)); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("Load order %v, want %v", got, want)
	}
}

// testCaseDistinct checks that IDs differing only in case are different
// records, even on case-insensitive file systems and object stores.
func testCaseDistinct(t *testing.T, open func(t *testing.T) state.Store) {
	s := open(t)
	for _, id := range []string{"Bucket", "bucket", "BUCKET"} {
		mustPut(t, s, state.Record{LogicalID: id, Type: "AWS::S3::Bucket", Identifier: "id-" + id})
	}
	recs := mustLoad(t, s)
	if len(recs) != 3 {
		t.Fatalf("Load returned %v, want BUCKET Bucket bucket", ids(recs))
	}
	for _, r := range recs {
		if r.Identifier != "id-"+r.LogicalID {
			t.Errorf("record %s has identifier %s", r.LogicalID, r.Identifier)
		}
	}
}

func testInvalidLogicalID(t *testing.T, open func(t *testing.T) state.Store) {
	ctx := context.Background()
	s := open(t)
	for _, id := range []string{"", ".hidden", "a/b", `a\b`, "a b", "a:b", "é", "con", "NUL.x", strings.Repeat("a", 129)} {
		if err := s.Put(ctx, state.Record{LogicalID: id, Type: "AWS::S3::Bucket"}); err == nil {
			t.Errorf("Put(%q) succeeded, want an error", id)
		}
		if err := s.Delete(ctx, id); err == nil {
			t.Errorf("Delete(%q) succeeded, want an error", id)
		}
	}
	if err := s.Put(ctx, state.Record{LogicalID: "ok"}); err == nil {
		t.Errorf("Put of a record without a type succeeded")
	}
	if recs := mustLoad(t, s); len(recs) != 0 {
		t.Fatalf("rejected Puts left records %v", ids(recs))
	}
}

func testCanceledContext(t *testing.T, open func(t *testing.T) state.Store) {
	s := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Put(ctx, Sample("a")); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with canceled context: %v", err)
	}
	if _, err := s.Load(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Load with canceled context: %v", err)
	}
	if _, err := s.Lock(ctx, state.NewLockInfo("up", "test")); !errors.Is(err, context.Canceled) {
		t.Errorf("Lock with canceled context: %v", err)
	}
}

func wantLockError(t *testing.T, err error, holder state.LockInfo) {
	t.Helper()
	var le *state.LockError
	if !errors.As(err, &le) {
		t.Fatalf("second Lock: got %v, want a *state.LockError", err)
	}
	got := le.Info
	if got.ID != holder.ID || got.PID != holder.PID || got.Who != holder.Who || got.Operation != holder.Operation || !got.Created.Equal(holder.Created) {
		t.Errorf("LockError.Info = %+v, want the holder %+v", got, holder)
	}
	if !strings.Contains(err.Error(), holder.Who) || !strings.Contains(err.Error(), fmt.Sprint(holder.PID)) {
		t.Errorf("LockError message %q does not name the holder", err)
	}
}

func testLock(t *testing.T, open func(t *testing.T) state.Store) {
	ctx := context.Background()
	s := open(t)
	holder := state.NewLockInfo("up", "v1.0.0")
	u, err := s.Lock(ctx, holder)
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	if info, stale := state.StaleLock(u); stale {
		t.Errorf("first Lock of a new stage reports a stale lock by %v", info)
	}
	// Twice, to check that a refused Lock leaves the holder's info intact.
	for range 2 {
		_, err = s.Lock(ctx, state.NewLockInfo("destroy", "v1.0.0"))
		wantLockError(t, err, holder)
	}
	if r, ok := s.(state.LockReader); ok {
		info, held, err := r.ReadLock(ctx)
		if err != nil || !held || info.ID != holder.ID {
			t.Errorf("ReadLock while locked = %+v, %v, %v; want the holder, true", info, held, err)
		}
	}
	// The holder can still write.
	mustPut(t, s, Sample("a"))
	if err := u.Unlock(); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	if err := u.Unlock(); err != nil {
		t.Errorf("second Unlock: %v, want nil", err)
	}
	if r, ok := s.(state.LockReader); ok {
		if info, held, err := r.ReadLock(ctx); err != nil || held {
			t.Errorf("ReadLock after Unlock = %+v, %v, %v; want not held", info, held, err)
		}
	}
}

func testLockTwoHandles(t *testing.T, open func(t *testing.T) state.Store) {
	ctx := context.Background()
	a, b := open(t), open(t)
	holder := state.NewLockInfo("up", "v1.0.0")
	u, err := a.Lock(ctx, holder)
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	defer u.Unlock()
	_, err = b.Lock(ctx, state.NewLockInfo("up", "v1.0.0"))
	wantLockError(t, err, holder)
}

func testUnlockRelock(t *testing.T, open func(t *testing.T) state.Store) {
	ctx := context.Background()
	s := open(t)
	for i := range 3 {
		u, err := s.Lock(ctx, state.NewLockInfo("up", "v1.0.0"))
		if err != nil {
			t.Fatalf("Lock #%d: %v", i+1, err)
		}
		if info, stale := state.StaleLock(u); stale {
			t.Errorf("Lock #%d after a clean Unlock reports a stale lock by %v", i+1, info)
		}
		if err := u.Unlock(); err != nil {
			t.Fatalf("Unlock #%d: %v", i+1, err)
		}
	}
	u, err := open(t).Lock(ctx, state.NewLockInfo("up", "v1.0.0"))
	if err != nil {
		t.Fatalf("Lock from another handle after Unlock: %v", err)
	}
	u.Unlock()
}

// testLargeStage puts 2,000 records from several goroutines, as the engine
// does when it works on independent resources in parallel, and loads them.
func testLargeStage(t *testing.T, open func(t *testing.T) state.Store) {
	const n, workers = 2000, 16
	ctx := context.Background()
	s := open(t)
	u, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	defer u.Unlock()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				r := Sample(fmt.Sprintf("Res%05d", i))
				r.Identifier = fmt.Sprint(i)
				if err := s.Put(ctx, r); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Put: %v", err)
	}
	put := time.Since(start)
	start = time.Now()
	recs := mustLoad(t, open(t))
	t.Logf("%d Puts in %v, Load in %v", n, put, time.Since(start))
	if len(recs) != n {
		t.Fatalf("Load returned %d records, want %d", len(recs), n)
	}
	for i, r := range recs {
		if want := fmt.Sprintf("Res%05d", i); r.LogicalID != want || r.Identifier != fmt.Sprint(i) {
			t.Fatalf("record %d is %s (identifier %s), want %s", i, r.LogicalID, r.Identifier, want)
		}
	}
}

// testLargeRecord stores a record of several MiB, as a resource with a big
// policy document or many tags may need, and reads it back intact.
func testLargeRecord(t *testing.T, open func(t *testing.T) state.Store) {
	s := open(t)
	r := Sample("Big")
	var b strings.Builder
	for i := 0; b.Len() < 3<<20; i++ {
		fmt.Fprintf(&b, "line %d é ✓ \"quoted\" \n", i)
	}
	r.Props["Policy"] = b.String()
	tags := make([]any, 2000)
	for i := range tags {
		tags[i] = map[string]any{"Key": fmt.Sprintf("k%04d", i), "Value": strings.Repeat("v", 100)}
	}
	r.Props["Tags"] = tags
	mustPut(t, s, r)
	recs := mustLoad(t, open(t))
	if len(recs) != 1 || !Equal(recs[0], r) {
		t.Fatalf("a %d-byte record did not round-trip (got %d records)", b.Len(), len(recs))
	}
}

// testDeleteAndRecreate checks that a deleted record can be written again
// and that every handle sees deletions made through another.
func testDeleteAndRecreate(t *testing.T, open func(t *testing.T) state.Store) {
	ctx := context.Background()
	a, b := open(t), open(t)
	mustPut(t, a, Sample("x"))
	mustPut(t, a, Sample("y"))
	if got := ids(mustLoad(t, b)); strings.Join(got, ",") != "x,y" {
		t.Fatalf("second handle sees %v, want [x y]", got)
	}
	if err := b.Delete(ctx, "x"); err != nil {
		t.Fatalf("Delete through the second handle: %v", err)
	}
	if got := ids(mustLoad(t, a)); strings.Join(got, ",") != "y" {
		t.Fatalf("first handle sees %v after the second deleted x, want [y]", got)
	}
	r := Sample("x")
	r.Identifier = "fl-recreated"
	mustPut(t, a, r)
	recs := mustLoad(t, b)
	if len(recs) != 2 || recs[0].Identifier != "fl-recreated" {
		t.Fatalf("recreated record not seen: %+v", recs)
	}
	for _, id := range []string{"x", "y"} {
		if err := a.Delete(ctx, id); err != nil {
			t.Fatalf("Delete(%s): %v", id, err)
		}
	}
	if recs := mustLoad(t, b); len(recs) != 0 {
		t.Fatalf("after deleting everything Load returned %v", ids(recs))
	}
}

// testConcurrentHandles writes disjoint records from several handles at
// once, each record several times: no write may be lost or torn.
func testConcurrentHandles(t *testing.T, open func(t *testing.T) state.Store) {
	const handles, perHandle, rounds = 4, 25, 3
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, handles)
	for h := range handles {
		s := open(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range rounds {
				for i := range perHandle {
					r := Sample(fmt.Sprintf("h%d-r%03d", h, i))
					r.Identifier = fmt.Sprintf("round-%d", round)
					if err := s.Put(ctx, r); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Put: %v", err)
	}
	recs := mustLoad(t, open(t))
	if len(recs) != handles*perHandle {
		t.Fatalf("Load returned %d records, want %d", len(recs), handles*perHandle)
	}
	for _, r := range recs {
		if r.Identifier != fmt.Sprintf("round-%d", rounds-1) {
			t.Errorf("record %s holds %s, want the last round's write", r.LogicalID, r.Identifier)
		}
	}
}

// testLockHolderReported checks that every backend can tell who holds the
// lock without taking it, from another handle, for `athanor state` and for
// the message of a refused run.
func testLockHolderReported(t *testing.T, open func(t *testing.T) state.Store) {
	ctx := context.Background()
	s := open(t)
	r, ok := open(t).(state.LockReader)
	if !ok {
		t.Fatalf("%T does not implement state.LockReader", s)
	}
	if info, held, err := r.ReadLock(ctx); err != nil || held || info.ID != "" {
		t.Fatalf("ReadLock of a never-locked stage = %+v, %v, %v; want nothing", info, held, err)
	}
	holder := state.NewLockInfo("destroy", "v9.9.9")
	u, err := s.Lock(ctx, holder)
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	info, held, err := r.ReadLock(ctx)
	if err != nil || !held || info.ID != holder.ID || info.Who != holder.Who || info.PID != holder.PID ||
		info.Operation != "destroy" || info.Version != "v9.9.9" || !info.Created.Equal(holder.Created) {
		t.Errorf("ReadLock from another handle = %+v, %v, %v; want %+v, true", info, held, err, holder)
	}
	// Reading does not take the lock, however often it is done.
	for range 3 {
		r.ReadLock(ctx)
	}
	_, err = open(t).Lock(ctx, state.NewLockInfo("up", "test"))
	wantLockError(t, err, holder)
	if err := u.Unlock(); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	if info, held, err := r.ReadLock(ctx); err != nil || held {
		t.Errorf("ReadLock after Unlock = %+v, %v, %v; want not held", info, held, err)
	}
}

// testForceUnlockFree checks that breaking the lock of a free stage is a
// no-op that reports no holder.
func testForceUnlockFree(t *testing.T, open func(t *testing.T) state.Store) {
	ctx := context.Background()
	s := open(t)
	f, ok := s.(state.ForceUnlocker)
	if !ok {
		t.Fatalf("%T does not implement state.ForceUnlocker", s)
	}
	if info, err := f.ForceUnlock(ctx); err != nil || info != (state.LockInfo{}) {
		t.Errorf("ForceUnlock of a never-locked stage = %+v, %v; want zero, nil", info, err)
	}
	u, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatal(err)
	}
	u.Unlock()
	if info, err := f.ForceUnlock(ctx); err != nil || info != (state.LockInfo{}) {
		t.Errorf("ForceUnlock after a clean Unlock = %+v, %v; want zero, nil", info, err)
	}
	u, err = s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatalf("Lock after ForceUnlock: %v", err)
	}
	if info, stale := state.StaleLock(u); stale {
		t.Errorf("Lock after ForceUnlock reports stale lock %+v", info)
	}
	u.Unlock()
}

// testListStages checks that a stage appears in its app's stage list once
// something was written to it.
func testListStages(t *testing.T, open func(t *testing.T) state.Store) {
	ctx := context.Background()
	s := open(t)
	l, ok := s.(state.StageLister)
	if !ok {
		t.Fatalf("%T does not implement state.StageLister", s)
	}
	before, err := l.Stages(ctx)
	if err != nil {
		t.Fatalf("Stages: %v", err)
	}
	mustPut(t, s, Sample("a"))
	after, err := l.Stages(ctx)
	if err != nil {
		t.Fatalf("Stages: %v", err)
	}
	if len(after) != len(before)+1 {
		t.Fatalf("Stages before a Put %v, after %v; want one more", before, after)
	}
	for i := 1; i < len(after); i++ {
		if after[i-1] >= after[i] {
			t.Errorf("Stages %v is not sorted", after)
		}
	}
}

// testLoadAll checks that a handle on one stage reads the records of
// another stage of the location too, each with its own app and stage, so
// that no two stages can take over one resource unseen.
func testLoadAll(t *testing.T, open func(t *testing.T) state.Store) {
	ctx := context.Background()
	s := open(t)
	l, ok := s.(state.AllLoader)
	if !ok {
		t.Fatalf("%T does not implement state.AllLoader", s)
	}
	mine, theirs := Sample("mine"), Sample("theirs")
	theirs.Identifier = "fl-theirs"
	mustPut(t, s, mine)
	t.Run("other", func(t *testing.T) { mustPut(t, open(t), theirs) })
	all, err := l.LoadAll(ctx)
	if err != nil {
		t.Fatalf("LoadAll: %v", err)
	}
	found := map[string]state.Located{}
	for i, r := range all {
		if r.LogicalID == "mine" || r.LogicalID == "theirs" {
			found[r.LogicalID] = r
		}
		if i > 0 {
			p := all[i-1]
			if [3]string{p.App, p.Stage, p.LogicalID} == [3]string{r.App, r.Stage, r.LogicalID} || p.App > r.App || p.App == r.App && (p.Stage > r.Stage || p.Stage == r.Stage && p.LogicalID > r.LogicalID) {
				t.Errorf("LoadAll is not sorted by app, stage and logical ID: %s/%s/%s before %s/%s/%s", p.App, p.Stage, p.LogicalID, r.App, r.Stage, r.LogicalID)
			}
		}
	}
	m, th := found["mine"], found["theirs"]
	if !Equal(m.Record, mine) || !Equal(th.Record, theirs) {
		t.Fatalf("LoadAll lacks the records written to two stages: %+v", found)
	}
	if m.App == "" || m.App != th.App || m.Stage == "" || th.Stage == "" || m.Stage == th.Stage {
		t.Errorf("LoadAll says the records are in %s/%s and %s/%s; want one app, two stages", m.App, m.Stage, th.App, th.Stage)
	}
	if l, ok := s.(state.StageLister); ok {
		stages, err := l.Stages(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(stages, m.Stage) || !slices.Contains(stages, th.Stage) {
			t.Errorf("LoadAll names stages %s and %s, Stages lists %v", m.Stage, th.Stage, stages)
		}
	}
}

func crashOrSkip(t *testing.T, opts Options) func(*testing.T, state.Unlocker) {
	if opts.Crash == nil {
		t.Skip("the backend's test gives no Options.Crash hook to end a holder without unlocking")
	}
	return opts.Crash
}

// testStaleLock checks that a holder that ends without unlocking frees the
// lock, and that the next holder learns who it was, so that the engine can
// warn that operations may have been left in flight.
func testStaleLock(t *testing.T, open func(t *testing.T) state.Store, opts Options) {
	crash := crashOrSkip(t, opts)
	ctx := context.Background()
	s := open(t)
	dead := state.NewLockInfo("destroy", "v0.9.0")
	dead.PID = 4242
	u, err := open(t).Lock(ctx, dead)
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	crash(t, u)
	if r, ok := s.(state.LockReader); ok {
		info, held, err := r.ReadLock(ctx)
		if err != nil || held || info.ID != dead.ID || info.PID != 4242 {
			t.Errorf("ReadLock after the holder died = %+v, %v, %v; want the dead holder, not held", info, held, err)
		}
	}
	u2, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatalf("Lock after the holder died: %v", err)
	}
	info, stale := state.StaleLock(u2)
	if !stale || info.ID != dead.ID || info.PID != 4242 || info.Operation != "destroy" || info.Who != dead.Who {
		t.Errorf("StaleLock = %+v, %v; want the dead holder %+v", info, stale, dead)
	}
	// The dead holder's Unlocker, if called late, must not free the lock
	// its successor holds.
	u.Unlock()
	_, err = open(t).Lock(ctx, state.NewLockInfo("up", "test"))
	var le *state.LockError
	if !errors.As(err, &le) {
		t.Errorf("Lock while the successor holds it: %v, want a *state.LockError", err)
	}
	if err := u2.Unlock(); err != nil {
		t.Fatal(err)
	}
	u3, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatal(err)
	}
	if info, stale := state.StaleLock(u3); stale {
		t.Errorf("Lock after a clean Unlock reports stale lock %+v", info)
	}
	u3.Unlock()
}

// testForceUnlockStale checks that `athanor state unlock` removes a dead
// holder's lock and reports who it was.
func testForceUnlockStale(t *testing.T, open func(t *testing.T) state.Store, opts Options) {
	crash := crashOrSkip(t, opts)
	ctx := context.Background()
	s := open(t)
	f, ok := s.(state.ForceUnlocker)
	if !ok {
		t.Fatalf("%T does not implement state.ForceUnlocker", s)
	}
	dead := state.NewLockInfo("up", "v0.9.0")
	u, err := open(t).Lock(ctx, dead)
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	crash(t, u)
	info, err := f.ForceUnlock(ctx)
	if err != nil || info.ID != dead.ID || info.PID != dead.PID {
		t.Errorf("ForceUnlock = %+v, %v; want the dead holder %+v", info, err, dead)
	}
	u2, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatalf("Lock after ForceUnlock: %v", err)
	}
	if info, stale := state.StaleLock(u2); stale {
		t.Errorf("Lock after ForceUnlock reports stale lock %+v", info)
	}
	u2.Unlock()
}

func mustMeta(t *testing.T, s state.Store, what string) state.Meta {
	t.Helper()
	m, ok := state.CurrentMeta(s)
	if !ok || m.Lineage == "" {
		t.Fatalf("%s: CurrentMeta = %+v, %v; want a lineage", what, m, ok)
	}
	return m
}

// testLineageAndSerial: the first Lock creates the lineage with serial 1,
// every Lock bumps the serial, and a Load sees both.
func testLineageAndSerial(t *testing.T, open func(t *testing.T) state.Store) {
	ctx := context.Background()
	s := open(t)
	if m, ok := state.CurrentMeta(s); ok {
		t.Fatalf("CurrentMeta of a fresh stage = %+v; want none", m)
	}
	mustLoad(t, s)
	if m, ok := state.CurrentMeta(s); ok {
		t.Fatalf("CurrentMeta after loading a stage never locked = %+v; want none", m)
	}
	var first state.Meta
	for i := int64(1); i <= 3; i++ {
		u, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
		if err != nil {
			t.Fatal(err)
		}
		m := mustMeta(t, s, "after Lock")
		if i == 1 {
			first = m
		}
		if m.Lineage != first.Lineage || m.Serial != i {
			t.Fatalf("Meta after Lock %d = %+v; want lineage %s, serial %d", i, m, first.Lineage, i)
		}
		if err := u.Unlock(); err != nil {
			t.Fatal(err)
		}
	}
	other := open(t)
	mustLoad(t, other)
	if m := mustMeta(t, other, "another handle's Load"); m != (state.Meta{Lineage: first.Lineage, Serial: 3}) {
		t.Fatalf("Meta seen by another handle's Load = %+v; want lineage %s, serial 3", m, first.Lineage)
	}
}

// testLineageReplaced: a handle that has seen one lineage refuses to go on
// once the stage holds another (here given by AdoptMeta, as `athanor state
// migrate --force` does), while a new handle works with the new one.
func testLineageReplaced(t *testing.T, open func(t *testing.T) state.Store) {
	ctx := context.Background()
	old := open(t)
	mustPut(t, old, Sample("A"))
	u, err := old.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatal(err)
	}
	seen := mustMeta(t, old, "after Lock")
	if err := u.Unlock(); err != nil {
		t.Fatal(err)
	}

	replacer := open(t)
	ru, err := replacer.Lock(ctx, state.NewLockInfo("state migrate", "test"))
	if err != nil {
		t.Fatal(err)
	}
	from := state.Meta{Lineage: state.NewID(), Serial: 7}
	if err := state.AdoptMeta(ctx, replacer, from); err != nil {
		t.Fatalf("AdoptMeta: %v", err)
	}
	if m := mustMeta(t, replacer, "after AdoptMeta"); m.Lineage != from.Lineage || m.Serial != 8 {
		t.Fatalf("Meta after AdoptMeta of serial 7 over serial 2 = %+v; want the new lineage, serial 8", m)
	}
	mustPut(t, replacer, Sample("B")) // the handle that replaced it writes on
	if err := ru.Unlock(); err != nil {
		t.Fatal(err)
	}

	var le *state.LineageError
	if _, err := old.Load(ctx); !errors.As(err, &le) || le.Want != seen.Lineage || le.Have != from.Lineage {
		t.Fatalf("Load by a handle that saw lineage %s, now %s: %v; want a *state.LineageError", seen.Lineage, from.Lineage, err)
	}
	if err := old.Put(ctx, Sample("C")); !errors.As(err, &le) {
		t.Errorf("Put after a replaced lineage: %v; want a *state.LineageError", err)
	}
	if err := old.Delete(ctx, "A"); !errors.As(err, &le) {
		t.Errorf("Delete after a replaced lineage: %v; want a *state.LineageError", err)
	}
	if _, err := old.Lock(ctx, state.NewLockInfo("up", "test")); !errors.As(err, &le) {
		t.Errorf("Lock after a replaced lineage: %v; want a *state.LineageError", err)
	}
	fresh := open(t)
	if got := ids(mustLoad(t, fresh)); strings.Join(got, ",") != "A,B" {
		t.Fatalf("records = %v; want A,B", got)
	}
	fu, err := fresh.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatalf("a new handle's Lock: %v", err)
	}
	defer fu.Unlock()
	mustPut(t, fresh, Sample("C"))
}

// testClose: Close succeeds, and what was written before stays.
func testClose(t *testing.T, open func(t *testing.T) state.Store) {
	s := open(t)
	mustPut(t, s, Sample("A"))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s2 := open(t)
	if got := ids(mustLoad(t, s2)); len(got) != 1 {
		t.Fatalf("records after Close = %v; want A, kept", got)
	}
}
