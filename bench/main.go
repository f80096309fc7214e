// Command bench measures Athanor against its physical limit (issue 7). It
// starts the local Cloud Control endpoint in this process with a latency
// model and a throttle, runs athanor programs through athanor.Main against
// it, and reports for each scenario the wall time, the bound no engine can
// beat, wall / bound, API calls per operation, completion-detection delays
// and peak memory.
//
//	go run ./bench -scenario all -timescale 0.1   # quick check
//	go run ./bench -scenario a -timescale 1       # the real shape
//	go run ./bench -scenario b -json -out b.json
//
// Scenarios: a. the seed's four flow logs, T in [3 s, 12 s]; b. 1,000 flow
// logs, T in [3 s, 12 s], throttle 25/s; c. a rerun with no changes of a
// program with 10,000 resources in state; d. destroy of 1,000 flow logs
// (as b); e. refresh of 1,000 flow logs, throttle 25/s; g. flow logs for
// a generated organisation (examples/org-flow-logs: 20 accounts x 4 regions
// x 12 VPCs, a tenth covered), 25/s in each account and region, then a
// rerun with no changes. -timescale scales
// the endpoint's latencies by the factor and divides its throttle's rate by
// it, so the shape is the same, faster; the engine's own constants (its
// 20 calls/s client limit, its 100 ms..2 s poll gaps) do not scale, so only
// timescale 1 measures the engine against the bound of issue 7.
// docs/benchmarks.md explains the bounds and holds results.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/athanor-iac/athanor"
)

// childEnv makes this program the engine side of scenarios c and f: it runs the
// scenario's program with its arguments and exits.
const (
	childEnv      = "ATHANOR_BENCH_CHILD"
	childCountEnv = "ATHANOR_BENCH_RESOURCES"
	// childProfileEnv, set by -cpuprofile, makes the child write a CPU
	// profile of scenario c's rerun there.
	childProfileEnv = "ATHANOR_BENCH_CPUPROFILE"
)

func main() {
	if os.Getenv(childEnv) == "c" {
		var n int
		fmt.Sscan(os.Getenv(childCountEnv), &n)
		cpu, mem := os.Getenv(childProfileEnv), os.Getenv(childMemProfileEnv)
		if cpu == "" && mem == "" {
			athanor.Run(appName, groupsProgram(n))
			return
		}
		// athanor.Run exits the process, so the profiles are written by a
		// run that ends here instead.
		code := withProfiles(cpu, mem, func() int {
			return athanor.Main(context.Background(), appName, os.Args[1:], os.Stdout, os.Stderr, groupsProgram(n))
		})
		os.Exit(code)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Report is the -json output.
type Report struct {
	Commit    string    `json:"commit"`
	GoVersion string    `json:"goVersion"`
	CPUs      int       `json:"cpus"`
	Started   time.Time `json:"started"`
	Results   []*Result `json:"results"`
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scen := fs.String("scenario", "all", "scenarios to run: all, or letters a..g (\"a\", \"bde\", \"c,f\")")
	ts := fs.Float64("timescale", 1, "multiply the endpoint's latencies by this and divide its throttle rate by it")
	jsonOut := fs.Bool("json", false, "print the results as JSON")
	outFile := fs.String("out", "", "also write the report to this file")
	flowLogs := fs.Int("flowlogs", 1000, "flow logs in scenarios b, d and e")
	resources := fs.Int("resources", 10000, "resources in state in scenarios c and f")
	seed := fs.Uint64("seed", 7, "the endpoint's random seed (latencies and identifiers), for repeatable runs")
	par := fs.Int("parallelism", 1000, "the programs' --parallelism")
	keep := fs.Bool("keep", false, "keep the temporary folder of state and endpoint data")
	verbose := fs.Bool("v", false, "print each run's output")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of scenario c's or f's engine (the child process) to this file")
	memProfile := fs.String("memprofile", "", "write memory profiles of scenario c's or f's engine (the child process): allocations to this file, the heap at its peak to this file + \".peak\"")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *ts <= 0 || *flowLogs < 2 || *resources < 1 || *par < 1 {
		fmt.Fprintln(stderr, "bench: -timescale must be positive, -flowlogs at least 2, -resources and -parallelism at least 1")
		return 2
	}
	which := strings.ReplaceAll(strings.ToLower(*scen), ",", "")
	if which == "all" {
		which = "abcdefg"
	}
	for _, r := range which {
		if r < 'a' || r > 'g' {
			fmt.Fprintf(stderr, "bench: unknown scenario %q; use a, b, c, d, e, f, g or all\n", r)
			return 2
		}
	}
	work, err := os.MkdirTemp("", "athanor-bench-")
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	if *keep {
		fmt.Fprintln(stderr, "bench: keeping", work)
	} else {
		defer os.RemoveAll(work)
	}
	setAWSEnv(work)
	if *cpuProfile != "" {
		abs, _ := filepath.Abs(*cpuProfile)
		os.Setenv(childProfileEnv, abs)
	}
	if *memProfile != "" {
		abs, _ := filepath.Abs(*memProfile)
		os.Setenv(childMemProfileEnv, abs)
	}
	self, _ := os.Executable()
	cfg := config{timescale: *ts, flowLogs: *flowLogs, resources: *resources, seed: *seed, parallelism: *par, workDir: work, self: self}
	rep := Report{Commit: commit(), GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), Started: time.Now().UTC()}
	fns := map[rune]func(config) (*Result, error){'a': scenarioA, 'b': scenarioB, 'c': scenarioC, 'd': scenarioD, 'e': scenarioE, 'f': scenarioF, 'g': scenarioG}
	code := 0
	for _, s := range which {
		fmt.Fprintf(stderr, "bench: scenario %c at timescale %g ...\n", s, *ts)
		res, err := fns[s](cfg)
		if err != nil {
			fmt.Fprintf(stderr, "bench: scenario %c: %v\n", s, err)
			code = 1
			continue
		}
		if res.ExitCode != 0 || *verbose {
			fmt.Fprintf(stderr, "--- scenario %c output (exit %d):\n%s\n", s, res.ExitCode, tail(res.Output, 40))
		}
		if res.ExitCode != 0 {
			code = 1
		}
		rep.Results = append(rep.Results, res)
		fmt.Fprintf(stderr, "bench: scenario %c: wall %.3f s, bound %.3f s, wall/bound %.3f\n", s, res.WallSeconds, res.Bound.Seconds, res.Ratio)
	}
	var text strings.Builder
	if *jsonOut {
		enc := json.NewEncoder(&text)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		writeText(&text, rep)
	}
	fmt.Fprint(stdout, text.String())
	if *outFile != "" {
		if err := os.WriteFile(*outFile, []byte(text.String()), 0o644); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
	}
	return code
}

// commit is the VCS revision the binary was built from, with "+dirty" when
// the tree had changes.
func commit() string {
	// go build stamps the revision; go run does not, so ask git.
	rev, dirty := buildVCS()
	if rev == "" {
		if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
			rev = strings.TrimSpace(string(out))
			st, _ := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output()
			dirty = len(strings.TrimSpace(string(st))) > 0
		}
	}
	if rev == "" {
		return "unknown"
	}
	if len(rev) > 7 {
		rev = rev[:7]
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}

func writeText(w io.Writer, rep Report) {
	fmt.Fprintf(w, "athanor %s, %s, %d CPUs\n\n", rep.Commit, rep.GoVersion, rep.CPUs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\ttimescale\twall s\tbound s\twall/bound\ttarget met\tcalls/op\tstatus/op\tthrottled\tdetect p50 s\tdetect p99 s\tfailed\tnot done\tRSS MB\theap MB\tengine RSS MB\t")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%g\t%.3f\t%.3f\t%.3f\t%v\t%.2f\t%.2f\t%d\t%.3f\t%.3f\t%d\t%d\t%s\t%s\t%s\t\n",
			r.Scenario, r.Timescale, r.WallSeconds, r.Bound.Seconds, r.Ratio, r.TargetMet, r.CallsPerOp, r.StatusCallsPerOp, r.Throttled,
			r.DetectP50, r.DetectP99, r.Failed, r.NotDone, mbOrDash(r.Memory.ProcessRSSMB), mbOrDash(r.Memory.GoHeapMB), mbOrDash(r.Memory.EngineRSSMB))
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, r := range rep.Results {
		fmt.Fprintf(w, "%s. %s (exit %d)\n", r.Scenario, r.Title, r.ExitCode)
		b := r.Bound
		fmt.Fprintf(w, "   bound %.3f s = max(chain %.3f s [%s], %d calls / %g rps = %.3f s); target: %s\n", b.Seconds, b.ChainSeconds, b.ChainSource, b.MinCalls, b.RPS, b.CallsSeconds, r.Target)
		fmt.Fprintf(w, "   calls %v (total %d, %d throttled); detection delay p50 %.3f s, p99 %.3f s, max %.3f s over %d requests\n",
			r.Calls, r.TotalCalls, r.Throttled, r.DetectP50, r.DetectP99, r.DetectMax, r.Detected)
		if t := r.Timeline; t != nil {
			fmt.Fprintf(w, "   timeline (s from start): first submit %.3f, last submit %.3f, last completion %.3f, last seen %.3f, end %.3f; mean T %.3f s\n",
				t.FirstSubmit, t.LastSubmit, t.LastComplete, t.LastSeen, r.WallSeconds, t.MeanT)
		}
		if r.Memory.ProcessRSSMB > 0 {
			fmt.Fprintf(w, "   memory: bench process peak RSS %.1f MB (endpoint + engine + harness), Go heap peak %.1f MB, Go runtime total %.1f MB\n",
				r.Memory.ProcessRSSMB, r.Memory.GoHeapMB, r.Memory.GoTotalMB)
		}
		if r.Memory.EngineRSSMB > 0 {
			fmt.Fprintf(w, "   memory: engine alone (child process) max RSS %.1f MB; its CPU time (user + system) %.3f s\n", r.Memory.EngineRSSMB, r.Memory.EngineCPUSeconds)
		}
		if rr := r.Rerun; rr != nil {
			fmt.Fprintf(w, "   rerun with no changes: %.3f s, exit %d, %d calls, reported no changes: %v\n", rr.WallSeconds, rr.ExitCode, rr.Calls, rr.NoChanges)
		}
		fmt.Fprintf(w, "   %d resources of the scenario's type on the endpoint afterwards; %d requests FAILED on the endpoint; %d resources not created/deleted\n", r.Left, r.Failed, r.NotDone)
		for _, n := range r.Notes {
			fmt.Fprintf(w, "   note: %s\n", n)
		}
	}
}

// withProfiles runs fn with the CPU profile (cpu) and the memory profiles
// (mem) asked for; an empty path asks for none.
func withProfiles(cpu, mem string, fn func() int) int {
	run := fn
	if cpu != "" {
		run = func() int { return profiled(cpu, fn) }
	}
	if mem != "" {
		return memProfiled(mem, run)
	}
	return run()
}

// profiled runs fn under the CPU profiler, writing the profile to path.
func profiled(path string, fn func() int) int {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return fn()
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return fn()
	}
	defer pprof.StopCPUProfile()
	return fn()
}

func mbOrDash(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}

func tail(s string, lines int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > lines {
		ls = append([]string{fmt.Sprintf("... (%d lines before)", len(ls)-lines)}, ls[len(ls)-lines:]...)
	}
	return strings.Join(ls, "\n")
}
