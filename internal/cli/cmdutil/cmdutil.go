// Package cmdutil holds what the two command lines of Athanor share: the
// athanor command (package cli) and the command line every program gets
// from athanor.Run. Exit codes, usage errors and the did-you-mean of an
// unknown command are written here once, so that scripts see the same
// behaviour from both.
package cmdutil

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes, for scripts.
const (
	ExitOK    = 0 // success
	ExitError = 1 // the command ran and failed, or found problems
	ExitUsage = 2 // the command line was wrong: unknown command or flag, bad value
	// ExitChanges is plan --detailed-exitcode's: changes are pending.
	ExitChanges = 2
)

// UsageError is a mistake in the command line: the command exits
// [ExitUsage] and points at its --help.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// UnknownCommand is the usage error for arg given where cmd takes a
// subcommand, with the closest subcommand when one is near (cmd's
// SuggestionsMinimumDistance).
func UnknownCommand(cmd *cobra.Command, arg string) error {
	msg := fmt.Sprintf("unknown command %s for %s", strconv.Quote(arg), strconv.Quote(cmd.CommandPath()))
	if s := cmd.SuggestionsFor(arg); len(s) > 0 {
		msg += "; did you mean " + strconv.Quote(s[0]) + "?"
	}
	return &UsageError{Err: fmt.Errorf("%s", msg)}
}

// CheckEndpoint checks the URL of an endpoint flag (--endpoint,
// --sts-endpoint) before anything is sent: an absolute http or https URL
// with a host, as the SDK's BaseEndpoint wants it. Empty is fine (the
// SDK's own resolution).
func CheckEndpoint(flag, raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%s %q: give an absolute http:// or https:// URL without a query, such as http://127.0.0.1:4566", flag, raw)
	}
	return nil
}

// Mistakes are every mistake found on a command line, reported at once so
// that one correction fixes them all.
type Mistakes []error

func (es Mistakes) Error() string {
	if len(es) == 1 {
		return es[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d mistakes on the command line:", len(es))
	for _, e := range es {
		b.WriteString("\n  " + e.Error())
	}
	return b.String()
}
