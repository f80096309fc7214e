package s3store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/athanor-iac/athanor/state"
	"github.com/athanor-iac/athanor/state/s3store"
	"github.com/athanor-iac/athanor/state/s3store/s3test"
	"github.com/athanor-iac/athanor/state/statetest"
)

const app = "shop"

func stageOf(t *testing.T) string { return fmt.Sprintf("s%x", sha256.Sum256([]byte(t.Name())))[:17] }

func opener(url string) func(t *testing.T) state.Store {
	return func(t *testing.T) state.Store {
		t.Helper()
		s, err := state.Open(context.Background(), url, app, stageOf(t))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

// backend opens the S3 store itself, without the bookkeeping of
// state.Open, for tests that set its clock.
func backend(t *testing.T, rawURL, stage string) state.Store {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	s, err := s3store.Open(context.Background(), u, app, stage)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clock is a manual clock for lock expiry.
type clock struct{ t atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.t.Store(time.Now().UnixNano())
	return c
}
func (c *clock) now() time.Time               { return time.Unix(0, c.t.Load()) }
func (c *clock) advance(d time.Duration)      { c.t.Add(int64(d)) }
func (c *clock) at(o *clock, d time.Duration) { c.t.Store(o.t.Load() + int64(d)) }

func getObject(t *testing.T, c *s3.Client, bucket, key string) ([]byte, bool) {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, false
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return data, true
}

func putObject(t *testing.T, c *s3.Client, bucket, key string, data []byte) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
}

func TestConformance(t *testing.T) {
	srv := s3test.Start(t)
	statetest.RunWith(t, opener(s3test.URL(srv.Endpoint, srv.Bucket(t), "teams/net", time.Minute)), statetest.Options{
		Crash: func(t *testing.T, u state.Unlocker) {
			if err := s3store.ExpireLock(u); err != nil {
				t.Fatal(err)
			}
		},
	})
}

func TestLayoutAndCost(t *testing.T) {
	srv := s3test.Start(t)
	proxy := srv.Proxy(t)
	bucket := srv.Bucket(t)
	ctx := context.Background()
	s, err := state.Open(ctx, s3test.URL(proxy.URL, bucket, "p", time.Minute), app, "dev")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := s.Put(ctx, statetest.Sample(fmt.Sprintf("R%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	puts := proxy.Count("PUT")
	if err := s.Put(ctx, statetest.Sample("MyFlowLog")); err != nil {
		t.Fatal(err)
	}
	if n := proxy.Count("PUT") - puts; n != 1 {
		t.Errorf("a Put in a stage of 50 records cost %d PUT requests, want 1", n)
	}
	c := srv.Client()
	data, ok := getObject(t, c, bucket, "p/shop/dev/resources/MyFlowLog.json")
	if !ok {
		t.Fatal("record object not at p/shop/dev/resources/MyFlowLog.json")
	}
	if r, err := state.DecodeRecord(data); err != nil || !statetest.Equal(r, statetest.Sample("MyFlowLog")) {
		t.Errorf("record object is not the envelope of the record: %v", err)
	}
	if data, ok := getObject(t, c, bucket, "p/shop/dev/stage.json"); !ok || !bytes.Contains(data, []byte(`"serial": 1`)) {
		t.Errorf("stage.json after one Lock = %s; want serial 1", data)
	}
	lock, _ := getObject(t, c, bucket, "p/shop/dev/lock.json")
	if !bytes.Contains(lock, []byte(`"holder"`)) || !bytes.Contains(lock, []byte(`"expires"`)) {
		t.Errorf("lock object while held = %s; want holder and expiry", lock)
	}
	if err := u.Unlock(); err != nil {
		t.Fatal(err)
	}
	lock, _ = getObject(t, c, bucket, "p/shop/dev/lock.json")
	if bytes.Contains(lock, []byte(`"holder"`)) {
		t.Errorf("lock object after Unlock = %s; want no holder", lock)
	}
}

// TestConcurrentLockOneWinner has runs race for a free lock and for an
// expired one on the real server: S3's conditional writes must let exactly
// one win, and refuse the others with a LockError (412 or 409), never an
// unexplained error and never two winners.
func TestConcurrentLockOneWinner(t *testing.T) {
	srv := s3test.Start(t)
	url := s3test.URL(srv.Endpoint, srv.Bucket(t), "race", time.Minute)
	ctx := context.Background()
	for round := range 6 {
		stage := fmt.Sprintf("r%d", round)
		if round%2 == 1 { // an expired lock to take over
			u, err := backend(t, url, stage).Lock(ctx, state.NewLockInfo("up", "test"))
			if err != nil {
				t.Fatal(err)
			}
			if err := s3store.ExpireLock(u); err != nil {
				t.Fatal(err)
			}
		}
		const runs = 8
		var wg sync.WaitGroup
		var won atomic.Int32
		errs := make(chan error, runs)
		for range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := state.Open(ctx, url, app, stage)
				if err != nil {
					errs <- err
					return
				}
				_, err = s.Lock(ctx, state.NewLockInfo("up", "race"))
				var le *state.LockError
				switch {
				case err == nil:
					won.Add(1)
				case !errors.As(err, &le):
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: a losing Lock failed with %v; want a *state.LockError", round, err)
		}
		if n := won.Load(); n != 1 {
			t.Fatalf("round %d: %d of %d concurrent Locks won; want exactly 1", round, n, runs)
		}
	}
}

func TestLockRenewedWhileHeld(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	url := s3test.URL(srv.Endpoint, srv.Bucket(t), "renew", time.Minute)
	a, b := backend(t, url, "dev"), backend(t, url, "dev")
	ca, cb := newClock(), newClock()
	s3store.SetClock(a, ca.now)
	s3store.SetClock(b, cb.now)
	holder := state.NewLockInfo("up", "test")
	u, err := a.Lock(ctx, holder)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Unlock()
	for range 4 { // four renewals carry the lock over four TTLs
		ca.advance(40 * time.Second)
		if err := s3store.RenewNow(u); err != nil {
			t.Fatalf("renewal: %v", err)
		}
	}
	cb.at(ca, 50*time.Second)
	_, err = b.Lock(ctx, state.NewLockInfo("up", "test"))
	var le *state.LockError
	if !errors.As(err, &le) || le.Info.ID != holder.ID {
		t.Fatalf("Lock of a lock renewed 4 TTLs after it was taken: %v; want a LockError naming the holder", err)
	}
	if err := a.Put(ctx, statetest.Sample("x")); err != nil {
		t.Errorf("Put under a renewed lock: %v", err)
	}
}

func TestForceUnlockStopsLiveHolder(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	url := s3test.URL(srv.Endpoint, srv.Bucket(t), "force", time.Minute)
	s := backend(t, url, "dev")
	u, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatal(err)
	}
	info, err := state.ForceUnlock(ctx, url, app, "dev")
	if err != nil || info.ID == "" {
		t.Fatalf("ForceUnlock = %+v, %v; want the holder", info, err)
	}
	other := backend(t, url, "dev")
	newHolder := state.NewLockInfo("destroy", "test")
	u2, err := other.Lock(ctx, newHolder)
	if err != nil {
		t.Fatalf("Lock after ForceUnlock: %v", err)
	}
	defer u2.Unlock()
	// The first holder learns at its next renewal that it lost the lock,
	// and its writes stop.
	statetest.WantLockLost(t, "renewal of a broken lock", s3store.RenewNow(u), "destroy")
	statetest.WantLockLost(t, "Put by a holder whose lock was broken", s.Put(ctx, statetest.Sample("late")), "took it over")
	statetest.WantLockLost(t, "Delete by a holder whose lock was broken", s.Delete(ctx, "late"), "took it over")
	statetest.WantLockLost(t, "Unlock of a broken lock", u.Unlock(), "took it over")
	if _, held, _ := other.(state.LockReader).ReadLock(ctx); !held {
		t.Error("the old holder's Unlock released the new holder's lock")
	}
}

// TestLockLostWhenRenewalFails has the holder's renewals fail (access to
// the lock object refused) until its lock expires: the holder stops
// writing, saying why, and the next run takes the lock over, reports the
// previous run as stale, and can write.
func TestLockLostWhenRenewalFails(t *testing.T) {
	srv := s3test.Start(t)
	proxy := srv.Proxy(t)
	ctx := context.Background()
	url := s3test.URL(proxy.URL, srv.Bucket(t), "renewfail", time.Minute)
	s := backend(t, url, "dev")
	ca := newClock()
	s3store.SetClock(s, ca.now)
	holder := state.NewLockInfo("up", "test")
	u, err := s.Lock(ctx, holder)
	if err != nil {
		t.Fatal(err)
	}
	proxy.Fail(func(r *http.Request) bool {
		return r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/lock.json")
	}, 403, "AccessDenied")
	ca.advance(20 * time.Second)
	if err := s3store.RenewNow(u); err != nil {
		t.Fatalf("one failed renewal, 40s before expiry: %v; want the lock kept", err)
	}
	if err := s.Put(ctx, statetest.Sample("before")); err != nil {
		t.Fatalf("Put after one failed renewal: %v", err)
	}
	ca.advance(30 * time.Second) // 10s before expiry: inside the margin
	statetest.WantLockLost(t, "Put when the lock is about to expire unrenewed", s.Put(ctx, statetest.Sample("after")), "access denied")
	if err := s3store.RenewNow(u); err == nil {
		t.Error("renewal of a lost lock succeeded")
	}
	proxy.Fail(nil, 0, "")
	statetest.WantLockLost(t, "Put once the endpoint is healthy again", s.Put(ctx, statetest.Sample("after")), "expired")
	next := backend(t, url, "dev")
	cn := newClock()
	cn.at(ca, 15*time.Second)
	s3store.SetClock(next, cn.now)
	u2, err := next.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatalf("the next run's Lock: %v", err)
	}
	defer u2.Unlock()
	if stale, ok := state.StaleLock(u2); !ok || stale.ID != holder.ID {
		t.Errorf("the next run's StaleLock = %+v, %v; want the run that lost the lock", stale, ok)
	}
	if err := next.Put(ctx, statetest.Sample("after")); err != nil {
		t.Errorf("the next run's Put: %v", err)
	}
}

// TestLockTakenOverAfterExpiry has a holder stall past its lock's expiry
// (suspended, paused): another run takes the lock over, and the first one,
// when it wakes, writes nothing, whether its clock or its renewal tells it
// first.
func TestLockTakenOverAfterExpiry(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	url := s3test.URL(srv.Endpoint, srv.Bucket(t), "stall", time.Minute)
	for _, wake := range []string{"clock", "renewal"} {
		t.Run(wake, func(t *testing.T) {
			a, b := backend(t, url, wake), backend(t, url, wake)
			ca, cb := newClock(), newClock()
			s3store.SetClock(a, ca.now)
			s3store.SetClock(b, cb.now)
			ua, err := a.Lock(ctx, state.NewLockInfo("up", "test"))
			if err != nil {
				t.Fatal(err)
			}
			cb.at(ca, 61*time.Second)
			ub, err := b.Lock(ctx, state.NewLockInfo("destroy", "test"))
			if err != nil {
				t.Fatalf("Lock of an expired lock: %v", err)
			}
			defer ub.Unlock()
			if wake == "clock" {
				ca.advance(61 * time.Second)
				statetest.WantLockLost(t, "Put after waking past the expiry", a.Put(ctx, statetest.Sample("x")), "expired")
			} else {
				statetest.WantLockLost(t, "renewal after another run took over", s3store.RenewNow(ua), "destroy")
				statetest.WantLockLost(t, "Put after a failed renewal", a.Put(ctx, statetest.Sample("x")), "took it over")
			}
			if err := b.Put(ctx, statetest.Sample("x")); err != nil {
				t.Errorf("the new holder's Put: %v", err)
			}
		})
	}
}

func TestOptimisticRecordWrites(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	url := s3test.URL(srv.Endpoint, srv.Bucket(t), "occ", 0)
	a, b := opener(url)(t), opener(url)(t)
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
	// S3 answers If-Match on a deleted object with 404 NoSuchKey, not 412:
	// still a conflict.
	if err := b.Delete(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if err := a.Put(ctx, statetest.Sample("x")); err == nil || !strings.Contains(err.Error(), "changed by another writer") {
		t.Errorf("Put over a record deleted since Load: %v; want a conflict", err)
	}
}

// TestConditionalConflict409 answers conditional writes with 409
// ConditionalRequestConflict, which S3 sends while another conditional
// write to the key is in flight (MinIO answers 412 only, so a proxy
// injects it): it means the same as 412.
func TestConditionalConflict409(t *testing.T) {
	srv := s3test.Start(t)
	proxy := srv.Proxy(t)
	ctx := context.Background()
	url := s3test.URL(proxy.URL, srv.Bucket(t), "conflict", time.Minute)
	a := opener(url)(t)
	if err := a.Put(ctx, statetest.Sample("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Load(ctx); err != nil {
		t.Fatal(err)
	}
	proxy.Fail(func(r *http.Request) bool {
		return r.Method == http.MethodPut && (r.Header.Get("If-Match") != "" || r.Header.Get("If-None-Match") != "")
	}, 409, "ConditionalRequestConflict")
	if err := a.Put(ctx, statetest.Sample("y")); err == nil || !strings.Contains(err.Error(), "changed by another writer") {
		t.Errorf("Put answered 409: %v; want a conflict", err)
	}
	_, err := a.Lock(ctx, state.NewLockInfo("up", "test"))
	var le *state.LockError
	if !errors.As(err, &le) {
		t.Errorf("Lock answered 409: %v; want a *state.LockError", err)
	}
}

// TestLockWriteRetriedAfterLanding loses the answer to the write that takes
// the lock, and to a renewal: the SDK's retry meets our own write and fails
// its condition, which must not read as someone else holding the lock.
func TestLockWriteRetriedAfterLanding(t *testing.T) {
	srv := s3test.Start(t)
	proxy := srv.Proxy(t)
	ctx := context.Background()
	s := backend(t, s3test.URL(proxy.URL, srv.Bucket(t), "retry", time.Minute), "dev")
	lockPut := func(r *http.Request) bool {
		return r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/lock.json")
	}
	proxy.LoseNext(lockPut)
	u, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatalf("Lock whose first answer was lost: %v", err)
	}
	proxy.LoseNext(lockPut)
	if err := s3store.RenewNow(u); err != nil {
		t.Fatalf("renewal whose first answer was lost: %v", err)
	}
	if err := s.Put(ctx, statetest.Sample("x")); err != nil {
		t.Errorf("Put: %v", err)
	}
	if err := u.Unlock(); err != nil {
		t.Errorf("Unlock: %v", err)
	}
}

// TestLockObjectDeleted removes the lock object under a live holder (by
// hand, or a lifecycle rule): another run could create it afresh, so the
// holder stops writing at its next renewal.
func TestLockObjectDeleted(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	ctx := context.Background()
	s := backend(t, s3test.URL(srv.Endpoint, bucket, "del", time.Minute), "dev")
	u, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client().DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String("del/shop/dev/lock.json")}); err != nil {
		t.Fatal(err)
	}
	statetest.WantLockLost(t, "renewal of a deleted lock", s3store.RenewNow(u), "was deleted")
	statetest.WantLockLost(t, "Put after the lock object was deleted", s.Put(ctx, statetest.Sample("x")), "was deleted")
}

func TestCorruptObjectRefused(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	c := srv.Client()
	ctx := context.Background()
	s := opener(s3test.URL(srv.Endpoint, bucket, "c", 0))(t)
	if err := s.Put(ctx, statetest.Sample("FlowLog")); err != nil {
		t.Fatal(err)
	}
	key := "c/shop/" + stageOf(t) + "/resources/FlowLog.json"
	data, _ := getObject(t, c, bucket, key)
	putObject(t, c, bucket, key, bytes.Replace(data, []byte(`"ALL"`), []byte(`"REJECT"`), 1))
	_, err := s.Load(ctx)
	var ce *state.CorruptRecordError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "s3://"+bucket+"/"+key) || !strings.Contains(err.Error(), "athanor state rm FlowLog --yes --app "+app+" --stage "+stageOf(t)) {
		t.Fatalf("Load of an edited object: %v; want a CorruptRecordError naming it", err)
	}
	putObject(t, c, bucket, "c/shop/"+stageOf(t)+"/resources/notes.txt", []byte("hi"))
	putObject(t, c, bucket, key, data)
	if _, err := s.Load(ctx); err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Fatalf("Load with a stray object: %v; want an error naming it", err)
	}
}

func TestOpenURLs(t *testing.T) {
	s3test.Start(t)
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
	srv := s3test.Start(b)
	ctx := context.Background()
	s, err := state.Open(ctx, s3test.URL(srv.Endpoint, srv.Bucket(b), "bench", 0), app, "dev")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	r := statetest.Sample("FlowLog")
	for b.Loop() {
		if err := s.Put(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}
