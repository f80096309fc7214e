package athanor_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
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

// A create that finds the resource already there says how to take it over.
func TestAlreadyExistsSaysHowToAdopt(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	p := seedProps()["vpcFlowLog"]
	e.createDirectly("AWS::EC2::FlowLog", p, "")
	code, out := e.run(programOf(map[string]ec2.FlowLogProps{"vpcFlowLog": p}, nil))
	if code != 1 || !strings.Contains(out, "AlreadyExists") || !strings.Contains(out, "run again with --adopt") {
		t.Fatalf("up over an existing flow log: exit %d\n%s", code, out)
	}
}

// A mistyped type name for a resource in state is reported as unknown,
// without the advice to rename or forget the resource, which would have
// it deleted.
func TestMistypedTypeOfAResourceInState(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	prog := func(typ string) func(*athanor.App) error {
		return func(app *athanor.App) error {
			_, err := app.Resource(typ, "flowLogs", map[string]any{"LogGroupName": "typo-test"})
			return err
		}
	}
	if code, out := e.run(prog("AWS::Logs::LogGroup")); code != 0 {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	code, out := e.run(prog("AWS::Logs::Loggroup"), "plan")
	if code != 1 || !strings.Contains(out, `did you mean "AWS::Logs::LogGroup"?`) || strings.Contains(out, "cannot change type") {
		t.Fatalf("plan with a mistyped type: exit %d\n%s", code, out)
	}
}

// Destroying a stage with nothing in it says so.
func TestDestroyEmptyStage(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	code, out := e.run(func(*athanor.App) error { return nil }, "destroy")
	if code != 0 || !strings.Contains(out, "Destroy complete: nothing to delete") {
		t.Fatalf("destroy of an empty stage: exit %d\n%s", code, out)
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
		code := athanor.Main(context.Background(), "flowlogs", []string{"plan", "--local", "--state", tc.url}, &out, &errOut, func(*athanor.App) error { return nil })
		if code != athanor.ExitUsage || !strings.Contains(errOut.String(), tc.want) || !strings.Contains(errOut.String(), "Accepted forms: a folder path, or file://PATH; postgres://USER@HOST/DATABASE; s3://BUCKET/PREFIX") {
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
		code := athanor.Main(context.Background(), "flowlogs", args, &out, &out, func(*athanor.App) error { return nil })
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
	code := athanor.Main(context.Background(), "flowlogs", []string{"--local", "--max-rps", "-1", "--parallelism", "0", "--timeout", "-5s", "--stage", "a/b"}, &out, &errOut, func(*athanor.App) error {
		t.Error("the program ran despite the mistakes")
		return nil
	})
	want := []string{
		"4 mistakes on the command line:",
		`--stage "a/b": use letters`,
		"--max-rps -1: must be a number above 0",
		"--parallelism 0: must be 1 or more",
		"--timeout -5s: must be 0 (each type's own timeout) or more",
		"Run 'flowlogs --help' for usage.",
	}
	for _, w := range want {
		if !strings.Contains(errOut.String(), w) {
			t.Errorf("stderr lacks %q", w)
		}
	}
	if code != athanor.ExitUsage || out.Len() != 0 {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	if _, err := os.Stat(".athanor"); err == nil {
		t.Error("a refused command line created .athanor")
	}
}
