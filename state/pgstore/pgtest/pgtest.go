// Package pgtest finds the PostgreSQL server that tests of the postgres
// state backend run against.
package pgtest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
)

// EnvURL names the environment variable holding the test server's URL. .ci/run
// starts a throw-away server and sets it.
const EnvURL = "ATHANOR_TEST_POSTGRES_URL"

// URL returns the test server's URL. Without one, the test fails when CI is
// set, because a CI run that skipped the postgres tests would pass without
// testing the backend, and is skipped otherwise; either way it says how to
// provide a server.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u != "" {
		return u
	}
	msg := EnvURL + " is not set, so the PostgreSQL state backend is not tested. " +
		"Run `bash .ci/run`, which starts a server, or start one yourself and set " +
		EnvURL + "=postgres://user@127.0.0.1:5432/db?sslmode=disable"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// App returns a fresh app name, so that tests sharing a database, and runs
// of the tests against a long-lived server, do not see each other's state.
func App(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + "-" + hex.EncodeToString(b[:])
}
