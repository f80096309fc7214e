package athanor_test

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/aws/logs"
	"github.com/athanor-iac/athanor/internal/cli"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/state"
)

// suggestionRE finds, in a string literal of the code, advice to run a
// command or to run again with a flag.
var suggestionRE = regexp.MustCompile("`athanor |(?i:run again with[a-z ]*|add|use|pass) --[a-z]")

// covered counts the suggestions of each file that a case of
// TestSuggestedCommandsWork provokes and follows. A file whose count
// differs has a suggestion no case follows: add one.
var covered = map[string]int{
	"internal/cli/state_show.go":        1, // state list, for a missing record
	"internal/cli/state_rm.go":          5, // state list (rm, and rm's lock), add --yes, state rekey (rm of the key record), add --yes --force and state rm --force (rm of a protected record)
	"internal/cli/state_migrate.go":     1, // add --force
	"internal/cli/localflags.go":        1, // pass --allow-remote: internal/cli's tests
	"internal/engine/apply.go":          1, // run again with --adopt
	"internal/engine/timeout.go":        1, // run again with a longer --timeout
	"internal/engine/moves.go":          1, // state list, for a state mv of a missing record
	"localcc/server.go":                 1, // athanor local --data, with --endpoint: localcc's tests
	"internal/cli/runner/run.go":        1, // add --yes, without a terminal
	"provider/cloudcontrol/explain.go":  2, // use --local (endpoint down, no credentials)
	"provider/cloudcontrol/provider.go": 2, // pass --region; use --local
	"state/errors.go":                   1, // state rm, for a corrupt record
	"state/lock.go":                     1, // state unlock, for a lock refusal
	"state/s3store/lock.go":             4, // state unlock, for an unreadable lock object; three name `athanor state unlock` as what broke a lock and suggest nothing
	"internal/cli/new.go":               1, // add --force: internal/cli TestNewRefusesNonEmptyDir follows it
	"internal/codegen/generate.go":      1, // athanor schema TYPE, in generated doc comments
	"internal/cli/rekey.go":             1, // state rekey --rewrap, with the new key set
	// state mv, --adopt: adopt_test.go runs them as printed (TestAdoptRefusesWhat*Manages); and rmCommand's state rm, which
	// every refusal that hands a record over prints (engine.go: a logical ID changes type; refresh.go: an import of a managed
	// logical ID; helddeletes.go: a delete of what another record holds, both stages'; holders.go: a protected holder, --force)
	"internal/engine/holders.go": 4,
	// state show, of the record a replacement left its old resource to ("replacement of what another stage holds");
	// the state rm commands of a delete-first replacement it refuses are rmCommand's, followed by the same case
	"internal/engine/heldreplace.go": 1,
}

// TestEverySuggestionIsCovered reads the code's string literals for
// suggested commands, so that a new one fails here until a case of
// TestSuggestedCommandsWork follows it.
func TestEverySuggestionIsCovered(t *testing.T) {
	found := map[string]int{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (path == "aws" || path == "bench" || path == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if n.Kind == token.STRING && suggestionRE.MatchString(n.Value) {
					found[filepath.ToSlash(path)]++
				}
			case *ast.CallExpr:
				// state.StageRef's Command("state rm", ...).
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Command" && len(n.Args) > 0 {
					if lit, ok := n.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						found[filepath.ToSlash(path)]++
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for file, n := range found {
		if covered[file] != n {
			t.Errorf("%s has %d suggested commands, %d followed by tests: add a case to TestSuggestedCommandsWork", file, n, covered[file])
		}
	}
	for file, n := range covered {
		if found[file] == 0 && n != 0 {
			t.Errorf("%s has no suggested command any more: update covered", file)
		}
	}
}

// athanorCLI runs the athanor command in-process.
func athanorCLI(args ...string) (int, string) {
	var out bytes.Buffer
	code := cli.Execute(context.Background(), args, strings.NewReader(""), &out, &out)
	return code, out.String()
}

// suggested returns the backquoted `athanor ...` command in out that
// starts with prefix, split as a POSIX shell would.
func suggested(t *testing.T, out, prefix string) []string {
	t.Helper()
	for _, m := range regexp.MustCompile("`(athanor [^`]+)`").FindAllStringSubmatch(out, -1) {
		if strings.HasPrefix(m[1], "athanor "+prefix) {
			return shellSplit(t, m[1])
		}
	}
	t.Fatalf("no `athanor %s ...` suggested in:\n%s", prefix, out)
	return nil
}

// shellSplit splits a command line with single quotes, as sh does.
func shellSplit(t *testing.T, s string) []string {
	var args []string
	var cur strings.Builder
	in, any := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			in, any = !in, true
		case r == ' ' && !in:
			if any {
				args = append(args, cur.String())
			}
			cur.Reset()
			any = false
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	if in {
		t.Fatalf("unbalanced quote in %s", s)
	}
	if any {
		args = append(args, cur.String())
	}
	return args
}

// runSuggested runs a suggested athanor command line as printed.
func runSuggested(t *testing.T, argv []string) (int, string) {
	t.Helper()
	if argv[0] != "athanor" {
		t.Fatalf("not an athanor command: %v", argv)
	}
	return athanorCLI(argv[1:]...)
}

// sharedGroupRefused sets up sharedGroup in a new env and runs program in
// stage beta, which must fail; it returns the env and the output.
func sharedGroupRefused(t *testing.T, program func(*athanor.App) error) (*env, string) {
	t.Helper()
	e := newEnv(t, localcc.Options{})
	e.t = t
	sharedGroup(t, e)
	code, out := e.runIn("beta", program)
	if code != athanor.ExitError {
		t.Fatalf("exit %d\n%s", code, out)
	}
	return e, out
}

// followStateRm runs, as printed, the `athanor state rm` that out
// suggests for "this stage's" record (beta's) or "the other stage's"
// (alpha's), and returns it and the stage.
func followStateRm(t *testing.T, out, follow string) ([]string, string) {
	t.Helper()
	stage := "beta"
	if follow != "this stage's" {
		stage = "alpha"
	}
	var cmd []string
	for _, m := range regexp.MustCompile("`(athanor state rm [^`]+)`").FindAllStringSubmatch(out, -1) {
		if strings.Contains(m[1], "--stage "+stage) {
			cmd = shellSplit(t, m[1])
		}
	}
	if cmd == nil {
		t.Fatalf("no state rm for stage %s in:\n%s", stage, out)
	}
	if code, got := runSuggested(t, cmd); code != 0 {
		t.Fatalf("%v: exit %d\n%s", cmd, code, got)
	}
	return cmd, stage
}

// Every command a message suggests works as printed, with --app, --stage
// and --state (the tests' stage and state are not the defaults). A lock
// refusal suggested `athanor state unlock --stage test`, which failed with
// "--app is required"; a timeout advised ATHANOR_OPERATION_TIMEOUT rather
// than --timeout.
func TestSuggestedCommandsWork(t *testing.T) {
	ctx := context.Background()
	one := map[string]ec2.FlowLogProps{"vpcFlowLog": seedProps()["vpcFlowLog"]}

	t.Run("lock", func(t *testing.T) {
		if runtime.GOOS == "windows" {
			t.Skip("the file backend locks on Unix")
		}
		e := newEnv(t, localcc.Options{})
		e.t = t
		store, err := state.Open(ctx, e.state, "flowlogs", "test")
		if err != nil {
			t.Fatal(err)
		}
		u, err := store.Lock(ctx, state.NewLockInfo("up", "test"))
		if err != nil {
			t.Fatal(err)
		}
		code, out := e.run(programOf(one, nil))
		if code != athanor.ExitError || !strings.Contains(out, "is locked by") {
			t.Fatalf("exit %d\n%s", code, out)
		}
		cmd := suggested(t, out, "state unlock")
		// It reaches the same lock: a live holder's is not broken.
		if code, got := runSuggested(t, cmd); code == 0 || !strings.Contains(got, "held by a running process") {
			t.Fatalf("%v while held: exit %d\n%s", cmd, code, got)
		}
		u.Unlock()
		if code, got := runSuggested(t, cmd); code != 0 {
			t.Fatalf("%v: exit %d\n%s", cmd, code, got)
		}
		if code, out := e.run(programOf(one, nil)); code != 0 {
			t.Fatalf("after unlocking: exit %d\n%s", code, out)
		}
	})

	t.Run("rm of the key record", func(t *testing.T) {
		e := newEnv(t, localcc.Options{})
		e.t = t
		t.Setenv("ATHANOR_PASSPHRASE", "p")
		withSecret := func(app *athanor.App) error {
			_, err := app.Resource("AWS::SSM::Parameter", "token", map[string]any{"Name": "token", "Type": "String", "Value": athanor.Secret("s3cret")})
			return err
		}
		if code, out := e.run(withSecret, "--yes"); code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		code, out := athanorCLI("state", "rm", "_athanor-secrets", "--yes", "--app", "flowlogs", "--stage", "test", "--state", e.state)
		if code != 2 {
			t.Fatalf("rm of the key record: exit %d\n%s", code, out)
		}
		cmd := suggested(t, out, "state rekey")
		if code, got := runSuggested(t, cmd); code != 0 || !strings.Contains(got, "re-encrypted the secrets of 1 records") {
			t.Fatalf("%v: exit %d\n%s", cmd, code, got)
		}
		if code, out := e.run(withSecret, "plan"); code != 0 || !strings.Contains(out, "No changes") {
			t.Fatalf("after rekey: exit %d\n%s", code, out)
		}
	})

	t.Run("rewrap without a new key", func(t *testing.T) {
		e := newEnv(t, localcc.Options{})
		e.t = t
		t.Setenv("ATHANOR_PASSPHRASE", "p")
		if code, out := e.run(parameter("token", map[string]any{"Name": "token", "Type": "String", "Value": athanor.Secret("s3cret")}), "--yes"); code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		code, out := athanorCLI("state", "rekey", "--rewrap", "--app", "flowlogs", "--stage", "test", "--state", e.state)
		if code != 2 || !strings.Contains(out, "ATHANOR_NEW_PASSPHRASE") {
			t.Fatalf("rewrap without a new key: exit %d\n%s", code, out)
		}
		cmd := suggested(t, out, "state rekey")
		t.Setenv("ATHANOR_NEW_PASSPHRASE", "q")
		if code, got := runSuggested(t, cmd); code != 0 || !strings.Contains(got, "rewrapped 1 data keys") {
			t.Fatalf("%v: exit %d\n%s", cmd, code, got)
		}
	})

	t.Run("corrupt record", func(t *testing.T) {
		e := newEnv(t, localcc.Options{})
		e.t = t
		if code, out := e.run(programOf(one, nil)); code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		files, _ := filepath.Glob(filepath.Join(e.state, "flowlogs", "test", "resources", "*"))
		if len(files) != 1 {
			t.Fatalf("record files %v", files)
		}
		if err := os.WriteFile(files[0], []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
		code, out := e.run(programOf(one, nil))
		if code != athanor.ExitError {
			t.Fatalf("exit %d\n%s", code, out)
		}
		cmd := suggested(t, out, "state rm")
		if code, got := runSuggested(t, cmd); code != 0 || !strings.Contains(got, "removed vpcFlowLog") {
			t.Fatalf("%v: exit %d\n%s", cmd, code, got)
		}
		if recs := e.load("test"); len(recs) != 0 {
			t.Fatalf("records after rm: %v", recs)
		}
	})

	t.Run("logical ID changes type", func(t *testing.T) {
		e := newEnv(t, localcc.Options{})
		e.t = t
		if code, out := e.run(programOf(one, nil)); code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		asLogGroup := func(app *athanor.App) error {
			_, err := logs.LogGroup(app, "vpcFlowLog", logs.LogGroupProps{LogGroupName: "renamed-type"})
			return err
		}
		code, out := e.run(asLogGroup, "plan")
		if code != athanor.ExitError {
			t.Fatalf("exit %d\n%s", code, out)
		}
		cmd := suggested(t, out, "state rm")
		if code, got := runSuggested(t, cmd); code != 0 {
			t.Fatalf("%v: exit %d\n%s", cmd, code, got)
		}
		if code, out := e.run(asLogGroup, "plan"); code != 0 {
			t.Fatalf("after rm: exit %d\n%s", code, out)
		}
	})

	t.Run("import of a managed logical ID", func(t *testing.T) {
		e := newEnv(t, localcc.Options{})
		e.t = t
		got := map[string]*ec2.FlowLogResource{}
		if code, out := e.run(programOf(one, got)); code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		imp := []string{"import", "AWS::EC2::FlowLog", got["vpcFlowLog"].Id, "--as", "vpcFlowLog", "--app", "flowlogs", "--stage", "test", "--state", e.state, "--endpoint", e.srv.URL()}
		code, out := athanorCLI(imp...)
		if code == 0 {
			t.Fatalf("import of a managed ID: exit 0\n%s", out)
		}
		cmd := suggested(t, out, "state rm")
		if code, got := runSuggested(t, cmd); code != 0 {
			t.Fatalf("%v: exit %d\n%s", cmd, code, got)
		}
		if code, out := athanorCLI(imp...); code != 0 {
			t.Fatalf("import after rm: exit %d\n%s", code, out)
		}
	})

	t.Run("no such record", func(t *testing.T) {
		e := newEnv(t, localcc.Options{})
		e.t = t
		if code, out := e.run(programOf(one, nil)); code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		for _, sub := range [][]string{{"show", "nosuch"}, {"rm", "nosuch", "--yes"}, {"mv", "nosuch", "other"}} {
			code, out := athanorCLI(append([]string{"state"}, append(sub, "--app", "flowlogs", "--stage", "test", "--state", e.state)...)...)
			if code == 0 {
				t.Fatalf("%v: exit 0", sub)
			}
			cmd := suggested(t, out, "state list")
			if code, got := runSuggested(t, cmd); code != 0 || !strings.Contains(got, "vpcFlowLog") {
				t.Fatalf("%v: exit %d\n%s", cmd, code, got)
			}
		}
	})

	t.Run("rm without --yes, migrate without --force", func(t *testing.T) {
		e := newEnv(t, localcc.Options{})
		e.t = t
		if code, out := e.run(programOf(one, nil)); code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		other := t.TempDir()
		mig := []string{"state", "migrate", "--app", "flowlogs", "--stage", "test", "--from", e.state, "--to", other}
		if code, out := athanorCLI(mig...); code != 0 {
			t.Fatalf("migrate: exit %d\n%s", code, out)
		}
		code, out := athanorCLI(mig...)
		if code == 0 || !strings.Contains(out, "Add --force") {
			t.Fatalf("second migrate: exit %d\n%s", code, out)
		}
		if code, out := athanorCLI(append(mig, "--force")...); code != 0 {
			t.Fatalf("with --force: exit %d\n%s", code, out)
		}
		rm := []string{"state", "rm", "vpcFlowLog", "--app", "flowlogs", "--stage", "test", "--state", other}
		code, out = athanorCLI(rm...)
		if code == 0 || !strings.Contains(out, "add --yes") {
			t.Fatalf("rm: exit %d\n%s", code, out)
		}
		if code, out := athanorCLI(append(rm, "--yes")...); code != 0 {
			t.Fatalf("rm --yes: exit %d\n%s", code, out)
		}
	})

	t.Run("delete of what another stage holds", func(t *testing.T) {
		for _, follow := range []string{"this stage's", "the other stage's"} {
			t.Run(follow, func(t *testing.T) {
				e, out := sharedGroupRefused(t, logGroups())
				cmd, stage := followStateRm(t, out, follow)
				if code, out := e.runIn("beta", logGroups()); code != 0 {
					t.Fatalf("run after %v: exit %d\n%s", cmd, code, out)
				}
				// Let go of here, the group stays alpha's; removed from
				// alpha as left over, beta deletes it.
				if e.logGroupExists("shared-group") != (stage == "beta") || (e.records("alpha")["lg"] != "") != (stage == "beta") {
					t.Fatalf("after %v and a run: group exists %v, alpha %v", cmd, e.logGroupExists("shared-group"), e.records("alpha"))
				}
			})
		}
	})

	t.Run("replacement of what another stage holds", func(t *testing.T) {
		t.Run("left to that stage", func(t *testing.T) {
			_, out := sharedGroupRefused(t, renamedCopy())
			cmd := suggested(t, out, "state show")
			if code, got := runSuggested(t, cmd); code != 0 || !strings.Contains(got, `"identifier": "shared-group"`) {
				t.Fatalf("%v: exit %d\n%s", cmd, code, got)
			}
		})
		for _, follow := range []string{"this stage's", "the other stage's"} {
			t.Run("deleted first, "+follow, func(t *testing.T) {
				prog := renamedCopy(athanor.DeleteBeforeReplace())
				e, out := sharedGroupRefused(t, prog)
				cmd, stage := followStateRm(t, out, follow)
				if code, out := e.runIn("beta", prog); code != 0 {
					t.Fatalf("run after %v: exit %d\n%s", cmd, code, out)
				}
				// Let go of here, the old group stays alpha's and a new one
				// is made; removed from alpha as left over, beta replaces it.
				if e.logGroupExists("shared-group") != (stage == "beta") || !e.logGroupExists("renamed-group") || e.records("beta")["copy"] != "renamed-group" {
					t.Fatalf("after %v and a run: shared-group exists %v, beta %v", cmd, e.logGroupExists("shared-group"), e.records("beta"))
				}
			})
		}
	})

	t.Run("rm of a protected record, and its hand-over", func(t *testing.T) {
		e := newEnv(t, localcc.Options{})
		e.t = t
		protected := func(app *athanor.App) error {
			_, err := app.Resource("AWS::Logs::LogGroup", "lg", map[string]any{"LogGroupName": "kept-group"}, athanor.Protect())
			return err
		}
		if code, out := e.runIn("alpha", protected); code != 0 {
			t.Fatalf("exit %d\n%s", code, out)
		}
		rm := []string{"state", "rm", "lg", "--app", "flowlogs", "--stage", "alpha", "--state", e.state}
		code, out := athanorCLI(rm...)
		if code != 2 || !strings.Contains(out, "add --yes --force") {
			t.Fatalf("rm without --yes: exit %d\n%s", code, out)
		}
		code, out = athanorCLI(append(rm, "--yes")...)
		if code != athanor.ExitError || !strings.Contains(out, "is protected (athanor.Protect())") || e.records("alpha")["lg"] == "" {
			t.Fatalf("rm --yes: exit %d, records %v\n%s", code, e.records("alpha"), out)
		}
		cmd := suggested(t, out, "state rm")
		if code, got := runSuggested(t, cmd); code != 0 || e.records("alpha")["lg"] != "" {
			t.Fatalf("%v: exit %d\n%s", cmd, code, got)
		}
		// Protected and held by alpha, the group is handed to beta with
		// the rm --adopt's refusal prints, --force included.
		if code, out := e.runIn("alpha", protected, "--adopt"); code != 0 {
			t.Fatalf("alpha takes it back: exit %d\n%s", code, out)
		}
		code, out = e.runIn("beta", protected, "--adopt")
		if code != athanor.ExitError {
			t.Fatalf("beta --adopt: exit %d\n%s", code, out)
		}
		cmd = suggested(t, out, "state rm")
		if code, got := runSuggested(t, cmd); code != 0 {
			t.Fatalf("%v: exit %d\n%s", cmd, code, got)
		}
		if code, out := e.runIn("beta", protected, "--adopt"); code != 0 || e.records("beta")["lg"] != "kept-group" {
			t.Fatalf("beta --adopt after the hand-over: exit %d\n%s", code, out)
		}
	})

	t.Run("no terminal", func(t *testing.T) {
		e := newEnv(t, localcc.Options{})
		e.t = t
		args := []string{"--endpoint", e.srv.URL(), "--state", e.state, "--stage", "test"}
		var buf bytes.Buffer
		code := athanor.Main(ctx, "flowlogs", args, &buf, &buf, programOf(one, nil))
		if code == 0 || !strings.Contains(buf.String(), "add --yes") {
			t.Fatalf("exit %d\n%s", code, buf.String())
		}
		buf.Reset()
		if code := athanor.Main(ctx, "flowlogs", append(args, "--yes"), &buf, &buf, programOf(one, nil)); code != 0 || len(e.flowLogs()) != 1 {
			t.Fatalf("with --yes: exit %d\n%s", code, buf.String())
		}
	})

	t.Run("timeout", func(t *testing.T) {
		clock := localcc.NewManualClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
		e := newEnv(t, localcc.Options{Clock: clock, Latency: map[string]localcc.Range{"*": {Min: time.Minute, Max: time.Minute}}})
		e.t = t
		// The request cannot finish until the clock moves: the timeout is
		// certain to strike.
		code, out := e.run(programOf(one, nil), "--timeout", "100ms")
		if code != athanor.ExitError || !strings.Contains(out, "run again with a longer --timeout") {
			t.Fatalf("exit %d\n%s", code, out)
		}
		clock.Advance(2 * time.Minute)
		if code, out := e.run(programOf(one, nil), "--timeout", "10m"); code != 0 || len(e.flowLogs()) != 1 {
			t.Fatalf("with a longer --timeout: exit %d\n%s", code, out)
		}
	})

	t.Run("already exists", func(t *testing.T) {
		e := newEnv(t, localcc.Options{})
		e.t = t
		e.createDirectly("AWS::Logs::LogGroup", map[string]any{"LogGroupName": "taken"}, "")
		prog := func(app *athanor.App) error {
			_, err := logs.LogGroup(app, "group", logs.LogGroupProps{LogGroupName: "taken"})
			return err
		}
		code, out := e.run(prog)
		if code != athanor.ExitError || !strings.Contains(out, "run again with --adopt") {
			t.Fatalf("exit %d\n%s", code, out)
		}
		if code, out := e.run(prog, "--adopt"); code != 0 {
			t.Fatalf("with --adopt: exit %d\n%s", code, out)
		}
	})

	t.Run("endpoint down", func(t *testing.T) {
		e := newEnv(t, localcc.Options{})
		e.t = t
		e.srv.Close()
		code, out := e.run(programOf(one, nil))
		if code != athanor.ExitError || !strings.Contains(out, "use --local") {
			t.Fatalf("exit %d\n%s", code, out)
		}
		t.Chdir(t.TempDir())
		var buf bytes.Buffer
		args := []string{"--local", "--state", e.state, "--stage", "test"}
		if code := athanor.Main(ctx, "flowlogs", args, &buf, &buf, programOf(one, nil)); code != 0 {
			t.Fatalf("with --local: exit %d\n%s", code, buf.String())
		}
	})

	t.Run("schema, as generated doc comments say", func(t *testing.T) {
		if code, out := athanorCLI("schema", "AWS::Logs::LogGroup"); code != 0 || !strings.Contains(out, "LogGroupName") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})

	t.Run("no region", func(t *testing.T) {
		e := newEnv(t, localcc.Options{})
		e.t = t
		t.Setenv("AWS_REGION", "")
		t.Setenv("AWS_DEFAULT_REGION", "")
		code, out := e.run(programOf(one, nil))
		if code != athanor.ExitError || !strings.Contains(out, "pass --region") {
			t.Fatalf("exit %d\n%s", code, out)
		}
		if code, out := e.run(programOf(one, nil), "--region", "us-east-1"); code != 0 {
			t.Fatalf("with --region: exit %d\n%s", code, out)
		}
	})
}
