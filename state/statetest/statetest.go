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
