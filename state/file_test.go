package state_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/state"
	"github.com/athanor-iac/athanor/state/statetest"
)

const app = "shop"

// openFile opens the stage of a test under root: the same t gets the same
// stage, different subtests get different ones.
func openFile(root string) func(t *testing.T) state.Store {
	return func(t *testing.T) state.Store {
		t.Helper()
		stage := fmt.Sprintf("s%x", sha256.Sum256([]byte(t.Name())))[:17]
		s, err := state.Open(context.Background(), "file://"+filepath.ToSlash(root), app, stage)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	}
}

func TestFileConformance(t *testing.T) {
	statetest.RunWith(t, openFile(t.TempDir()), statetest.Options{
		Crash: func(t *testing.T, u state.Unlocker) {
			if err := state.CrashFileLock(u); err != nil {
				t.Fatal(err)
			}
		},
	})
}

// newStage opens stage "dev" of a new root directory.
func newStage(t *testing.T) (state.Store, string) {
	t.Helper()
	root := t.TempDir()
	s, err := state.Open(context.Background(), root, app, "dev")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s, filepath.Join(root, app, "dev")
}

func TestFileLayout(t *testing.T) {
	ctx := context.Background()
	s, dir := newStage(t)
	for i := range 2 {
		u, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := s.Put(ctx, statetest.Sample("MyFlowLog")); err != nil {
				t.Fatal(err)
			}
		}
		u.Unlock()
	}
	data, err := os.ReadFile(filepath.Join(dir, "resources", "+my+flow+log.json"))
	if err != nil {
		t.Fatalf("record file: %v", err)
	}
	var env struct {
		Version int             `json:"version"`
		SHA256  string          `json:"sha256"`
		Record  json.RawMessage `json:"record"`
	}
	if err := json.Unmarshal(data, &env); err != nil || env.Version != 1 || len(env.SHA256) != 64 || !bytes.Contains(env.Record, []byte(`"logicalId": "MyFlowLog"`)) {
		t.Errorf("record file is not the documented pretty-printed envelope (%v):\n%s", err, data)
	}
	var sf struct {
		Version int    `json:"version"`
		Lineage string `json:"lineage"`
		Serial  int    `json:"serial"`
	}
	data, err = os.ReadFile(filepath.Join(dir, "stage.json"))
	if err != nil || json.Unmarshal(data, &sf) != nil || sf.Version != 1 || sf.Lineage == "" || sf.Serial != 2 {
		t.Errorf("stage.json after two runs = %s (%v); want version 1, a lineage, serial 2", data, err)
	}
	if lock, err := os.ReadFile(filepath.Join(dir, "lock")); err != nil || len(lock) != 0 {
		t.Errorf("lock file after Unlock = %q, %v; want empty", lock, err)
	}
}

func TestFileModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("Windows has no Unix file modes")
	}
	ctx := context.Background()
	s, dir := newStage(t)
	u, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatal(err)
	}
	defer u.Unlock()
	if err := s.Put(ctx, statetest.Sample("a")); err != nil {
		t.Fatal(err)
	}
	want := map[string]fs.FileMode{
		filepath.Dir(dir):               0o700 | fs.ModeDir,
		dir:                             0o700 | fs.ModeDir,
		filepath.Join(dir, "resources"): 0o700 | fs.ModeDir,
		filepath.Join(dir, "resources", "a.json"): 0o600,
		filepath.Join(dir, "lock"):                0o600,
		filepath.Join(dir, "stage.json"):          0o600,
	}
	for path, mode := range want {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != mode {
			t.Errorf("%s has mode %v, want %v", path, fi.Mode(), mode)
		}
	}
}

func TestCorruptRecordRefused(t *testing.T) {
	ctx := context.Background()
	cases := map[string]func([]byte) []byte{
		"bit flip": func(b []byte) []byte {
			i := bytes.Index(b, []byte("vpc-123"))
			b[i+6] ^= 0x01 // vpc-122: still valid JSON, caught by the checksum
			return b
		},
		"truncated": func(b []byte) []byte { return b[:len(b)/2] },
		"last byte": func(b []byte) []byte { return bytes.TrimRight(b, "}\n") },
		"empty":     func([]byte) []byte { return nil },
		"edited":    func(b []byte) []byte { return bytes.Replace(b, []byte(`"ALL"`), []byte(`"REJECT"`), 1) },
	}
	for name, corrupt := range cases {
		t.Run(name, func(t *testing.T) {
			s, dir := newStage(t)
			if err := s.Put(ctx, statetest.Sample("Good")); err != nil {
				t.Fatal(err)
			}
			if err := s.Put(ctx, statetest.Sample("FlowLog")); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "resources", "+flow+log.json")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			bad := corrupt(data)
			if err := os.WriteFile(path, bad, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err = s.Load(ctx)
			var ce *state.CorruptRecordError
			if !errors.As(err, &ce) {
				t.Fatalf("Load of a %s record: %v, want a *state.CorruptRecordError", name, err)
			}
			for _, want := range []string{path, "athanor state rm FlowLog --yes --app shop --stage dev", "backup"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, bad) {
				t.Errorf("Load modified the corrupted file")
			}
			// Nor does a run's Lock touch it.
			u, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
			if err != nil {
				t.Fatal(err)
			}
			u.Unlock()
			if after, _ := os.ReadFile(path); !bytes.Equal(after, bad) {
				t.Errorf("Lock modified the corrupted file")
			}
		})
	}
}

func TestUnexpectedFilesRefused(t *testing.T) {
	ctx := context.Background()
	for name, content := range map[string]string{
		"notes.txt":   "hello",
		"Bucket.json": "", // unescaped upper case: written by hand?
	} {
		t.Run(name, func(t *testing.T) {
			s, dir := newStage(t)
			if err := s.Put(ctx, state.Record{LogicalID: "Bucket", Type: "AWS::S3::Bucket"}); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "resources", name)
			if content == "" {
				// A valid record under the wrong name.
				data, err := os.ReadFile(filepath.Join(dir, "resources", "+bucket.json"))
				if err != nil {
					t.Fatal(err)
				}
				os.Remove(filepath.Join(dir, "resources", "+bucket.json"))
				content = string(data)
			}
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Load(ctx); err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("Load with %s: %v, want an error naming it", name, err)
			}
		})
	}
}

func TestStaleTmpFilesIgnored(t *testing.T) {
	ctx := context.Background()
	s, dir := newStage(t)
	if err := s.Put(ctx, statetest.Sample("a")); err != nil {
		t.Fatal(err)
	}
	res := filepath.Join(dir, "resources")
	stale := []string{filepath.Join(res, ".athanor-123.tmp"), filepath.Join(res, "b.json.tmp"), filepath.Join(dir, ".athanor-9.tmp")}
	for _, p := range stale {
		if err := os.WriteFile(p, []byte(`{"version":1,"rec`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(res, ".DS_Store"), []byte{0, 1}, 0o600)
	recs, err := s.Load(ctx)
	if err != nil || len(recs) != 1 {
		t.Fatalf("Load with stale temporary files = %d records, %v; want 1, nil", len(recs), err)
	}
	for _, p := range stale {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("Load removed %s without holding the lock", p)
		}
	}
	u, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatal(err)
	}
	defer u.Unlock()
	for _, p := range stale {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Lock left the stale %s (%v)", p, err)
		}
	}
}

func TestNoTmpLeftOnError(t *testing.T) {
	ctx := context.Background()
	s, dir := newStage(t)
	if err := s.Put(ctx, statetest.Sample("a")); err != nil {
		t.Fatal(err)
	}
	res := filepath.Join(dir, "resources")
	// Make the old record a directory, so that the rename fails after the
	// temporary file has been written.
	os.Remove(filepath.Join(res, "a.json"))
	os.MkdirAll(filepath.Join(res, "a.json", "x"), 0o700)
	if err := s.Put(ctx, statetest.Sample("a")); err == nil {
		t.Fatal("Put over a directory succeeded")
	}
	entries, _ := os.ReadDir(res)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("failed Put left %s behind", e.Name())
		}
	}
}

func TestStaleLockDetected(t *testing.T) {
	ctx := context.Background()
	s, dir := newStage(t)
	dead := state.LockInfo{ID: "x1", Who: "alice@build-7", PID: 4242, Operation: "destroy", Created: time.Date(2026, 11, 24, 5, 0, 0, 0, time.UTC), Version: "v0.9.0"}
	data, _ := json.Marshal(dead)
	os.MkdirAll(dir, 0o700)
	if err := os.WriteFile(filepath.Join(dir, "lock"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	if info, held, err := state.ReadLock(ctx, filepath.Dir(filepath.Dir(dir)), app, "dev"); err != nil || held || info != dead {
		t.Errorf("ReadLock of a stale lock = %+v, %v, %v; want the dead holder, false", info, held, err)
	}
	u, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatalf("Lock over a stale lock: %v", err)
	}
	info, stale := state.StaleLock(u)
	if !stale || info != dead {
		t.Errorf("StaleLock = %+v, %v; want %+v, true", info, stale, dead)
	}
	u.Unlock()
	u, err = s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatal(err)
	}
	if _, stale := state.StaleLock(u); stale {
		t.Errorf("Lock after a clean Unlock reports a stale lock")
	}
	u.Unlock()
}

func TestForceUnlock(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, err := state.Open(ctx, root, app, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if info, err := state.ForceUnlock(ctx, root, app, "dev"); err != nil || info != (state.LockInfo{}) {
		t.Errorf("ForceUnlock of a never-locked stage = %+v, %v", info, err)
	}
	holder := state.NewLockInfo("up", "test")
	u, err := s.Lock(ctx, holder)
	if err != nil {
		t.Fatal(err)
	}
	_, err = state.ForceUnlock(ctx, root, app, "dev")
	var le *state.LockError
	if !errors.As(err, &le) || le.Info.ID != holder.ID {
		t.Errorf("ForceUnlock of a lock held by a live process: %v; want a LockError naming it", err)
	}
	u.Unlock()
	// Leave a stale lock behind, then force-unlock it.
	os.WriteFile(filepath.Join(root, app, "dev", "lock"), []byte(`{"id":"x","who":"bob@h","pid":7}`), 0o600)
	info, err := state.ForceUnlock(ctx, root, app, "dev")
	if err != nil || info.PID != 7 {
		t.Errorf("ForceUnlock of a stale lock = %+v, %v; want pid 7", info, err)
	}
	u, err = s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatal(err)
	}
	if info, stale := state.StaleLock(u); stale {
		t.Errorf("Lock after ForceUnlock reports stale lock %+v", info)
	}
	u.Unlock()
}

// TestLockHelperProcess is not a test: it is the other process of
// TestLockHeldByOtherProcess. It locks the stage named in the environment,
// says so, and waits until stdin closes or it is killed.
func TestLockHelperProcess(t *testing.T) {
	root := os.Getenv("ATHANOR_STATE_TEST_LOCK_ROOT")
	if root == "" {
		t.Skip("helper process for TestLockHeldByOtherProcess")
	}
	ctx := context.Background()
	s, err := state.Open(ctx, root, app, "dev")
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	u, err := s.Lock(ctx, state.NewLockInfo("up", "helper"))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	bufio.NewReader(os.Stdin).ReadString('\n')
	u.Unlock()
	os.Exit(0)
}

func TestLockHeldByOtherProcess(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	start := func() (*exec.Cmd, *os.File) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
		cmd.Env = append(os.Environ(), "ATHANOR_STATE_TEST_LOCK_ROOT="+root)
		stdin, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdin = stdin
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		stdin.Close()
		line, _ := bufio.NewReader(out).ReadString('\n')
		if strings.TrimSpace(line) != "locked" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("helper process said %q", line)
		}
		return cmd, w
	}
	s, err := state.Open(ctx, root, app, "dev")
	if err != nil {
		t.Fatal(err)
	}

	// While the helper holds the lock, Lock fails naming its pid.
	cmd, w := start()
	_, err = s.Lock(ctx, state.NewLockInfo("up", "test"))
	var le *state.LockError
	if !errors.As(err, &le) || le.Info.PID != cmd.Process.Pid {
		t.Errorf("Lock while another process holds it: %v; want a LockError naming pid %d", err, cmd.Process.Pid)
	} else if !strings.Contains(err.Error(), fmt.Sprintf("pid %d", cmd.Process.Pid)) || !strings.Contains(err.Error(), "athanor state unlock --app shop --stage dev") {
		t.Errorf("LockError message %q lacks the pid or the way out", err)
	}
	if info, held, err := state.ReadLock(ctx, root, app, "dev"); err != nil || !held || info.PID != cmd.Process.Pid {
		t.Errorf("ReadLock = %+v, %v, %v; want held by pid %d", info, held, err, cmd.Process.Pid)
	}
	// A clean exit unlocks.
	w.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	u, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatalf("Lock after the helper unlocked: %v", err)
	}
	if info, stale := state.StaleLock(u); stale {
		t.Errorf("stale lock %+v after a clean unlock", info)
	}
	u.Unlock()

	// A killed holder leaves its info behind, and the OS lock goes with it.
	cmd, w = start()
	defer w.Close()
	pid := cmd.Process.Pid
	cmd.Process.Kill()
	cmd.Wait()
	u, err = s.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatalf("Lock after the holder was killed: %v", err)
	}
	defer u.Unlock()
	if info, stale := state.StaleLock(u); !stale || info.PID != pid {
		t.Errorf("StaleLock = %+v, %v; want the killed pid %d", info, stale, pid)
	}
}

func TestLogicalIDs(t *testing.T) {
	valid := []string{"a", "A", "0", "My-Bucket_1.v2", "a.", "console", "com10", "COM", strings.Repeat("x", 128)}
	invalid := []string{"", ".a", "..", "a/b", `a\b`, "a b", "a:b", "a*", "é", "con", "CON", "Aux.json", "nul.x", "COM1", "lpt9", strings.Repeat("x", 129)}
	for _, id := range valid {
		if err := state.ValidateLogicalID(id); err != nil {
			t.Errorf("ValidateLogicalID(%q) = %v, want nil", id, err)
		}
	}
	for _, id := range invalid {
		if err := state.ValidateLogicalID(id); err == nil {
			t.Errorf("ValidateLogicalID(%q) = nil, want an error", id)
		}
	}
	// 128 upper-case letters do not fit a file name once escaped.
	s, _ := newStage(t)
	err := s.Put(context.Background(), state.Record{LogicalID: strings.Repeat("X", 128), Type: "AWS::S3::Bucket"})
	if err == nil || !strings.Contains(err.Error(), "upper-case") {
		t.Errorf("Put of 128 upper-case letters: %v, want a clear error", err)
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	t.Chdir(root)
	for _, u := range []string{"file://.athanor", ".athanor", "./.athanor", "file://" + filepath.ToSlash(filepath.Join(root, ".athanor"))} {
		s, err := state.Open(ctx, u, app, "dev")
		if err != nil {
			t.Fatalf("Open(%s): %v", u, err)
		}
		if err := s.Put(ctx, state.Record{LogicalID: "a", Type: "AWS::S3::Bucket"}); err != nil {
			t.Fatalf("Put via %s: %v", u, err)
		}
	}
	if _, err := os.Stat(filepath.Join(root, ".athanor", app, "dev", "resources", "a.json")); err != nil {
		t.Errorf("file://.athanor is not the relative directory .athanor: %v", err)
	}
	for _, u := range []string{"", "nosuch://x", "file://x?mode=1", "file://user:secret@x/y"} {
		_, err := state.Open(ctx, u, app, "dev")
		if err == nil {
			t.Errorf("Open(%q) succeeded, want an error", u)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("Open error leaks a password: %v", err)
		}
	}
	for _, name := range []string{"", "a/b", ".x"} {
		if _, err := state.Open(ctx, ".athanor", name, "dev"); err == nil {
			t.Errorf("Open with app %q succeeded", name)
		}
		if _, err := state.Open(ctx, ".athanor", app, name); err == nil {
			t.Errorf("Open with stage %q succeeded", name)
		}
	}
	for _, stage := range []string{"prod", "Dev"} {
		s, _ := state.Open(ctx, ".athanor", app, stage)
		u, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
		if err != nil {
			t.Fatal(err)
		}
		u.Unlock()
	}
	stages, err := state.Stages(ctx, ".athanor", app)
	if err != nil || strings.Join(stages, ",") != "Dev,dev,prod" {
		t.Errorf("Stages = %v, %v; want [Dev dev prod]", stages, err)
	}
	if stages, err := state.Stages(ctx, ".athanor", "other"); err != nil || len(stages) != 0 {
		t.Errorf("Stages of an app without state = %v, %v", stages, err)
	}
}

func TestRegisterDuplicatePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering scheme file twice did not panic")
		}
	}()
	state.Register("FILE", "file://PATH", func(context.Context, *url.URL, string, string) (state.Store, error) { return nil, nil })
}

func BenchmarkFilePut(b *testing.B) {
	ctx := context.Background()
	s, err := state.Open(ctx, b.TempDir(), app, "dev")
	if err != nil {
		b.Fatal(err)
	}
	r := statetest.Sample("FlowLog")
	for b.Loop() {
		if err := s.Put(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}
