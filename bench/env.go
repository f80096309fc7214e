package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/state"
)

// appName and stage are what every benchmark program runs as.
const (
	appName = "bench"
	stage   = "bench"
)

// setAWSEnv points the AWS SDK at dummy credentials and away from the
// user's configuration, so that nothing outside the benchmark is read.
func setAWSEnv(dir string) {
	os.Setenv("AWS_ACCESS_KEY_ID", "AKIDBENCH")
	os.Setenv("AWS_SECRET_ACCESS_KEY", "bench")
	os.Setenv("AWS_REGION", "us-east-1")
	os.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "no-aws-config"))
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "no-aws-credentials"))
	os.Unsetenv("AWS_PROFILE")
	os.Unsetenv("AWS_ENDPOINT_URL")
	os.Unsetenv("AWS_ENDPOINT_URL_CLOUDCONTROL")
	os.Unsetenv("ATHANOR_STATE")
	os.Unsetenv("ATHANOR_STAGE")
	os.Unsetenv("ATHANOR_OPERATION_TIMEOUT")
}

// endpoint is one scenario's local Cloud Control endpoint, with a data file
// when the scenario needs the drawn latencies afterwards.
type endpoint struct {
	srv      *localcc.Server
	dataFile string
}

func startEndpoint(opts localcc.Options) (*endpoint, error) {
	srv, err := localcc.Start(opts, "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return &endpoint{srv: srv, dataFile: opts.DataFile}, nil
}

func (e *endpoint) close() { e.srv.Close() }

// requestRecord is the part of a request the endpoint's data file keeps
// that the bound needs: when it was submitted and when it completed.
type requestRecord struct {
	Operation  string    `json:"operation"`
	TypeName   string    `json:"typeName"`
	Account    string    `json:"account"`
	Region     string    `json:"region"`
	Status     string    `json:"status"`
	EventTime  time.Time `json:"eventTime"`
	CompleteAt time.Time `json:"completeAt"`
	FinishedAt time.Time `json:"finishedAt"`
	SeenAt     time.Time `json:"seenAt"`
}

// requests saves the endpoint's data file and returns every mutation
// request it holds. The data file is the only place the endpoint exposes
// the latency it drew for each request (completeAt - eventTime).
func (e *endpoint) requests() ([]requestRecord, error) {
	if e.dataFile == "" {
		return nil, nil
	}
	if err := e.srv.Save(); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(e.dataFile)
	if err != nil {
		return nil, err
	}
	var snap struct {
		Requests []requestRecord `json:"requests"`
	}
	if err := json.Unmarshal(data, &snap); err != nil {
		return nil, fmt.Errorf("read endpoint data file: %w", err)
	}
	return snap.Requests, nil
}

// runProgram runs one command of a program through athanor.Main against
// the endpoint and returns the exit code, the output and the wall time.
func runProgram(url, stateDir string, parallelism int, command []string, fn func(*athanor.App) error) (int, string, time.Duration) {
	var out bytes.Buffer
	args := append(append([]string(nil), command...), "--endpoint", url, "--state", stateDir, "--stage", stage, "--parallelism", strconv.Itoa(parallelism))
	if command[0] == "up" || command[0] == "destroy" {
		args = append(args, "--yes") // no terminal to confirm on
	}
	start := time.Now()
	code := athanor.Main(context.Background(), appName, args, &out, &out, fn)
	return code, out.String(), time.Since(start)
}

// memSampler follows the Go heap of this process while a scenario runs.
// runtime/metrics reads are cheap (no stop-the-world), so a 10 ms period
// costs nothing measurable.
type memSampler struct {
	stop      chan struct{}
	done      chan struct{}
	heapPeak  uint64
	totalPeak uint64
}

func startMemSampler() *memSampler {
	// Forget the process's peak RSS so far (Linux: writing 5 to clear_refs
	// resets VmHWM), so that VmHWM afterwards is this scenario's peak.
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	m := &memSampler{stop: make(chan struct{}), done: make(chan struct{})}
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}}
	go func() {
		defer close(m.done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(samples)
			m.heapPeak = max(m.heapPeak, samples[0].Value.Uint64())
			m.totalPeak = max(m.totalPeak, samples[1].Value.Uint64())
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *memSampler) finish() (heapMB, goTotalMB, rssMB float64) {
	close(m.stop)
	<-m.done
	return mb(m.heapPeak), mb(m.totalPeak), vmHWM()
}

func mb(b uint64) float64 { return math.Round(float64(b)/(1<<20)*10) / 10 }

// vmHWM is this process's peak resident set in MB (since the last reset),
// or 0 where /proc is not there.
func vmHWM() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return math.Round(kb/1024*10) / 10
		}
	}
	return 0
}

// seedState writes n state records cloned from templates (records the
// engine itself wrote for the first items), so that a scenario can start
// with thousands of resources in state without creating them through a
// client that is limited to 20 calls a second. subst(i) gives the string
// replacements that turn template i%len(templates) into record i.
// It returns the records written, for the endpoint's fixtures.
func seedState(stateDir string, templates []state.Record, n int, subst func(i int) []string) ([]state.Record, error) {
	ctx := context.Background()
	store, err := state.Open(ctx, stateDir, appName, stage)
	if err != nil {
		return nil, err
	}
	resDir := filepath.Join(stateDir, appName, stage, "resources")
	recs := make([]state.Record, 0, n)
	for i := range n {
		tmpl := templates[i%len(templates)]
		body, err := json.Marshal(tmpl)
		if err != nil {
			return nil, err
		}
		text := strings.NewReplacer(subst(i)...).Replace(string(body))
		var r state.Record
		if err := json.Unmarshal([]byte(text), &r); err != nil {
			return nil, err
		}
		if i == 0 {
			// The store creates the stage's folders, durably.
			if err := store.Put(ctx, r); err != nil {
				return nil, err
			}
		} else {
			data, err := state.EncodeRecord(r)
			if err != nil {
				return nil, err
			}
			// Lower-case logical IDs are their own file names.
			if err := os.WriteFile(filepath.Join(resDir, r.LogicalID+".json"), data, 0o600); err != nil {
				return nil, err
			}
		}
		recs = append(recs, r)
	}
	got, err := store.Load(ctx)
	if err != nil {
		return nil, err
	}
	if len(got) != n {
		return nil, fmt.Errorf("seeded %d records, the store loads %d", n, len(got))
	}
	return recs, nil
}

// loadTemplates returns the records of a state folder by logical ID.
func loadTemplates(stateDir string, ids ...string) ([]state.Record, error) {
	store, err := state.Open(context.Background(), stateDir, appName, stage)
	if err != nil {
		return nil, err
	}
	recs, err := store.Load(context.Background())
	if err != nil {
		return nil, err
	}
	by := map[string]state.Record{}
	for _, r := range recs {
		by[r.LogicalID] = r
	}
	var out []state.Record
	for _, id := range ids {
		r, ok := by[id]
		if !ok || r.Identifier == "" {
			return nil, fmt.Errorf("template run left no record for %s", id)
		}
		out = append(out, r)
	}
	return out, nil
}

func secs(d time.Duration) float64 { return math.Round(d.Seconds()*1000) / 1000 }
