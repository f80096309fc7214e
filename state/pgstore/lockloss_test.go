package pgstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/athanor-iac/athanor/state"
	"github.com/athanor-iac/athanor/state/pgstore"
	"github.com/athanor-iac/athanor/state/pgstore/pgtest"
	"github.com/athanor-iac/athanor/state/statetest"
)

// TestLockLostWhenSessionEnds terminates the database session that holds a
// run's advisory lock, as a server restart or an administrator does: the
// run's writes stop, saying the lock was lost, and the next run takes the
// lock, hears that the previous run ended without unlocking, and writes.
func TestLockLostWhenSessionEnds(t *testing.T) {
	for _, first := range []string{"Put", "Delete"} {
		t.Run(first+"First", func(t *testing.T) { testLockLost(t, first, false) })
		// A server restart ends the pool's sessions too, so the first
		// write meets an ended connection before it can check the lock.
		t.Run(first+"FirstAllSessions", func(t *testing.T) { testLockLost(t, first, true) })
	}
}

// testLockLost loses the lock, then has the run write: first, the write
// named, so that each write's own check is what finds the loss. With all,
// every session of the store ends, as in a server restart, not only the
// lock's.
func testLockLost(t *testing.T, first string, all bool) {
	url := pgtest.URL(t)
	ctx := context.Background()
	app := pgtest.App("lost")
	appName := pgtest.App("athanor-test")
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	s := opener(url+sep+"application_name="+appName, app)(t)
	holder := state.NewLockInfo("up", "test")
	u, err := s.Lock(ctx, holder)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, statetest.Sample("before")); err != nil {
		t.Fatalf("Put under the lock: %v", err)
	}
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	// pg_terminate_backend with a timeout returns once the session ended.
	var ended bool
	if all {
		err = admin.QueryRow(ctx, `SELECT bool_and(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity WHERE application_name = $1`, appName).Scan(&ended)
	} else {
		err = admin.QueryRow(ctx, `SELECT pg_terminate_backend($1, 10000)`, int32(pgstore.LockPID(u))).Scan(&ended)
	}
	if err != nil || !ended {
		t.Fatalf("terminate the sessions: %v %v", ended, err)
	}
	put := func() error { return s.Put(ctx, statetest.Sample("after")) }
	del := func() error { return s.Delete(ctx, "before") }
	if first == "Delete" {
		put, del = del, put
	}
	statetest.WantLockLost(t, first+" after the lock's session ended", put(), "session that held it")
	statetest.WantLockLost(t, "the other write after the lock's session ended", del(), "session that held it")
	recs, err := s.Load(ctx)
	if err != nil || len(recs) != 1 || recs[0].LogicalID != "before" {
		t.Fatalf("records after the lost lock = %+v, %v; want only the one written before", recs, err)
	}

	next := opener(url, app)(t)
	u2, err := next.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatalf("the next run's Lock: %v", err)
	}
	defer u2.Unlock()
	if stale, ok := state.StaleLock(u2); !ok || stale.ID != holder.ID {
		t.Errorf("the next run's StaleLock = %+v, %v; want the run that lost its lock", stale, ok)
	}
	if err := next.Put(ctx, statetest.Sample("after")); err != nil {
		t.Errorf("the next run's Put: %v", err)
	}
	statetest.WantLockLost(t, "Put of the old run once the next holds the lock", s.Put(ctx, statetest.Sample("late")), "session that held it")
	statetest.WantLockLost(t, "Unlock after the lock's session ended", u.Unlock(), "session that held it")
	if info, held, err := next.(state.LockReader).ReadLock(ctx); err != nil || !held || info.ID == holder.ID {
		t.Errorf("after the old run's Unlock, ReadLock = %+v, %v, %v; want the next run holding the lock", info, held, err)
	}
}

// TestLockLostWhenInfoRowChanges has the lock's info row name another
// holder while this run's session still holds the advisory lock, as when a
// new session got the pid of the run's ended one: the row, not the pid
// alone, must say the lock is still this run's.
func TestLockLostWhenInfoRowChanges(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	app := pgtest.App("row")
	s := opener(url, app)(t)
	u, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatal(err)
	}
	defer u.Unlock()
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `UPDATE athanor_locks SET info = jsonb_set(info, '{id}', '"someone-else"') WHERE app = $1`, app); err != nil {
		t.Fatal(err)
	}
	statetest.WantLockLost(t, "Put when the info row names another holder", s.Put(ctx, statetest.Sample("x")), "lost the lock")
}
