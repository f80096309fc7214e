//go:build unix

package athanor_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/state"
)

// The programs the interrupt tests run as processes, chosen by
// $ATHANOR_TEST_PROGRAM: this test runs one with athanor.Run (which exits)
// when the variable is set, and is skipped otherwise.
func TestInterruptProgram(t *testing.T) {
	switch os.Getenv("ATHANOR_TEST_PROGRAM") {
	case "":
		t.Skip("run as a process by the interrupt tests")
	}
	// The program's arguments are those after "--".
	for i, a := range os.Args {
		if a == "--" {
			os.Args = append([]string{"hang"}, os.Args[i+1:]...)
			break
		}
	}
	switch os.Getenv("ATHANOR_TEST_PROGRAM") {
	case "channels":
		// The report: two functions waiting on each other through
		// channels of their own, which no library can see.
		athanor.Run("hang", func(app *athanor.App) error {
			a, b := make(chan string), make(chan string)
			app.Go(func() error { b <- <-a; return nil })
			app.Go(func() error { a <- <-b; return nil })
			os.Stderr.WriteString("program: waiting\n")
			return nil
		})
	case "inflight":
		// A create in flight while another function never returns.
		athanor.Run("hang", func(app *athanor.App) error {
			app.Go(func() error {
				_, err := ec2.FlowLog(app, "vpcFlowLog", seedProps()["vpcFlowLog"])
				return err
			})
			if !app.Planning() {
				<-make(chan struct{})
			}
			return nil
		})
	}
}

// proc is a program started as a process, its output read line by line.
type proc struct {
	t     *testing.T
	cmd   *exec.Cmd
	lines chan string
	out   strings.Builder
}

func startProgram(t *testing.T, program string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestInterruptProgram$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), "ATHANOR_TEST_PROGRAM="+program)
	r, w := io.Pipe()
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, lines: make(chan string, 100)}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	go func() { cmd.Wait(); w.Close() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	return p
}

// read reads output lines until stop says so (true) or the output ends
// (false, the process has exited).
func (p *proc) read(what string, stop func(line string) bool) bool {
	p.t.Helper()
	guard := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				return false
			}
			p.out.WriteString(l + "\n")
			if stop(l) {
				return true
			}
		case <-guard:
			p.t.Fatalf("no %s after a minute:\n%s", what, p.out.String())
		}
	}
}

// waitFor reads output until a line contains s.
func (p *proc) waitFor(s string) {
	p.t.Helper()
	if !p.read(strconv.Quote(s), func(l string) bool { return strings.Contains(l, s) }) {
		p.t.Fatalf("the program ended before printing %q:\n%s", s, p.out.String())
	}
}

func (p *proc) signal(sig os.Signal) {
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// end reads the output to its end and returns the exit code.
func (p *proc) end() int {
	p.t.Helper()
	p.read("exit", func(string) bool { return false })
	return p.cmd.ProcessState.ExitCode() // the output ends after Wait
}

// SIGTERM is an interrupt like Ctrl-C, and a third one exits at once: a
// program whose functions wait on each other through channels used to
// ignore every signal but SIGKILL.
func TestThirdInterruptExits(t *testing.T) {
	p := startProgram(t, "channels", "plan", "--refresh=false")
	p.waitFor("program: waiting")
	p.signal(syscall.SIGTERM)
	p.waitFor("interrupted: starting nothing new")
	p.signal(syscall.SIGTERM)
	p.waitFor("interrupted again: cancelling requests in flight")
	p.signal(syscall.SIGINT)
	if code := p.end(); code != athanor.ExitError || !strings.Contains(p.out.String(), "interrupted a third time: exiting now") {
		t.Fatalf("exit %d\n%s", code, p.out.String())
	}
}

// Exiting at the third interrupt keeps the intent of a create in flight;
// the next run finds the request and records the flow log it made, with
// no second one.
func TestThirdInterruptKeepsIntents(t *testing.T) {
	clock := localcc.NewManualClock(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC))
	e := newEnv(t, localcc.Options{Clock: clock, Latency: map[string]localcc.Range{"*": {Min: time.Second, Max: time.Second}}})
	args := []string{"--endpoint", e.srv.URL(), "--state", e.state, "--stage", "test", "-v", "--yes"}
	p := startProgram(t, "inflight", args...)
	p.waitFor("api GetResourceRequestStatus") // the request token is in state
	for _, want := range []string{"interrupted: starting", "interrupted again", "interrupted a third time"} {
		p.signal(syscall.SIGTERM)
		if want != "interrupted a third time" {
			p.waitFor(want)
		}
	}
	if code := p.end(); code != athanor.ExitError {
		t.Fatalf("exit %d\n%s", code, p.out.String())
	}
	store, err := state.Open(context.Background(), e.state, "hang", "test")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := store.Load(context.Background())
	if err != nil || len(recs) != 1 || recs[0].Pending == nil || recs[0].Pending.RequestToken == "" {
		t.Fatalf("state after the third interrupt: %+v %v\n%s", recs, err, p.out.String())
	}
	clock.Advance(2 * time.Second)
	code, out := athanorMain(e, "hang", func(app *athanor.App) error {
		_, err := ec2.FlowLog(app, "vpcFlowLog", seedProps()["vpcFlowLog"])
		return err
	})
	if code != 0 || len(e.flowLogs()) != 1 {
		t.Fatalf("next run: exit %d, %d flow logs\n%s", code, len(e.flowLogs()), out)
	}
}

// athanorMain runs a program of another name than e.run's.
func athanorMain(e *env, app string, program func(*athanor.App) error) (int, string) {
	var out strings.Builder
	code := athanor.Main(context.Background(), app, []string{"--endpoint", e.srv.URL(), "--state", e.state, "--stage", "test", "--yes"}, &out, &out, program)
	return code, out.String()
}
