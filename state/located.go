package state

import (
	"context"
	"strings"
)

// Located is a record with the app and stage whose state holds it.
type Located struct {
	App, Stage string
	Record
}

// AllLoader is implemented by stores that can read the records of every app
// and stage kept where they keep their own (the same directory, bucket
// prefix or database), whichever stage they were opened for. The engine
// uses it so that --adopt and `athanor import` never take over a resource
// that another stage or app already manages (two records of one resource
// would each delete it), and so that a run never deletes a resource that
// another stage or app holds as well.
//
// It reads every record of the location, so it is for rare checks, not for
// every run: the engine reads it at most once a run, and only when the run
// adopts, imports or deletes.
type AllLoader interface {
	// LoadAll returns every record at the store's location with its app
	// and stage, sorted by app, stage and logical ID.
	LoadAll(ctx context.Context) ([]Located, error)
}

// StageRef names one stage's state: where it is kept, the app and the
// stage. Messages use it to print commands that work as printed.
type StageRef struct {
	URL, App, Stage string
}

// Flags are the flags that name the stage in `athanor state` and `athanor
// import` commands: --app and --stage always, --state unless it is the
// default location.
func (r StageRef) Flags() string {
	f := "--app " + shellWord(r.App) + " --stage " + shellWord(r.Stage)
	if r.URL != "" && r.URL != DefaultURL {
		f += " --state " + shellWord(Redact(r.URL))
	}
	return f
}

// Command returns the athanor command line `athanor <sub> <args> --app A
// --stage S [--state URL]` for this stage, with its arguments quoted for a
// POSIX shell when they need it, so that it works as printed.
func (r StageRef) Command(sub string, args ...string) string {
	parts := []string{"athanor", sub}
	for _, a := range args {
		parts = append(parts, shellWord(a))
	}
	return strings.Join(append(parts, r.Flags()), " ")
}

// shellWord quotes s for POSIX shells when it holds anything but the
// characters of names, paths and URLs.
func shellWord(s string) string {
	safe := func(r rune) bool {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("-_./:@%+=,", r)
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !safe(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
