// Package jsonout holds what every --json output of Athanor shares, the
// programs' and the athanor command's alike: the format version, the
// error document and how documents are written (docs/json.md).
//
// A --json command prints exactly one document on standard output and
// nothing else there, so that `... --json | jq` always parses: its result,
// or, when it fails, an [Error] with the exit code it returns.
package jsonout

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// FormatVersion is the formatVersion of every document. A document's
// shape is stable within a version: fields may be added, never removed or
// changed in meaning, without a new version.
const FormatVersion = 1

// Error is the document a --json command prints when it fails.
type Error struct {
	FormatVersion int       `json:"formatVersion"`
	Error         ErrorBody `json:"error"`
}

// ErrorBody says what failed.
type ErrorBody struct {
	Message string `json:"message"`
	// ExitCode is the command's exit code: 1 for an error, 2 for a usage
	// error (or an up or destroy refused for want of --yes).
	ExitCode int `json:"exitCode"`
	// Problems are a program's mistakes, when planning found them.
	Problems []Problem `json:"problems,omitempty"`
}

// Problem is one mistake in a program.
type Problem struct {
	LogicalID string `json:"logicalId,omitempty"`
	Type      string `json:"type,omitempty"`
	Message   string `json:"message"`
}

// NewError returns the error document for err and exit code.
func NewError(err error, exitCode int) Error {
	return Error{FormatVersion: FormatVersion, Error: ErrorBody{Message: err.Error(), ExitCode: exitCode}}
}

// Write writes v indented, with a final newline.
func Write(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}

// Requested reports whether command-line args ask for --json, for errors
// found before (or while) the flags were parsed.
func Requested(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if v, ok := strings.CutPrefix(a, "--json"); ok && (v == "" || v[0] == '=') {
			if v == "" {
				return true
			}
			b, err := strconv.ParseBool(v[1:])
			return err == nil && b
		}
	}
	return false
}
