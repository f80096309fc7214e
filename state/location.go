package state

import (
	"errors"
	"strings"
)

// Location names one stage's state: the app, the stage and the store URL.
// Errors that suggest an `athanor` command carry one, so that the command
// they print works as printed, wherever the state is.
type Location struct {
	App, Stage, URL string
}

// Command returns the athanor command line `athanor <sub> --app A --stage
// S [--state URL] <args>` for this stage. --state is left out when the URL
// is the default one, which the command finds by itself; values are
// quoted for a POSIX shell when they need it.
func (l Location) Command(sub string, args ...string) string {
	parts := []string{"athanor", sub}
	app, stage := "<app>", "<stage>"
	if l.App != "" {
		app = shellQuote(l.App)
	}
	if l.Stage != "" {
		stage = shellQuote(l.Stage)
	}
	parts = append(parts, "--app", app, "--stage", stage)
	if l.URL != "" && l.URL != DefaultURL {
		parts = append(parts, "--state", shellQuote(Redact(l.URL)))
	}
	for _, a := range args {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

// shellQuote quotes s for a POSIX shell unless it is made only of
// characters no shell treats specially.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Locate fills in where the state is on the errors of this package that
// suggest a command (*LockError, *CorruptRecordError) found in err, in the
// fields their backend left empty, and returns err. Commands and programs
// call it on the errors they print.
func Locate(err error, l Location) error {
	var le *LockError
	if errors.As(err, &le) {
		fill(&le.App, l.App)
		fill(&le.Stage, l.Stage)
		fill(&le.URL, l.URL)
	}
	var ce *CorruptRecordError
	if errors.As(err, &ce) {
		fill(&ce.App, l.App)
		fill(&ce.Stage, l.Stage)
		fill(&ce.URL, l.URL)
	}
	return err
}

func fill(field *string, v string) {
	if *field == "" {
		*field = v
	}
}
