package secrets

import (
	"errors"
	"sort"
	"strings"

	"github.com/athanor-iac/athanor/internal/walk"
)

// A secret travels through a program as a marked string: a token that
// stands for its value between markOpen and markClose. Being a string, it
// fits any string field of a typed props struct and any map, and it
// survives being concatenated into a larger string, as the engine's unknown
// placeholders do. The engine recognises marked strings to encrypt them at
// rest and redact them in output; the provider strips the marks just
// before a request is sent.
//
// The token is a random one that stands for the value in this process
// (markTable), so that a program that prints a marked string, or logs a
// props struct that holds one, shows nothing of the secret: only this
// process can turn the token back into the value. At rest the value is kept in another form
// (see toStored), inside the stage's encryption.
const (
	markOpen  = "⟦secret:"
	markClose = "⟧"
	// placeholderOpen starts every engine placeholder (unknown values
	// too); placeholders other than secrets are left as they are.
	placeholderOpen = "⟦"
)

// Redacted is what output shows in place of a secret.
const Redacted = "(sensitive)"

// Mark returns v marked as secret. Parts already marked stay as they are,
// and so do engine placeholders in v (a value known only after apply stays
// recognisable as such); an empty string stays empty.
func Mark(v string) string {
	var b strings.Builder
	plain := func(s string) {
		if s != "" {
			b.WriteString(markOpen + markTable.token(s) + markClose)
		}
	}
	rest := v
	for {
		i := strings.Index(rest, placeholderOpen)
		if i < 0 {
			plain(rest)
			return b.String()
		}
		j := strings.Index(rest[i:], markClose)
		if j < 0 {
			plain(rest)
			return b.String()
		}
		plain(rest[:i])
		b.WriteString(rest[i : i+j+len(markClose)])
		rest = rest[i+j+len(markClose):]
	}
}

// IsMarkLabel reports whether inner, the text between the brackets of an
// engine placeholder, is a secret's, so that code that checks placeholders
// (the engine's restoring of changed ones) leaves secrets alone.
func IsMarkLabel(inner string) bool {
	return strings.HasPrefix(inner, markOpen[len(placeholderOpen):])
}

// IsMarked reports whether s holds a secret.
func IsMarked(s string) bool { return strings.Contains(s, markOpen) }

// Contains reports whether v (decoded JSON) holds a secret anywhere.
func Contains(v any) bool {
	found := false
	walk.Strings(v, func(s string) {
		if !found && IsMarked(s) {
			found = true
		}
	})
	return found
}

// segments calls fn for each part of s: secret parts with their value and
// true, the rest as they are and false.
func segments(s string, fn func(part string, secret bool)) {
	segmentsOf(s, markOpen, markTable.value, fn)
}

// segmentsOf is segments for marks that start with open and whose content
// decode turns into the value; a mark that does not decode is left as
// text.
func segmentsOf(s, open string, decode func(string) (string, bool), fn func(part string, secret bool)) {
	for {
		i := strings.Index(s, open)
		if i < 0 {
			if s != "" {
				fn(s, false)
			}
			return
		}
		j := strings.Index(s[i+len(open):], markClose)
		if j < 0 {
			fn(s, false)
			return
		}
		if i > 0 {
			fn(s[:i], false)
		}
		enc := s[i+len(open) : i+len(open)+j]
		if dec, ok := decode(enc); ok {
			fn(dec, true)
		} else {
			fn(s[i:i+len(open)+j+len(markClose)], false)
		}
		s = s[i+len(open)+j+len(markClose):]
	}
}

// RevealString returns s with its secrets in plain text: the value to send.
func RevealString(s string) string {
	if !IsMarked(s) {
		return s
	}
	var b strings.Builder
	segments(s, func(p string, _ bool) { b.WriteString(p) })
	return b.String()
}

// Reveal returns v with every secret in plain text, copying only what
// changes.
func Reveal(v any) any { return mapStrings(v, RevealString) }

// RevealProps is Reveal for a property map.
func RevealProps(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out, _ := Reveal(m).(map[string]any)
	return out
}

// RedactString returns Redacted when s holds a secret, else s.
func RedactString(s string) string {
	if IsMarked(s) {
		return Redacted
	}
	return s
}

// Redact returns v with every string that holds a secret replaced by
// Redacted, for output.
func Redact(v any) any { return mapStrings(v, RedactString) }

// RedactText replaces each marked part of free text (a log line) by
// Redacted.
func RedactText(s string) string {
	return replaceSecrets(s, func(string) string { return Redacted })
}

// replaceSecrets returns s with each marked part replaced by what fn makes
// of its value.
func replaceSecrets(s string, fn func(value string) string) string {
	if !IsMarked(s) {
		return s
	}
	var b strings.Builder
	segments(s, func(p string, secret bool) {
		if secret {
			p = fn(p)
		}
		b.WriteString(p)
	})
	return b.String()
}

// Plaintexts adds the value of every secret in v to into.
func Plaintexts(v any, into map[string]bool) {
	walk.Strings(v, func(s string) {
		segments(s, func(p string, secret bool) {
			if secret {
				into[p] = true
			}
		})
	})
}

// Scrubber replaces known secret values in text that came from elsewhere
// (an error message AWS wrote, which may echo the properties it was sent).
type Scrubber []string

// NewScrubber scrubs the given values, longest first, so that a secret
// that contains another is replaced whole.
func NewScrubber(plains map[string]bool) Scrubber {
	var s Scrubber
	for p := range plains {
		if p != "" {
			s = append(s, p)
		}
	}
	sort.Slice(s, func(i, j int) bool { return len(s[i]) > len(s[j]) || len(s[i]) == len(s[j]) && s[i] < s[j] })
	return s
}

// String returns text with every known secret replaced by Redacted.
func (s Scrubber) String(text string) string {
	for _, p := range s {
		text = strings.ReplaceAll(text, p, Redacted)
	}
	return RedactText(text)
}

// Error wraps err so that its message is scrubbed; errors.Is and errors.As
// still see err.
func (s Scrubber) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if scrubbed := s.String(msg); scrubbed != msg {
		return &scrubbedError{msg: scrubbed, err: err}
	}
	return err
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// IsScrubbed reports whether err's message was scrubbed.
func IsScrubbed(err error) bool {
	var se *scrubbedError
	return errors.As(err, &se)
}

// mapStrings returns v with fn applied to every string, sharing whatever
// fn leaves unchanged (values without secrets are not copied).
func mapStrings(v any, fn func(string) string) any {
	out, _ := mapChanged(v, fn)
	return out
}

func mapChanged(v any, fn func(string) string) (any, bool) {
	return walk.Map(v, func(x any) (any, bool) {
		s, ok := x.(string)
		if !ok {
			return x, false
		}
		n := fn(s)
		return n, n != s
	})
}
