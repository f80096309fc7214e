package pgstore_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/athanor-iac/athanor/state"
	"github.com/athanor-iac/athanor/state/pgstore"
	"github.com/athanor-iac/athanor/state/pgstore/pgtest"
	"github.com/athanor-iac/athanor/state/statetest"
)

// opener returns the suite's open function: the same t gets the same stage.
func opener(url, app string) func(t *testing.T) state.Store {
	return func(t *testing.T) state.Store {
		t.Helper()
		stage := fmt.Sprintf("s%x", sha256.Sum256([]byte(t.Name())))[:17]
		s, err := state.Open(context.Background(), url, app, stage)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.(io.Closer).Close() })
		return s
	}
}

// waitFree waits until the server has ended a closed session's locks: it
// does so asynchronously after the client goes.
func waitFree(t *testing.T, s state.Store) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, held, err := s.(state.LockReader).ReadLock(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !held {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not release a closed session's advisory lock within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConformance(t *testing.T) {
	url := pgtest.URL(t)
	open := opener(url, pgtest.App("conf"))
	statetest.RunWith(t, open, statetest.Options{
		Crash: func(t *testing.T, u state.Unlocker) {
			if err := pgstore.CrashLock(u); err != nil {
				t.Fatal(err)
			}
			waitFree(t, open(t))
		},
	})
}

func TestForceUnlockRefusesLiveHolder(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	app := pgtest.App("force")
	s := opener(url, app)(t)
	holder := state.NewLockInfo("up", "test")
	u, err := s.Lock(ctx, holder)
	if err != nil {
		t.Fatal(err)
	}
	defer u.Unlock()
	_, err = state.ForceUnlock(ctx, url, app, "s"+fmt.Sprintf("%x", sha256.Sum256([]byte(t.Name())))[:16])
	var le *state.LockError
	if !errors.As(err, &le) || le.Info.ID != holder.ID || !strings.Contains(err.Error(), "pg_terminate_backend") {
		t.Errorf("ForceUnlock of a live holder: %v; want a LockError naming it and the way out", err)
	}
}

func TestCorruptRowRefused(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	app := pgtest.App("corrupt")
	s, err := state.Open(ctx, url, app, "dev")
	if err != nil {
		t.Fatal(err)
	}
	defer s.(io.Closer).Close()
	if err := s.Put(ctx, statetest.Sample("FlowLog")); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// The corrupt row would break LoadAll of later runs on the same database.
	defer conn.Exec(ctx, `DELETE FROM athanor_records WHERE app = $1`, app)
	if _, err := conn.Exec(ctx, `UPDATE athanor_records SET record = replace(record, '"ALL"', '"REJECT"') WHERE app = $1`, app); err != nil {
		t.Fatal(err)
	}
	_, err = s.Load(ctx)
	var ce *state.CorruptRecordError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "athanor state rm FlowLog --yes --app "+app+" --stage dev") || !strings.Contains(err.Error(), "athanor_records") {
		t.Fatalf("Load of an edited row: %v; want a CorruptRecordError naming the row", err)
	}
}

func TestMigrationIdempotentAndVersioned(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	// Concurrent first opens must not race on CREATE TABLE.
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			s, err := state.Open(ctx, url, pgtest.App("mig"), "dev")
			if err == nil {
				s.(io.Closer).Close()
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent Open: %v", err)
		}
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v int
	if err := conn.QueryRow(ctx, `SELECT version FROM athanor_schema`).Scan(&v); err != nil || v != 1 {
		t.Fatalf("schema version = %d, %v; want 1", v, err)
	}
}

func TestPasswordNotLeaked(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := state.Open(ctx, "postgres://u:sekrit@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", "app", "dev")
	if err == nil {
		t.Fatal("Open of a closed port succeeded")
	}
	if strings.Contains(err.Error(), "sekrit") {
		t.Errorf("error leaks the password: %v", err)
	}
}

func BenchmarkPut(b *testing.B) {
	url := pgtest.URL(b)
	ctx := context.Background()
	s, err := state.Open(ctx, url, pgtest.App("bench"), "dev")
	if err != nil {
		b.Fatal(err)
	}
	defer s.(io.Closer).Close()
	r := statetest.Sample("FlowLog")
	for b.Loop() {
		if err := s.Put(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}
