//go:build unix

package reliability

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/reliability/internal/fleet"
)

// TestConcurrentRunsAcrossProcesses: while one process applies a stage, a
// second process on the same stage fails fast, naming the first one (its
// pid) as the lock holder; the first finishes undisturbed.
func TestConcurrentRunsAcrossProcesses(t *testing.T) {
	t.Parallel()
	// Each create takes 2 s on the endpoint, so the first run holds the
	// lock for at least that long.
	b := newBench(t, 3, localcc.Options{Latency: map[string]localcc.Range{"*": {Min: 2 * time.Second, Max: 2 * time.Second}}})
	created := b.hook.After("CreateResource")
	start := time.Now()
	first, firstOut := b.start(nil)
	select {
	case <-created:
	case <-time.After(30 * time.Second):
		first.Process.Kill()
		t.Fatalf("the first run never submitted a create:\n%s", firstOut)
	}
	second := b.run(kill{}, nil)
	if second.code != 1 || !strings.Contains(second.out, "locked by") || !strings.Contains(second.out, fmt.Sprintf("pid %d", first.Process.Pid)) {
		t.Errorf("second run: exit %d, want 1 naming pid %d:\n%s", second.code, first.Process.Pid, second.out)
	}
	if second.took > 2*time.Second {
		t.Errorf("the refused run took %s; it should fail fast", second.took)
	}
	res := finish(first, firstOut, start)
	if res.code != 0 {
		t.Fatalf("first run: exit %d\n%s", res.code, res.out)
	}
	if tl := b.check(3, "a", ""); !tl.clean() {
		t.Fatal(tl)
	}
}

// TestCorruptStateIsRefused truncates and corrupts a state record, and the
// stage file, of a stage that holds flow logs: every run refuses it with
// exit code 1 and a message naming the file, and leaves the state folder
// byte for byte as it was. Nothing is sent to the endpoint.
func TestCorruptStateIsRefused(t *testing.T) {
	t.Parallel()
	const n = 3
	b := newBench(t, n, localcc.Options{})
	if res := b.run(kill{}, nil); res.code != 0 {
		t.Fatalf("setup: exit %d\n%s", res.code, res.out)
	}
	stageDir := filepath.Join(b.state, fleet.App, b.stage)
	records, _ := filepath.Glob(filepath.Join(stageDir, "resources", "*.json"))
	if len(records) != n {
		t.Fatalf("%d record files, want %d", len(records), n)
	}
	victim := records[1]
	good, err := os.ReadFile(victim)
	if err != nil {
		t.Fatal(err)
	}
	stageFile := filepath.Join(stageDir, "stage.json")
	goodStage, err := os.ReadFile(stageFile)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		file string
		data []byte
		args []string
	}{
		{"truncated record", victim, good[:len(good)/2], nil},
		{"empty record", victim, nil, nil},
		{"corrupted record", victim, bytes.Replace(good, []byte(`ALL`), []byte(`ACC`), 1), nil},
		{"corrupted record, destroy", victim, bytes.Replace(good, []byte(`fl-`), []byte(`fl_`), 1), []string{"destroy"}},
		{"corrupted stage file", stageFile, goodStage[:len(goodStage)-5], nil},
	}
	for _, c := range cases {
		if bytes.Equal(c.data, map[bool][]byte{true: good, false: goodStage}[c.file == victim]) {
			t.Fatalf("%s: the corruption changed nothing", c.name)
		}
		if err := os.WriteFile(c.file, c.data, 0o600); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, stageDir)
		b.srv.ResetMetrics()
		res := b.run(kill{}, []string{"FLEET_TAG=changed"}, c.args...)
		if res.code != 1 || !strings.Contains(res.out, c.file) {
			t.Errorf("%s: exit %d, want 1 and a message naming %s:\n%s", c.name, res.code, c.file, res.out)
		}
		if after := snapshot(t, stageDir); after != before {
			t.Errorf("%s: the state records changed:\nbefore %s\nafter  %s", c.name, before, after)
		}
		if now, _ := os.ReadFile(c.file); !bytes.Equal(now, c.data) {
			t.Errorf("%s: %s was rewritten", c.name, c.file)
		}
		for op, calls := range b.srv.Metrics().Calls {
			if op != "GetResource" && op != "ListResources" && calls > 0 {
				t.Errorf("%s: %d %s calls with corrupt state", c.name, calls, op)
			}
		}
		// Restore, so that the next case corrupts one thing at a time.
		os.WriteFile(victim, good, 0o600)
		os.WriteFile(stageFile, goodStage, 0o600)
	}
	if res := b.run(kill{}, nil); res.code != 0 {
		t.Fatalf("after restoring: exit %d\n%s", res.code, res.out)
	}
	if tl := b.check(n, "a", ""); !tl.clean() {
		t.Fatal(tl)
	}
}

// snapshot hashes every file under dir except the lock file, whose holder
// info a run may write and clear, and stage.json, whose run serial a run
// that takes the lock bumps (the corrupted file itself is compared apart).
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "lock" || d.Name() == "stage.json" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		fmt.Fprintf(&b, "%s:%x ", rel, sha256.Sum256(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestOperationTimeout: with the timeout overridden far below the
// endpoint's latency, a create fails with a timeout error naming the
// override, and its intent stays in state; the next run, without the
// override, finishes that same create instead of starting another.
func TestOperationTimeout(t *testing.T) {
	t.Parallel()
	b := newBench(t, 1, localcc.Options{Latency: map[string]localcc.Range{"*": {Min: 1500 * time.Millisecond, Max: 1500 * time.Millisecond}}})
	res := b.run(kill{}, []string{"ATHANOR_OPERATION_TIMEOUT=300ms"})
	if res.code != 1 || !strings.Contains(res.out, "did not finish within 300ms") || !strings.Contains(res.out, "ATHANOR_OPERATION_TIMEOUT") {
		t.Fatalf("exit %d, want 1 and a timeout error:\n%s", res.code, res.out)
	}
	if res.took > 1500*time.Millisecond {
		t.Errorf("the run took %s, past the endpoint's latency: the timeout did not cut it short", res.took)
	}
	creates := b.srv.Metrics().Calls["CreateResource"]
	if res := b.run(kill{}, nil); res.code != 0 {
		t.Fatalf("rerun: exit %d\n%s", res.code, res.out)
	}
	if tl := b.check(1, "a", ""); !tl.clean() {
		t.Fatal(tl)
	}
	if m := b.srv.Metrics(); m.Finished != 1 {
		t.Errorf("%d requests finished, want the one create (%d CreateResource calls before the rerun, %d after)", m.Finished, creates, m.Calls["CreateResource"])
	}
	if res := b.run(kill{}, []string{"ATHANOR_OPERATION_TIMEOUT=soon"}); res.code != 1 || !strings.Contains(res.out, "ATHANOR_OPERATION_TIMEOUT") {
		t.Errorf("a bad override: exit %d\n%s", res.code, res.out)
	}
}
