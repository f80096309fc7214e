package runner_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/internal/cli/cmdutil"
	"github.com/athanor-iac/athanor/internal/cli/runner"
	_ "github.com/athanor-iac/athanor/state/pgstore" // the forms of every backend in messages
	_ "github.com/athanor-iac/athanor/state/s3store"
)

// A mistyped command or flag of a program says what was meant and where
// the usage is, and exits 2.
func TestProgramUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plna"}, "flowlogs: unknown command \"plna\" for \"flowlogs\"; did you mean \"plan\"?\nRun the program with --help for usage.\n"},
		{[]string{"--locall"}, "flowlogs: unknown flag: --locall\nRun the program with --help for usage.\n"},
	} {
		var out, errOut bytes.Buffer
		code := runner.Main(context.Background(), "flowlogs", tc.args, &out, &errOut, noProgram)
		if code != cmdutil.ExitUsage || errOut.String() != tc.want {
			t.Errorf("%v: exit %d, stderr %q; want exit 2, %q", tc.args, code, errOut.String(), tc.want)
		}
	}
}

// --state 's3:/my-bucket/x' (one slash) used to write a local folder named
// "s3:" and exit 0. A state URL that names no store is refused before
// anything is written, with the forms that work.
func TestMalformedStateURLIsRefused(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, tc := range []struct{ url, want string }{
		{"s3:/my-bucket/x", "did you mean s3://my-bucket/x?"},
		{"s4://my-bucket/x", `unknown scheme "s4"`},
	} {
		var out, errOut bytes.Buffer
		code := runner.Main(context.Background(), "flowlogs", []string{"plan", "--local", "--state", tc.url}, &out, &errOut, noProgram)
		if code != cmdutil.ExitUsage || !strings.Contains(errOut.String(), tc.want) || !strings.Contains(errOut.String(), "Accepted forms: a folder path, or file://PATH; postgres://USER@HOST/DATABASE; s3://BUCKET/PREFIX") {
			t.Errorf("--state %s: exit %d\n%s%s", tc.url, code, out.String(), errOut.String())
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused state URL left %v behind", entries)
	}
}

// Run from a subfolder, a program used to plan its whole stage as new,
// with nothing saying where it looked for state. The plan's first line
// names the state folder, absolute.
func TestPlanShowsTheStateFolder(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "sub")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	for _, state := range []string{"", "../.athanor", "file:.athanor"} {
		var out bytes.Buffer
		args := []string{"plan", "--refresh=false", "--stage", "test"}
		if state != "" {
			args = append(args, "--state", state)
		}
		code := runner.Main(context.Background(), "flowlogs", args, &out, &out, noProgram)
		want := "Plan for flowlogs, stage test: state " + filepath.Join(sub, ".athanor") + ", AWS not read (--refresh=false)\n"
		if state == "../.athanor" {
			want = strings.Replace(want, filepath.Join(sub, ".athanor"), filepath.Join(root, ".athanor"), 1)
		}
		if code != 0 || !strings.HasPrefix(out.String(), want) {
			t.Errorf("--state %q: exit %d; want the first line %q:\n%s", state, code, want, out.String())
		}
	}
}

// --max-rps -1 used to be accepted. Numeric flags are range-checked, and
// every mistake on the command line is reported at once, before anything
// is read or sent.
func TestFlagRangesAreCheckedTogether(t *testing.T) {
	t.Chdir(t.TempDir())
	var out, errOut bytes.Buffer
	code := runner.Main(context.Background(), "flowlogs", []string{"--local", "--max-rps", "-1", "--parallelism", "0", "--timeout", "-5s", "--stage", "a/b"}, &out, &errOut, func(context.Context, runner.Pass) (map[string]any, error) {
		t.Error("the program ran despite the mistakes")
		return nil, nil
	})
	want := []string{
		"4 mistakes on the command line:",
		`--stage "a/b": use letters`,
		"--max-rps -1: must be a number above 0",
		"--parallelism 0: must be 1 or more",
		"--timeout -5s: must be 0 (each type's own timeout) or more",
		"Run the program with --help for usage.",
	}
	for _, w := range want {
		if !strings.Contains(errOut.String(), w) {
			t.Errorf("stderr lacks %q", w)
		}
	}
	if code != cmdutil.ExitUsage || out.Len() != 0 {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	if _, err := os.Stat(".athanor"); err == nil {
		t.Error("a refused command line created .athanor")
	}
}

// noProgram is a program that declares nothing.
func noProgram(context.Context, runner.Pass) (map[string]any, error) { return nil, nil }

// --endpoint and --sts-endpoint must be URLs the SDK can call, checked
// with the other flags before anything is read or sent.
func TestEndpointFlagsAreChecked(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"plan", "--endpoint", "localhost:4566", "--sts-endpoint", "sts.example.com"}, []string{
			"2 mistakes on the command line:",
			`--endpoint "localhost:4566": give an absolute http:// or https:// URL without a query, such as http://127.0.0.1:4566`,
			`--sts-endpoint "sts.example.com": give an absolute http:// or https:// URL`,
		}},
		{[]string{"plan", "--local", "--sts-endpoint", "http://127.0.0.1:4566"}, []string{"--local answers STS itself: drop --sts-endpoint"}},
	} {
		var out, errOut bytes.Buffer
		code := runner.Main(context.Background(), "flowlogs", tc.args, &out, &errOut, func(context.Context, runner.Pass) (map[string]any, error) {
			t.Error("the program ran despite the mistakes")
			return nil, nil
		})
		for _, w := range tc.want {
			if !strings.Contains(errOut.String(), w) {
				t.Errorf("%v: stderr lacks %q:\n%s", tc.args, w, errOut.String())
			}
		}
		if code != cmdutil.ExitUsage {
			t.Errorf("%v: exit %d", tc.args, code)
		}
	}
}
