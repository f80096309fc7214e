package cli

import "testing"

// A mistyped state subcommand says which one was meant.
func TestStateSubcommandTypo(t *testing.T) {
	code, _, errOut := run(t, "", "state", "lst", "--app", "flowlogs")
	want := "athanor: unknown command \"lst\" for \"athanor state\"; did you mean \"list\"?\nRun 'athanor state --help' for usage.\n"
	if code != 2 || errOut != want {
		t.Fatalf("exit %d, stderr %q; want 2, %q", code, errOut, want)
	}
}
