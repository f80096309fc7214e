package s3store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/state"
	"github.com/athanor-iac/athanor/state/s3store"
	"github.com/athanor-iac/athanor/state/s3store/s3fake"
	"github.com/athanor-iac/athanor/state/statetest"
)

const (
	bucket = "athanor-state"
	app    = "shop"
	ttl    = 1500 * time.Millisecond
)

// fake starts an S3 fake and points the SDK's default configuration at
// dummy credentials, so that nothing reaches a real AWS endpoint.
func fake(t *testing.T) *s3fake.Server {
	t.Helper()
	srv, err := s3fake.Start(bucket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	return srv
}

func stateURL(srv *s3fake.Server, prefix string) string {
	return fmt.Sprintf("s3://%s/%s?endpoint=%s&lock_ttl=%s", bucket, prefix, srv.URL, ttl)
}

func stageOf(t *testing.T) string { return fmt.Sprintf("s%x", sha256.Sum256([]byte(t.Name())))[:17] }

func opener(url string) func(t *testing.T) state.Store {
	return func(t *testing.T) state.Store {
		t.Helper()
		s, err := state.Open(context.Background(), url, app, stageOf(t))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	}
}

func TestConformance(t *testing.T) {
	srv := fake(t)
	statetest.RunWith(t, opener(stateURL(srv, "teams/net")), statetest.Options{
		Crash: func(t *testing.T, u state.Unlocker) {
			s3store.CrashLock(u)
			time.Sleep(ttl + 100*time.Millisecond)
		},
	})
}

func TestLayoutAndCost(t *testing.T) {
	srv := fake(t)
	ctx := context.Background()
	s, err := state.Open(ctx, stateURL(srv, "p"), app, "dev")
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := s.Put(ctx, statetest.Sample(fmt.Sprintf("R%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	puts := srv.Requests.Put.Load()
	if err := s.Put(ctx, statetest.Sample("MyFlowLog")); err != nil {
		t.Fatal(err)
	}
	if n := srv.Requests.Put.Load() - puts; n != 1 {
		t.Errorf("a Put in a stage of 50 records cost %d PUT requests, want 1", n)
	}
	data, ok := srv.Object(bucket, "p/shop/dev/resources/MyFlowLog.json")
	if !ok {
		t.Fatal("record object not at p/shop/dev/resources/MyFlowLog.json")
	}
	if r, err := state.DecodeRecord(data); err != nil || !statetest.Equal(r, statetest.Sample("MyFlowLog")) {
		t.Errorf("record object is not the envelope of the record: %v", err)
	}
	if _, ok := srv.Object(bucket, "p/shop/dev/stage.json"); !ok {
		t.Error("no stage.json")
	}
	lock, _ := srv.Object(bucket, "p/shop/dev/lock.json")
	if !bytes.Contains(lock, []byte(`"holder"`)) || !bytes.Contains(lock, []byte(`"expires"`)) {
		t.Errorf("lock object while held = %s; want holder and expiry", lock)
	}
	u.Unlock()
	lock, _ = srv.Object(bucket, "p/shop/dev/lock.json")
	if bytes.Contains(lock, []byte(`"holder"`)) {
		t.Errorf("lock object after Unlock = %s; want no holder", lock)
	}
}

func TestLockRenewedWhileHeld(t *testing.T) {
	srv := fake(t)
	ctx := context.Background()
	url := stateURL(srv, "renew")
	s, _ := state.Open(ctx, url, app, "dev")
	holder := state.NewLockInfo("up", "test")
	u, err := s.Lock(ctx, holder)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Unlock()
	time.Sleep(3 * ttl) // several TTLs: only renewal keeps it
	other, _ := state.Open(ctx, url, app, "dev")
	_, err = other.Lock(ctx, state.NewLockInfo("up", "test"))
	var le *state.LockError
	if !errors.As(err, &le) || le.Info.ID != holder.ID {
		t.Fatalf("Lock after %v of a renewed lock: %v; want a LockError naming the holder", 3*ttl, err)
	}
}

func TestForceUnlockStopsLiveHolder(t *testing.T) {
	srv := fake(t)
	ctx := context.Background()
	url := stateURL(srv, "force")
	s, _ := state.Open(ctx, url, app, "dev")
	holder := state.NewLockInfo("up", "test")
	u, err := s.Lock(ctx, holder)
	if err != nil {
		t.Fatal(err)
	}
	info, err := state.ForceUnlock(ctx, url, app, "dev")
	if err != nil || info.ID != holder.ID {
		t.Fatalf("ForceUnlock = %+v, %v; want the holder", info, err)
	}
	other, _ := state.Open(ctx, url, app, "dev")
	u2, err := other.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatalf("Lock after ForceUnlock: %v", err)
	}
	defer u2.Unlock()
	// The first holder learns at its next renewal that it lost the lock,
	// and its writes stop.
	deadline := time.Now().Add(5 * ttl)
	for {
		err = s.Put(ctx, statetest.Sample("late"))
		if err != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err == nil || !strings.Contains(err.Error(), "broken by another run") {
		t.Fatalf("Put by a holder whose lock was broken: %v; want an error saying so", err)
	}
	if err := u.Unlock(); err == nil {
		t.Error("Unlock of a broken lock returned nil; want an error saying it was broken")
	}
	if _, held, _ := other.(state.LockReader).ReadLock(ctx); !held {
		t.Error("the old holder's Unlock released the new holder's lock")
	}
}

func TestOptimisticRecordWrites(t *testing.T) {
	srv := fake(t)
	ctx := context.Background()
	url := stateURL(srv, "occ")
	a, _ := state.Open(ctx, url, app, "dev")
	b, _ := state.Open(ctx, url, app, "dev")
	if err := a.Put(ctx, statetest.Sample("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Load(ctx); err != nil {
		t.Fatal(err)
	}
	// b changes x and creates y behind a's back.
	r := statetest.Sample("x")
	r.Identifier = "by-b"
	if err := b.Put(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, statetest.Sample("y")); err != nil {
		t.Fatal(err)
	}
	if err := a.Put(ctx, statetest.Sample("x")); err == nil || !strings.Contains(err.Error(), "changed by another writer") {
		t.Errorf("Put over a record changed since Load: %v; want a conflict", err)
	}
	y := statetest.Sample("y")
	y.Identifier = "by-a"
	if err := a.Put(ctx, y); err == nil {
		t.Errorf("Put of a record created since Load succeeded; want a conflict")
	}
	// Writing exactly what is there is not a conflict (a retried request).
	if err := a.Put(ctx, statetest.Sample("y")); err != nil {
		t.Errorf("Put of identical bytes: %v", err)
	}
	recs, err := a.Load(ctx)
	if err != nil || len(recs) != 2 || recs[0].Identifier != "by-b" {
		t.Fatalf("Load = %+v, %v", recs, err)
	}
}

func TestCorruptObjectRefused(t *testing.T) {
	srv := fake(t)
	ctx := context.Background()
	s, _ := state.Open(ctx, stateURL(srv, "c"), app, "dev")
	if err := s.Put(ctx, statetest.Sample("FlowLog")); err != nil {
		t.Fatal(err)
	}
	key := "c/shop/dev/resources/FlowLog.json"
	data, _ := srv.Object(bucket, key)
	srv.SetObject(bucket, key, bytes.Replace(data, []byte(`"ALL"`), []byte(`"REJECT"`), 1))
	_, err := s.Load(ctx)
	var ce *state.CorruptRecordError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "s3://"+bucket+"/"+key) || !strings.Contains(err.Error(), "athanor state rm FlowLog --yes --app "+app+" --stage dev") {
		t.Fatalf("Load of an edited object: %v; want a CorruptRecordError naming it", err)
	}
	srv.SetObject(bucket, "c/shop/dev/resources/notes.txt", []byte("hi"))
	srv.SetObject(bucket, key, data)
	if _, err := s.Load(ctx); err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Fatalf("Load with a stray object: %v; want an error naming it", err)
	}
}

func TestOpenURLs(t *testing.T) {
	fake(t)
	ctx := context.Background()
	for _, u := range []string{"s3:///prefix", "s3://b/p?nosuch=1", "s3://b/p?lock_ttl=soon", "s3://b/p?path_style=maybe", "s3://user:pw@b/p"} {
		if _, err := state.Open(ctx, u, app, "dev"); err == nil {
			t.Errorf("Open(%q) succeeded, want an error", u)
		} else if strings.Contains(err.Error(), "pw@") {
			t.Errorf("Open(%q) leaks the password: %v", u, err)
		}
	}
	if _, err := state.Open(ctx, "s3://bucket", app, "dev"); err != nil {
		t.Errorf("Open of a bucket without prefix: %v", err)
	}
}

func BenchmarkPut(b *testing.B) {
	srv, err := s3fake.Start(bucket)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	b.Setenv("AWS_ACCESS_KEY_ID", "test")
	b.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	b.Setenv("AWS_REGION", "us-east-1")
	ctx := context.Background()
	s, err := state.Open(ctx, stateURL(srv, "bench"), app, "dev")
	if err != nil {
		b.Fatal(err)
	}
	r := statetest.Sample("FlowLog")
	for b.Loop() {
		if err := s.Put(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}
