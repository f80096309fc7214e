package cli

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/athanor-iac/athanor/internal/cli/cmdutil"
	"github.com/athanor-iac/athanor/internal/jsonout"
)

// Exit statuses of the athanor binary, the same as every program's
// (package cmdutil).
const (
	ExitOK    = cmdutil.ExitOK
	ExitError = cmdutil.ExitError
	ExitUsage = cmdutil.ExitUsage
)

// UsageError is a mistake in the command line. [Execute] exits 2 for it and
// points at the command's --help.
type UsageError = cmdutil.UsageError

func usageErrorf(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

func asUsage(err error) error {
	var ue *UsageError
	if errors.As(err, &ue) {
		return err
	}
	return &UsageError{Err: err}
}

// SilentError makes [Execute] exit with Code without printing anything,
// for commands that have already reported their outcome, such as validate
// listing problems.
type SilentError struct{ Code int }

func (e *SilentError) Error() string { return "exit status " + strconv.Itoa(e.Code) }

// reportError prints err as "athanor: <message>" and returns the exit
// status it means. This is the one place errors become exit codes.
func reportError(w io.Writer, cmd *cobra.Command, err error) int {
	var se *SilentError
	if errors.As(err, &se) {
		return se.Code
	}
	fmt.Fprintf(w, "athanor: %v\n", err)
	var ue *UsageError
	if errors.As(err, &ue) {
		path := "athanor"
		if cmd != nil {
			path = cmd.CommandPath()
		}
		fmt.Fprintf(w, "Run '%s --help' for usage.\n", path)
		return ExitUsage
	}
	return ExitError
}

func quote(s string) string { return strconv.Quote(s) }

// alwaysJSON is the annotation of a command whose output is JSON without
// --json (state show): its errors are JSON documents too.
const alwaysJSON = "athanor.json"

// wantsJSON reports whether the command that failed was asked for --json,
// or always prints JSON, so that its error is a JSON document on standard
// output too. args are read when the flags could not be parsed.
func wantsJSON(cmd *cobra.Command, args []string) bool {
	if cmd != nil && cmd.Annotations[alwaysJSON] != "" {
		return true
	}
	if cmd != nil {
		if f := cmd.Flags().Lookup("json"); f != nil && f.Changed {
			return f.Value.String() == "true"
		}
	}
	return jsonout.Requested(args)
}
