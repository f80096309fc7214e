package state

import "errors"

// Locate fills in where the state is on the errors of this package that
// suggest a command (*LockError, *CorruptRecordError) found in err, in the
// fields their backend left empty, and returns err. Commands and programs
// call it on the errors they print.
func Locate(err error, l StageRef) error {
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
