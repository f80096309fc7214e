package state

import "fmt"

// CorruptRecordError reports a stored record that cannot be trusted: it is
// truncated, fails its checksum, or does not match where it is stored. Load
// returns it instead of skipping the record, because skipping would make the
// engine forget, and so later duplicate, a real AWS resource.
type CorruptRecordError struct {
	Where     string // the file or object holding the record
	LogicalID string // the logical ID the location implies, if known
	App       string // see Locate
	Stage     string
	URL       string // the state URL; see Locate
	Err       error
}

// Error names the location and says how to recover.
func (e *CorruptRecordError) Error() string {
	id := e.LogicalID
	if id == "" {
		id = "<logicalID>"
	}
	return fmt.Sprintf("state record %s is unreadable: %v; athanor has not changed it. "+
		"Restore it from a backup, or check resource %s in AWS and then remove the record with `%s`",
		e.Where, e.Err, id, StageRef{URL: e.URL, App: e.App, Stage: e.Stage}.Command("state rm", id, "--yes"))
}

// Unwrap returns the underlying decoding error.
func (e *CorruptRecordError) Unwrap() error { return e.Err }
