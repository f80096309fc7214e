package pgstore_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/athanor-iac/athanor/state"
	"github.com/athanor-iac/athanor/state/pgstore/pgtest"
	"github.com/athanor-iac/athanor/state/statetest"
)

// wantStoreError is statetest.WantStoreError, checking too that the
// message does not hold the password the tests use.
func wantStoreError(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	statetest.WantStoreError(t, what, err, want...)
	if strings.Contains(err.Error(), "wrong-password") {
		t.Errorf("%s: %v; leaks the password", what, err)
	}
}

// variant returns the test server's URL changed by edit.
func variant(t *testing.T, raw string, edit func(u *url.URL)) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	edit(u)
	q := u.Query()
	q.Set("connect_timeout", "5")
	u.RawQuery = q.Encode()
	return u.String()
}

// TestStoreErrors provokes each way a database can be unusable. Open
// connects and prepares the tables, so each shows there, before a run
// touches any resource.
func TestStoreErrors(t *testing.T) {
	raw := pgtest.URL(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	open := func(u string) error {
		s, err := state.Open(ctx, u, "app", "dev")
		if err == nil {
			s.Close()
		}
		return err
	}
	t.Run("Unreachable", func(t *testing.T) {
		u := variant(t, raw, func(u *url.URL) { u.Host = "127.0.0.1:1" })
		wantStoreError(t, "Open", open(u), "cannot connect to 127.0.0.1:1", "check that the server is running")
	})
	t.Run("WrongPassword", func(t *testing.T) {
		u := variant(t, raw, func(u *url.URL) { u.User = url.UserPassword(u.User.Username(), "wrong-password") })
		err := open(u)
		if err == nil {
			t.Skip("the test server does not check passwords (trust authentication); .ci/postgres.sh starts one that does")
		}
		wantStoreError(t, "Open", err, "refused the password of user", "PGPASSWORD")
	})
	t.Run("DatabaseMissing", func(t *testing.T) {
		u := variant(t, raw, func(u *url.URL) { u.Path = "/athanor_no_such_db" })
		wantStoreError(t, "Open", open(u), "database athanor_no_such_db does not exist", "createdb athanor_no_such_db")
	})
	t.Run("NoPrivilege", func(t *testing.T) {
		admin, err := pgx.Connect(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close(ctx)
		if err := open(raw); err != nil { // the tables exist
			t.Fatal(err)
		}
		_, err = admin.Exec(ctx, `DROP ROLE IF EXISTS athanor_reader; CREATE ROLE athanor_reader LOGIN PASSWORD 'reader-pw'`)
		if err != nil {
			t.Skipf("cannot create a role on the test server: %v", err)
		}
		t.Cleanup(func() { admin.Exec(context.Background(), `DROP ROLE IF EXISTS athanor_reader`) })
		u := variant(t, raw, func(u *url.URL) { u.User = url.UserPassword("athanor_reader", "reader-pw") })
		wantStoreError(t, "Open", open(u), "user athanor_reader lacks a privilege", "grant user athanor_reader")
	})
}
