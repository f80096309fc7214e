package state_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/state"
	_ "github.com/athanor-iac/athanor/state/pgstore"
	_ "github.com/athanor-iac/athanor/state/s3store"
)

// A state URL with one slash after the scheme used to be taken for a
// folder named "s3:"; it is refused, with the accepted forms, as are
// unknown schemes. A relative folder is resolved to an absolute one.
func TestCheckURL(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, tc := range []struct {
		raw, want, err string
	}{
		{raw: ".athanor", want: filepath.Join(dir, ".athanor")},
		{raw: state.DefaultURL, want: filepath.Join(dir, ".athanor")},
		{raw: "file:state", want: filepath.Join(dir, "state")},
		{raw: "file:///var/lib/athanor", want: filepath.FromSlash("/var/lib/athanor")},
		{raw: "./odd:name", want: filepath.Join(dir, "odd:name")},
		{raw: "s3://my-bucket/x", want: "s3://my-bucket/x"},
		{raw: "postgres://me@db/athanor", want: "postgres://me@db/athanor"},
		{raw: "s3:/my-bucket/x", err: "s3 URLs start with s3:// (did you mean s3://my-bucket/x?)"},
		{raw: "s3:my-bucket", err: "did you mean s3://my-bucket?"},
		{raw: "s4://my-bucket/x", err: `unknown scheme "s4"`},
		{raw: "gs:bucket", err: `unknown scheme "gs"`},
		{raw: "postgres://me:secret@db/x%zz", err: "state URL: invalid URL escape"},
	} {
		got, err := state.CheckURL(tc.raw)
		if tc.err == "" {
			if err != nil || got != tc.want {
				t.Errorf("CheckURL(%q) = %q, %v; want %q", tc.raw, got, err, tc.want)
			}
			continue
		}
		var ue *state.URLError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "secret") ||
			!strings.Contains(err.Error(), "Accepted forms: a folder path, or file://PATH; postgres://USER@HOST/DATABASE; s3://BUCKET/PREFIX") {
			t.Errorf("CheckURL(%q) = %q, %v; want a URLError with %q and the forms", tc.raw, got, err, tc.err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("checking URLs wrote %v", entries)
	}
}
