package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/state"
	"github.com/athanor-iac/athanor/state/pgstore/pgtest"
	"github.com/athanor-iac/athanor/state/s3store/s3test"
	"github.com/athanor-iac/athanor/state/statetest"
)

func fileURL(t *testing.T) string { return "file://" + filepath.ToSlash(t.TempDir()) }

func openStage(t *testing.T, url, app, stage string) state.Store {
	t.Helper()
	s, err := state.Open(context.Background(), url, app, stage)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeStore(s) })
	return s
}

// s3URL returns a state URL on a fresh bucket of the test S3 server
// (MinIO, started by .ci/minio.sh). Its credentials are set in the
// environment, so that child processes inherit them.
func s3URL(t *testing.T, prefix string) string {
	t.Helper()
	srv := s3test.Start(t)
	return s3test.URL(srv.Endpoint, srv.Bucket(t), prefix, 5*time.Second)
}

func TestStateListShowRm(t *testing.T) {
	ctx := context.Background()
	url := fileURL(t)
	s := openStage(t, url, "net", "prod")
	pending := statetest.Sample("FlowLog")
	plain := state.Record{LogicalID: "Bucket", Type: "AWS::S3::Bucket", Identifier: "my-bucket"}
	for _, r := range []state.Record{pending, plain} {
		if err := s.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	base := []string{"--state", url, "--app", "net", "--stage", "prod"}
	args := func(a ...string) []string { return append(append([]string{"state"}, a...), base...) }

	code, out, errOut := run(t, "", args("list")...)
	if code != 0 || !strings.Contains(out, "LOGICAL ID") || !strings.Contains(out, "my-bucket") ||
		!regexpLine(out, "FlowLog", "AWS::EC2::FlowLog", "fl-0123456789abcdef0", "UPDATE (pending)", "1 superseded") {
		t.Errorf("list = %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run(t, "", args("list", "--json")...)
	var list StateList
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || list.FormatVersion != 1 || list.App != "net" || list.Stage != "prod" {
		t.Errorf("list --json = %d %s", code, out)
	}
	if entries := list.Records; len(entries) != 2 || entries[1].Pending != "UPDATE" || entries[0].Identifier != "my-bucket" {
		t.Errorf("list --json = %d %s", code, out)
	}
	code, out, _ = run(t, "", args("show", "FlowLog")...)
	var doc struct {
		FormatVersion int          `json:"formatVersion"`
		Record        state.Record `json:"record"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber() // Big is beyond float64
	if code != 0 || dec.Decode(&doc) != nil || doc.FormatVersion != 1 || !statetest.Equal(doc.Record, pending) {
		t.Errorf("show = %d %s", code, out)
	}
	if code, _, errOut := run(t, "", args("show", "Nope")...); code != 1 || !strings.Contains(errOut, "no record Nope") {
		t.Errorf("show of a missing record = %d %s", code, errOut)
	}
	// rm without --yes explains and removes nothing.
	code, _, errOut = run(t, "", args("rm", "Bucket")...)
	if code != 2 || !strings.Contains(errOut, "Nothing is sent to AWS") || !strings.Contains(errOut, "--yes") {
		t.Errorf("rm without --yes = %d %s", code, errOut)
	}
	if recs, _ := s.Load(ctx); len(recs) != 2 {
		t.Fatalf("rm without --yes removed something")
	}
	code, out, errOut = run(t, "", args("rm", "Bucket", "--yes")...)
	if code != 0 || !strings.Contains(out, "removed Bucket (AWS::S3::Bucket my-bucket)") || !strings.Contains(out, "AWS was not touched") {
		t.Errorf("rm --yes = %d %s %s", code, out, errOut)
	}
	if recs, _ := s.Load(ctx); len(recs) != 1 || recs[0].LogicalID != "FlowLog" {
		t.Errorf("after rm, state holds %+v", recs)
	}
	if code, _, errOut := run(t, "", "state", "list", "--state", url); code != 2 || !strings.Contains(errOut, "--app is required") {
		t.Errorf("list without --app = %d %s", code, errOut)
	}
}

// regexpLine reports whether one line of out holds all parts in order.
func regexpLine(out string, parts ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		rest, ok := line, true
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			return true
		}
	}
	return false
}

func TestStateStageDefault(t *testing.T) {
	url := fileURL(t)
	t.Setenv("ATHANOR_STATE", url)
	t.Setenv("ATHANOR_STAGE", "qa")
	s := openStage(t, url, "net", "qa")
	if err := s.Put(context.Background(), state.Record{LogicalID: "x", Type: "AWS::S3::Bucket"}); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "", "state", "list", "--app", "net"); code != 0 || !strings.Contains(out, "x ") {
		t.Errorf("list with ATHANOR_STATE and ATHANOR_STAGE = %d %s %s", code, out, errOut)
	}
}

func TestStateUnlock(t *testing.T) {
	ctx := context.Background()
	url := s3URL(t, "unlock")
	s := openStage(t, url, "net", "prod")
	if code, out, _ := run(t, "", "state", "unlock", "--state", url, "--app", "net", "--stage", "prod"); code != 0 || !strings.Contains(out, "was not locked") {
		t.Errorf("unlock of a free stage = %d %s", code, out)
	}
	holder := state.NewLockInfo("destroy", "test")
	holder.Who = "alice@ci-7"
	if _, err := s.Lock(ctx, holder); err != nil { // never unlocked: a dead run
		t.Fatal(err)
	}
	code, out, errOut := run(t, "", "state", "unlock", "--state", url, "--app", "net", "--stage", "prod")
	if code != 0 || !strings.Contains(out, "unlocked stage prod") || !strings.Contains(out, "alice@ci-7") || !strings.Contains(out, "destroy") {
		t.Errorf("unlock = %d %s %s", code, out, errOut)
	}
	u, err := openStage(t, url, "net", "prod").Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	u.Unlock()
}

// TestStateMigrateRoundTrip moves a stage file -> postgres -> s3 -> file and
// checks that every record arrives unchanged.
func TestStateMigrateRoundTrip(t *testing.T) {
	ctx := context.Background()
	pg := pgtest.URL(t)
	app := pgtest.App("migrate")
	file1, s3u, file2 := fileURL(t), s3URL(t, "mig"), fileURL(t)
	src := openStage(t, file1, app, "prod")
	var want []state.Record
	for i := range 120 {
		r := statetest.Sample(fmt.Sprintf("Res%03d", i))
		r.Identifier = fmt.Sprintf("fl-%d", i)
		if i%3 == 0 {
			r.Pending = nil
			r.Superseded = nil
		}
		if err := src.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
		want = append(want, r)
	}
	hops := [][2]string{{file1, pg}, {pg, s3u}, {s3u, file2}}
	for _, h := range hops {
		code, out, errOut := run(t, "", "state", "migrate", "--app", app, "--stage", "prod", "--from", h[0], "--to", h[1])
		if code != 0 || !strings.Contains(out, "copied 120 records") {
			t.Fatalf("migrate %s -> %s = %d %s %s", h[0], h[1], code, out, errOut)
		}
	}
	dst := openStage(t, file2, app, "prod")
	got, err := dst.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A copy keeps the lineage of the source, so the two can be compared.
	if _, err := src.Load(ctx); err != nil {
		t.Fatal(err)
	}
	srcMeta, _ := state.CurrentMeta(src)
	if dstMeta, _ := state.CurrentMeta(dst); srcMeta.Lineage == "" || dstMeta.Lineage != srcMeta.Lineage || dstMeta.Serial <= srcMeta.Serial {
		t.Errorf("lineage after three hops = %+v; want the source's %+v with a higher serial", dstMeta, srcMeta)
	}
	if len(got) != len(want) {
		t.Fatalf("after the round trip %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !statetest.Equal(got[i], want[i]) {
			t.Fatalf("record %s changed in the round trip", want[i].LogicalID)
		}
	}
	// The destination now has records: a second migrate refuses without --force.
	code, _, errOut := run(t, "", "state", "migrate", "--app", app, "--stage", "prod", "--from", file1, "--to", pg)
	if code != 1 || !strings.Contains(errOut, "already holds 120 records") || !strings.Contains(errOut, "--force") {
		t.Errorf("migrate onto a non-empty destination = %d %s", code, errOut)
	}
	// --force makes an exact copy, removing what the source lacks.
	if err := openStage(t, pg, app, "prod").Put(ctx, state.Record{LogicalID: "Extra", Type: "AWS::S3::Bucket"}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "", "state", "migrate", "--app", app, "--stage", "prod", "--from", file1, "--to", pg, "--force")
	if code != 0 || !strings.Contains(out, "removed 1 records") {
		t.Errorf("migrate --force = %d %s %s", code, out, errOut)
	}
	// A locked source is not copied.
	u, err := src.Lock(ctx, state.NewLockInfo("up", "test"))
	if err != nil {
		t.Fatal(err)
	}
	defer u.Unlock()
	code, _, errOut = run(t, "", "state", "migrate", "--app", app, "--stage", "prod", "--from", file1, "--to", fileURL(t))
	if code != 1 || !strings.Contains(errOut, "lock the source") {
		t.Errorf("migrate of a locked source = %d %s", code, errOut)
	}
}

// TestStateMigrateCarriesOutputs: a migrated stage keeps the outputs its
// last up recorded, so programs reading them (athanor.ReadOutputs) find
// them at the new location; a destination's own outputs are replaced.
func TestStateMigrateCarriesOutputs(t *testing.T) {
	ctx := context.Background()
	from, to := fileURL(t), fileURL(t)
	src := openStage(t, from, "net", "prod")
	if err := src.Put(ctx, state.Record{LogicalID: "vpc", Type: "AWS::EC2::VPC", Identifier: "vpc-1"}); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"vpcId": "vpc-1", "subnets": []any{"subnet-a"}}
	if err := state.PutOutputs(ctx, src, want); err != nil {
		t.Fatal(err)
	}
	if err := state.PutOutputs(ctx, openStage(t, to, "net", "prod"), map[string]any{"stale": "x"}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "", "state", "migrate", "--app", "net", "--stage", "prod", "--from", from, "--to", to)
	if code != 0 || !strings.Contains(out, "copied 1 records and 2 outputs") {
		t.Fatalf("migrate = %d %s %s", code, out, errOut)
	}
	got, err := state.LoadOutputs(ctx, openStage(t, to, "net", "prod"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("outputs at the destination = %v; want the source's %v", got, want)
	}
}

// TestStateHelperProcess is not a test: it is a process of the contention
// tests. It runs ATHANOR_CONTEND_ROUNDS read-modify-write cycles on a
// counter record, each under the stage's lock, logging when it enters and
// leaves the lock to a shared append-only file.
func TestStateHelperProcess(t *testing.T) {
	url := os.Getenv("ATHANOR_CONTEND_URL")
	if url == "" {
		t.Skip("helper process for the contention tests")
	}
	err := contend(url, os.Getenv("ATHANOR_CONTEND_APP"), os.Getenv("ATHANOR_CONTEND_STAGE"), os.Getenv("ATHANOR_CONTEND_LOG"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func contend(url, app, stage, logPath string) error {
	ctx := context.Background()
	rounds, _ := strconv.Atoi(os.Getenv("ATHANOR_CONTEND_ROUNDS"))
	s, err := state.Open(ctx, url, app, stage)
	if err != nil {
		return err
	}
	defer closeStore(s)
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	me := strconv.Itoa(os.Getpid())
	for done := 0; done < rounds; {
		u, err := s.Lock(ctx, state.NewLockInfo("up", "contend"))
		var le *state.LockError
		if errors.As(err, &le) {
			time.Sleep(time.Duration(2+os.Getpid()%5) * time.Millisecond)
			continue
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(logf, "enter %s %s\n", stage, me)
		recs, err := s.Load(ctx)
		if err != nil {
			return err
		}
		n := 0
		for _, r := range recs {
			if r.LogicalID == "counter" {
				n, _ = strconv.Atoi(r.Identifier)
			}
		}
		// A second record per round, so that a stage's records grow too.
		if err := s.Put(ctx, state.Record{LogicalID: fmt.Sprintf("w%s-%d", me, done), Type: "AWS::S3::Bucket", Identifier: me}); err != nil {
			return err
		}
		if err := s.Put(ctx, state.Record{LogicalID: "counter", Type: "AWS::SSM::Parameter", Identifier: strconv.Itoa(n + 1)}); err != nil {
			return err
		}
		fmt.Fprintf(logf, "leave %s %s\n", stage, me)
		if err := u.Unlock(); err != nil {
			return err
		}
		done++
	}
	return nil
}

// runContention starts one helper per stage in stages (a stage listed twice
// gets two contending helpers), waits for all, and checks the outcome: each
// stage's counter equals the rounds run on it (no lost update), and the log
// never shows two holders of one stage at a time.
func runContention(t *testing.T, url string, stages []string, rounds int) {
	t.Helper()
	app := pgtest.App("contend")
	logPath := filepath.Join(t.TempDir(), "log")
	start := time.Now()
	var cmds []*exec.Cmd
	for _, stage := range stages {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStateHelperProcess$")
		cmd.Env = append(os.Environ(), "ATHANOR_CONTEND_URL="+url, "ATHANOR_CONTEND_APP="+app,
			"ATHANOR_CONTEND_STAGE="+stage, "ATHANOR_CONTEND_LOG="+logPath, "ATHANOR_CONTEND_ROUNDS="+strconv.Itoa(rounds))
		cmd.Stderr = &syncBuffer{}
		cmd.Stdout = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper %d: %v: %s", cmd.Process.Pid, err, cmd.Stderr)
		}
	}
	t.Logf("%d processes, %d rounds each, in %v", len(stages), rounds, time.Since(start))
	perStage := map[string]int{}
	for _, s := range stages {
		perStage[s] += rounds
	}
	for stage, want := range perStage {
		recs, err := openStage(t, url, app, stage).Load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		got := -1
		for _, r := range recs {
			if r.LogicalID == "counter" {
				got, _ = strconv.Atoi(r.Identifier)
			}
		}
		if got != want || len(recs) != want+1 {
			t.Errorf("stage %s: counter %d and %d records, want %d and %d (lost updates)", stage, got, len(recs), want, want+1)
		}
	}
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	holder := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var op, stage, pid string
		fmt.Sscan(sc.Text(), &op, &stage, &pid)
		switch {
		case op == "enter" && holder[stage] != "":
			t.Fatalf("stage %s: process %s entered while %s held the lock", stage, pid, holder[stage])
		case op == "enter":
			holder[stage] = pid
		case op == "leave" && holder[stage] != pid:
			t.Fatalf("stage %s: process %s left a lock held by %q", stage, pid, holder[stage])
		default:
			holder[stage] = ""
		}
	}
}

func contentionBackends(t *testing.T) map[string]func(t *testing.T) string {
	return map[string]func(t *testing.T) string{
		"file":     fileURL,
		"postgres": func(t *testing.T) string { return pgtest.URL(t) },
		"s3":       func(t *testing.T) string { return s3URL(t, "contend") },
	}
}

// TestContentionOneStage runs several processes that all want the same
// stage: they take turns.
func TestContentionOneStage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for name, url := range contentionBackends(t) {
		t.Run(name, func(t *testing.T) {
			runContention(t, url(t), []string{"prod", "prod", "prod", "prod", "prod", "prod"}, 8)
		})
	}
}

// TestContentionManyStages runs several processes on different stages of one
// backend at once, plus two contending for one of them.
func TestContentionManyStages(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for name, url := range contentionBackends(t) {
		t.Run(name, func(t *testing.T) {
			runContention(t, url(t), []string{"a", "b", "c", "d", "e", "f", "a"}, 10)
		})
	}
}
