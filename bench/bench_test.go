package main

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestScenarioASmoke keeps the harness from rotting: scenario a at a
// hundredth of its time completes and reports sane fields. It asserts no
// performance target; those are measured with the command, not in tests.
func TestScenarioASmoke(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run([]string{"-scenario", "a", "-timescale", "0.01", "-json"}, &out, &errs); code != 0 {
		t.Fatalf("exit %d\n%s", code, errs.String())
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out.String())
	}
	if len(rep.Results) != 1 {
		t.Fatalf("%d results, want 1", len(rep.Results))
	}
	r := rep.Results[0]
	switch {
	case r.Scenario != "a" || r.ExitCode != 0 || r.Left != 4 || r.Failed != 0:
		t.Errorf("run did not create the four flow logs: %+v", r)
	case r.WallSeconds <= 0 || r.Bound.Seconds <= 0 || r.Ratio <= 0:
		t.Errorf("wall %v, bound %v, ratio %v: want all positive", r.WallSeconds, r.Bound.Seconds, r.Ratio)
	case r.Bound.ChainSource != "endpoint" || r.Bound.ChainSeconds > 0.12:
		t.Errorf("bound chain %v s from %q: want the drawn latencies, at most 0.12 s", r.Bound.ChainSeconds, r.Bound.ChainSource)
	case r.Calls["CreateResource"] != 4 || r.Detected != 4:
		t.Errorf("calls %v, %d requests detected: want 4 creates, 4 detected", r.Calls, r.Detected)
	case r.Memory.GoHeapMB <= 0:
		t.Errorf("no heap measured: %+v", r.Memory)
	}
}
