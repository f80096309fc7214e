package state_test

import (
	"testing"

	"github.com/athanor-iac/athanor/state"
)

// The flags a message prints name the stage exactly, quoted for a shell
// when needed, without the password of a URL and without --state when it
// is the default.
func TestStageRefFlags(t *testing.T) {
	for _, tc := range []struct {
		ref  state.StageRef
		want string
	}{
		{state.StageRef{URL: state.DefaultURL, App: "shop", Stage: "prod"}, "--app shop --stage prod"},
		{state.StageRef{URL: "/tmp/x/state", App: "shop", Stage: "prod"}, "--app shop --stage prod --state /tmp/x/state"},
		{state.StageRef{URL: "/tmp/my state/it's", App: "shop", Stage: "prod"}, `--app shop --stage prod --state '/tmp/my state/it'\''s'`},
		{state.StageRef{URL: "s3://bucket/p?region=eu-west-1&lock_ttl=2m", App: "a", Stage: "b"}, "--app a --stage b --state 's3://bucket/p?region=eu-west-1&lock_ttl=2m'"},
		{state.StageRef{URL: "postgres://u:secret@db/x", App: "a", Stage: "b"}, "--app a --stage b --state postgres://u:xxxxx@db/x"},
	} {
		if got := tc.ref.Flags(); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.ref, got, tc.want)
		}
	}
}
