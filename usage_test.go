package athanor_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/athanor-iac/athanor"
)

// A mistyped command or flag of a program says what was meant and where
// the usage is, and exits 2.
func TestProgramUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plna"}, "flowlogs: unknown command \"plna\" for \"flowlogs\"; did you mean \"plan\"?\nRun 'flowlogs --help' for usage.\n"},
		{[]string{"--locall"}, "flowlogs: unknown flag: --locall\nRun 'flowlogs --help' for usage.\n"},
	} {
		var out, errOut bytes.Buffer
		code := athanor.Main(context.Background(), "flowlogs", tc.args, &out, &errOut, func(*athanor.App) error { return nil })
		if code != athanor.ExitUsage || errOut.String() != tc.want {
			t.Errorf("%v: exit %d, stderr %q; want exit 2, %q", tc.args, code, errOut.String(), tc.want)
		}
	}
}
