package pgstore

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/athanor-iac/athanor/state"
)

// The SQLSTATE codes classify tells apart (PostgreSQL's appendix A
// "PostgreSQL Error Codes"; the names are its condition names).
const (
	sqlstateInvalidPassword       = "28P01" // invalid_password
	sqlstateInvalidAuthorization  = "28000" // invalid_authorization_specification
	sqlstateInvalidCatalogName    = "3D000" // invalid_catalog_name: no such database
	sqlstateInsufficientPrivilege = "42501" // insufficient_privilege
)

// classify turns the errors that make the database unusable as a whole
// (unreachable, wrong password, missing database or role, no privilege)
// into a one-line *state.StoreError saying what to check; other errors
// are returned as they are.
func (s *Store) classify(err error) error {
	if err == nil {
		return nil
	}
	var se *state.StoreError
	if errors.As(err, &se) {
		return err
	}
	user, db, addr := s.connCfg.User, s.connCfg.Database, fmt.Sprintf("%s:%d", s.connCfg.Host, s.connCfg.Port)
	e := &state.StoreError{Where: s.where, Err: err}
	var pe *pgconn.PgError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &pe) && pe.Code == sqlstateInvalidPassword:
		e.Cause = fmt.Sprintf("the server refused the password of user %s", user)
		e.Check = "check the password in the state URL, PGPASSWORD or ~/.pgpass"
	case errors.As(err, &pe) && pe.Code == sqlstateInvalidAuthorization:
		e.Cause = fmt.Sprintf("the server refused user %s: %s", user, pe.Message)
		e.Check = "check the user name in the state URL and the server's pg_hba.conf"
	case errors.As(err, &pe) && pe.Code == sqlstateInvalidCatalogName:
		e.Cause = fmt.Sprintf("database %s does not exist", db)
		e.Check = fmt.Sprintf("create it (createdb %s) or correct the database name in the state URL", db)
	case errors.As(err, &pe) && pe.Code == sqlstateInsufficientPrivilege:
		e.Cause = fmt.Sprintf("user %s lacks a privilege: %s", user, pe.Message)
		e.Check = fmt.Sprintf("grant user %s the right to create tables and write rows in database %s (athanor keeps state in tables named athanor_*)", user, db)
	case errors.As(err, &dnsErr):
		e.Cause = fmt.Sprintf("host %s is unknown", s.connCfg.Host)
		e.Check = "check the host name in the state URL"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		e.Cause = fmt.Sprintf("cannot connect to %s (%v)", addr, opErr.Err)
		e.Check = "check that the server is running and that the host and port in the state URL are right"
	case errors.Is(err, context.DeadlineExceeded) && isConnect(err):
		e.Cause = fmt.Sprintf("no answer from %s in time", addr)
		e.Check = "check that the server is running and reachable (firewall, VPN), or raise connect_timeout in the state URL"
	default:
		return err
	}
	return e
}

func isConnect(err error) bool {
	var ce *pgconn.ConnectError
	return errors.As(err, &ce)
}

// fail reports err of the operation what ("load state", "put record X").
func (s *Store) fail(what string, err error) error {
	return state.WrapBackendError(what, s.where, s.classify(err))
}
