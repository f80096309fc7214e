//go:build unix

package reliability

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/localcc/localcctest"
	"github.com/athanor-iac/athanor/reliability/internal/fleet"
	"github.com/athanor-iac/athanor/state"
)

var soakFlag = flag.Bool("soak", false, "run the reliability suite with more iterations (as ATHANOR_SOAK=1)")

// soak reports whether the long mode is on.
func soak() bool {
	if *soakFlag {
		return true
	}
	v, _ := strconv.ParseBool(os.Getenv("ATHANOR_SOAK"))
	return v
}

// seed is the suite's random seed: ATHANOR_RELIABILITY_SEED, else fixed,
// so that a run's kill points and faults repeat.
func seed(t *testing.T) uint64 {
	if v := os.Getenv("ATHANOR_RELIABILITY_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("ATHANOR_RELIABILITY_SEED=%q: %v", v, err)
		}
		return s
	}
	return 20260501
}

const flowLogType = "AWS::EC2::FlowLog"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	binDir    string
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// program builds the fleet program once per test binary.
func program(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "athanor-reliability-")
		if buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "fleet")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/athanor-iac/athanor/reliability/internal/fleet/cmd/fleet").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// bench is one long-lived local endpoint and one stage's state folder,
// shared by the program runs of a test.
type bench struct {
	t     *testing.T
	bin   string
	srv   *localcc.Server
	hook  *localcctest.Calls // hears of every call the endpoint carries out
	state string
	stage string
	n     int
	env   []string
}

func newBench(t *testing.T, n int, opts localcc.Options) *bench {
	t.Helper()
	hook := &localcctest.Calls{}
	opts.Logger = slog.New(hook)
	opts.Fixtures = append(opts.Fixtures, fleet.Fixtures(n)...)
	if opts.Latency == nil {
		opts.Latency = map[string]localcc.Range{"*": {Min: 50 * time.Millisecond, Max: 300 * time.Millisecond}}
	}
	if opts.Seed == 0 {
		opts.Seed = seed(t)
	}
	srv, err := localcc.Start(opts, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	none := filepath.Join(t.TempDir(), "none")
	return &bench{
		t: t, bin: program(t), srv: srv, hook: hook, state: t.TempDir(), stage: "reliability", n: n,
		env: []string{
			"AWS_ACCESS_KEY_ID=AKIDRELIABILITY", "AWS_SECRET_ACCESS_KEY=secret", "AWS_REGION=us-east-1",
			"AWS_CONFIG_FILE=" + none, "AWS_SHARED_CREDENTIALS_FILE=" + none, "AWS_EC2_METADATA_DISABLED=true",
			"NO_COLOR=1", "FLEET_COUNT=" + strconv.Itoa(n),
		},
	}
}

// kill says when to SIGKILL a run: after the endpoint carried out its
// afterCalls-th API call, or after a delay, whichever comes first; zero
// values never kill.
type kill struct {
	afterCalls int
	after      time.Duration
}

type result struct {
	code   int
	out    string
	killed bool
	pid    int
	took   time.Duration
}

// start starts the program in the background.
func (b *bench) start(env []string, args ...string) (*exec.Cmd, *output) {
	b.t.Helper()
	if len(args) == 0 || (args[0] != "plan" && args[0] != "refresh") {
		args = append(args, "--yes") // no terminal: up and destroy need it
	}
	args = append(args, "--endpoint", b.srv.URL(), "--state", b.state, "--stage", b.stage)
	cmd := exec.Command(b.bin, args...)
	cmd.Env = append(append(os.Environ(), b.env...), env...)
	out := &output{changed: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	return cmd, out
}

// output is a program's combined output, safe to read while the program
// writes it; a test waits for a line with waitFor.
type output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed, and replaced, at every write
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	close(o.changed)
	o.changed = make(chan struct{})
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor waits until the output contains s, and reports false when it
// still does not after a minute (a guard against a hang).
func (o *output) waitFor(s string) bool {
	guard := time.After(time.Minute)
	for {
		o.mu.Lock()
		found, changed := strings.Contains(o.buf.String(), s), o.changed
		o.mu.Unlock()
		if found {
			return true
		}
		select {
		case <-changed:
		case <-guard:
			return false
		}
	}
}

// finish waits for a started program.
func finish(cmd *exec.Cmd, out *output, start time.Time) result {
	cmd.Wait()
	r := result{code: cmd.ProcessState.ExitCode(), out: out.String(), pid: cmd.Process.Pid, took: time.Since(start)}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		r.killed = true
	}
	return r
}

// run runs the program, killing it as k says.
func (b *bench) run(k kill, env []string, args ...string) result {
	b.t.Helper()
	start := time.Now()
	cmd, out := b.start(env, args...)
	if k.afterCalls > 0 {
		var calls atomic.Int64
		f := func(string) {
			if calls.Add(1) == int64(k.afterCalls) {
				cmd.Process.Signal(syscall.SIGKILL)
			}
		}
		b.hook.OnEach(f)
		defer b.hook.OnEach(nil)
	}
	if k.after > 0 {
		timer := time.AfterFunc(k.after, func() { cmd.Process.Signal(syscall.SIGKILL) })
		defer timer.Stop()
	}
	return finish(cmd, out, start)
}

// tally counts what a check found.
type tally struct {
	leaked, duplicated, missing, wrong, pending int
}

func (t tally) clean() bool { return t == tally{} }

func (t tally) String() string {
	return fmt.Sprintf("%d leaked, %d duplicated, %d missing, %d not as declared, %d records not settled", t.leaked, t.duplicated, t.missing, t.wrong, t.pending)
}

// check compares the endpoint and the state with the fleet of generation
// gen (want is the number of flow logs declared; 0 after a destroy): one
// flow log per VPC as declared, one settled record per logical ID naming
// it, nothing else.
func (b *bench) check(want int, gen, tag string) tally {
	b.t.Helper()
	var tl tally
	live := map[string]map[string]any{}
	perVPC := map[string]int{}
	for _, r := range b.srv.Resources(flowLogType) {
		live[r.Identifier] = r.Properties
		perVPC[fmt.Sprint(r.Properties["ResourceId"])]++
	}
	store, err := state.Open(context.Background(), b.state, fleet.App, b.stage)
	if err != nil {
		b.t.Fatal(err)
	}
	recs, err := store.Load(context.Background())
	if err != nil {
		b.t.Fatalf("load state: %v", err)
	}
	tracked := map[string]int{}
	for _, r := range recs {
		if r.Pending != nil || len(r.Superseded) > 0 {
			tl.pending++
			b.t.Errorf("record %s not settled: pending %+v, superseded %+v", r.LogicalID, r.Pending, r.Superseded)
		}
		if r.Identifier != "" {
			tracked[r.Identifier]++
		}
		for _, s := range r.Superseded {
			tracked[s.Identifier]++
		}
	}
	for id, n := range tracked {
		if n > 1 {
			tl.duplicated += n - 1
			b.t.Errorf("%s is recorded %d times", id, n)
		}
	}
	for id, p := range live {
		if tracked[id] == 0 {
			tl.leaked++
			b.t.Errorf("leaked: %s (%v, %v) exists but no record names it", id, p["ResourceId"], p["LogGroupName"])
		}
	}
	for vpc, n := range perVPC {
		if n > 1 {
			tl.duplicated += n - 1
			b.t.Errorf("%s has %d flow logs, declared 1", vpc, n)
		}
	}
	if len(recs) != want {
		b.t.Errorf("%d records in state, want %d", len(recs), want)
	}
	byID := map[string]string{}
	for _, r := range recs {
		byID[r.LogicalID] = r.Identifier
	}
	for i := 0; i < want; i++ {
		id, ok := byID[fleet.LogicalID(i)]
		p, exists := live[id]
		if !ok || !exists {
			tl.missing++
			b.t.Errorf("%s: record %v (found %v), flow log exists %v", fleet.LogicalID(i), id, ok, exists)
			continue
		}
		d := fleet.Props(i, gen, tag)
		if p["ResourceId"] != d.ResourceId || p["LogGroupName"] != d.LogGroupName || p["TrafficType"] != d.TrafficType || tagsOf(p["Tags"]) != tagString(d) {
			tl.wrong++
			b.t.Errorf("%s (%s) is %v %v %v %v, declared %+v", fleet.LogicalID(i), id, p["ResourceId"], p["LogGroupName"], p["TrafficType"], p["Tags"], d)
		}
	}
	return tl
}

func tagsOf(v any) string {
	list, _ := v.([]any)
	var out []string
	for _, t := range list {
		m, _ := t.(map[string]any)
		out = append(out, fmt.Sprintf("%v=%v", m["Key"], m["Value"]))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func tagString(p ec2.FlowLogProps) string {
	var out []string
	for _, t := range p.Tags {
		out = append(out, t.Key+"="+t.Value)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// rng returns the test's seeded random source.
func rng(t *testing.T, salt uint64) *rand.Rand {
	s := seed(t)
	return rand.New(rand.NewPCG(s, s^salt))
}
