package localcc_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"

	"github.com/athanor-iac/athanor/localcc"
)

func TestParseRange(t *testing.T) {
	good := map[string]localcc.Range{
		"3s..12s":      {Min: 3 * time.Second, Max: 12 * time.Second},
		"200ms":        {Min: 200 * time.Millisecond, Max: 200 * time.Millisecond},
		"0":            {},
		"0..0":         {},
		" 1s .. 1.5s ": {Min: time.Second, Max: 1500 * time.Millisecond},
		"2m..2m":       {Min: 2 * time.Minute, Max: 2 * time.Minute},
		"0..1h":        {Max: time.Hour},
	}
	for in, want := range good {
		got, err := localcc.ParseRange(in)
		if err != nil || got != want {
			t.Errorf("ParseRange(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "3", "3s..", "..3s", "12s..3s", "-1s", "-2s..1s", "1s..2s..3s", "1s-2s", "1s...2s"} {
		if got, err := localcc.ParseRange(in); err == nil {
			t.Errorf("ParseRange(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseLatency(t *testing.T) {
	cases := []struct {
		in   string
		typ  string
		want localcc.Range
	}{
		{"AWS::EC2::FlowLog=3s..12s", "AWS::EC2::FlowLog", localcc.Range{Min: 3 * time.Second, Max: 12 * time.Second}},
		{"*=1s", "*", localcc.Range{Min: time.Second, Max: time.Second}},
		{"500ms", "*", localcc.Range{Min: 500 * time.Millisecond, Max: 500 * time.Millisecond}},
		{"AWS::S3::Bucket=0", "AWS::S3::Bucket", localcc.Range{}},
		{" AWS::Logs::LogGroup = 2s..4s", "AWS::Logs::LogGroup", localcc.Range{Min: 2 * time.Second, Max: 4 * time.Second}},
	}
	for _, tc := range cases {
		typ, got, err := localcc.ParseLatency(tc.in)
		if err != nil || typ != tc.typ || got != tc.want {
			t.Errorf("ParseLatency(%q) = %q, %v, %v; want %q, %v", tc.in, typ, got, err, tc.typ, tc.want)
		}
	}
	for _, in := range []string{"", "AWS::EC2::FlowLog=", "AWS::EC2::FlowLog=abc", "AWS::EC2::FlowLog=5s..1s", "=1s", " =1s", "AWS::EC2::FlowLog"} {
		if typ, got, err := localcc.ParseLatency(in); err == nil {
			t.Errorf("ParseLatency(%q) = %q, %v, want an error", in, typ, got)
		}
	}
}

// A per-type latency applies to that type only; the rest complete at the
// default.
func TestPerTypeLatency(t *testing.T) {
	tg := localTarget(t, localcc.Options{Latency: map[string]localcc.Range{flowLog: {Min: 10 * time.Second, Max: 10 * time.Second}}})
	fl := tg.create(t, flowLog, tg.cwlProps(), "")
	lg := tg.create(t, "AWS::Logs::LogGroup", map[string]any{"LogGroupName": "fast"}, "")
	tg.clock.Advance(localcc.DefaultLatency.Max)
	if ev := tg.status(t, aws.ToString(lg.RequestToken)); ev.OperationStatus != types.OperationStatusSuccess {
		t.Fatalf("log group after the default latency: %s", ev.OperationStatus)
	}
	tg.clock.Advance(9*time.Second - localcc.DefaultLatency.Max)
	if ev := tg.status(t, aws.ToString(fl.RequestToken)); ev.OperationStatus != types.OperationStatusInProgress {
		t.Fatalf("flow log after 9 s: %s", ev.OperationStatus)
	}
	tg.clock.Advance(time.Second - time.Millisecond)
	if ev := tg.status(t, aws.ToString(fl.RequestToken)); ev.OperationStatus != types.OperationStatusInProgress {
		t.Fatalf("flow log after 9.999 s: %s", ev.OperationStatus)
	}
	tg.clock.Advance(time.Millisecond)
	if ev := tg.status(t, aws.ToString(fl.RequestToken)); ev.OperationStatus != types.OperationStatusSuccess {
		t.Fatalf("flow log after 10 s: %s %s", ev.OperationStatus, aws.ToString(ev.StatusMessage))
	}
}

// Latencies drawn from a range fall inside it, and a "*" entry sets the
// default for every type without its own.
func TestLatencyRange(t *testing.T) {
	tg := localTarget(t, localcc.Options{Latency: map[string]localcc.Range{"*": {Min: 3 * time.Second, Max: 12 * time.Second}}})
	var evs []*types.ProgressEvent
	for i := 0; i < 20; i++ {
		evs = append(evs, tg.create(t, "AWS::Logs::LogGroup", map[string]any{"LogGroupName": fmt.Sprintf("r-%d", i)}, ""))
	}
	done := func() int {
		n := 0
		for _, ev := range evs {
			if tg.status(t, aws.ToString(ev.RequestToken)).OperationStatus == types.OperationStatusSuccess {
				n++
			}
		}
		return n
	}
	tg.clock.Advance(3*time.Second - time.Millisecond)
	if n := done(); n != 0 {
		t.Fatalf("%d done before 3 s", n)
	}
	tg.clock.Advance(4 * time.Second)
	if n := done(); n == 0 || n == len(evs) {
		t.Fatalf("%d of %d done at 7 s; latencies are not spread over 3..12 s", n, len(evs))
	}
	tg.clock.Advance(5*time.Second + time.Millisecond)
	if n := done(); n != len(evs) {
		t.Fatalf("%d of %d done at 12 s", n, len(evs))
	}
}
