package runner

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/internal/engine"
)

// On a terminal the status line shows the operations in flight and a
// progress bar; log lines clear it first, and carry no timestamp.
func TestStatusLineOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	r := &reporter{w: &buf, tty: true, counts: map[engine.Action]int{}, inflight: map[string]inflightOp{}, total: 2}
	r.event(engine.Event{LogicalID: "vpcFlowLog", Type: "AWS::EC2::FlowLog", Action: engine.Create, Phase: "start"})
	r.event(engine.Event{LogicalID: "other", Type: "AWS::EC2::FlowLog", Action: engine.Create, Phase: "done", Identifier: "fl-1", Elapsed: time.Second})
	buf.Reset()
	r.mu.Lock()
	r.drawStatus()
	r.mu.Unlock()
	status := buf.String()
	if !strings.HasPrefix(status, "\r\x1b[K") || !strings.Contains(status, "██████████░░░░░░░░░░ 1/2") || !strings.Contains(status, "vpcFlowLog creating") {
		t.Fatalf("status line %q", status)
	}
	buf.Reset()
	r.line("hello")
	if got := buf.String(); got != "\r\x1b[Khello\n" {
		t.Fatalf("a log line after the status line: %q", got)
	}
}

// Off a terminal there is no status line and every line has a timestamp;
// NO_COLOR (or no terminal) means no escape codes.
func TestPlainOutputAndNoColor(t *testing.T) {
	var buf bytes.Buffer
	r := newReporter(&buf, false, false)
	stop := r.live(3)
	r.event(engine.Event{LogicalID: "x", Type: "AWS::Logs::LogGroup", Action: engine.Delete, Phase: "done", Identifier: "g", Elapsed: time.Second})
	stop()
	out := buf.String()
	if strings.Contains(out, "\x1b[") || strings.Contains(out, "░") {
		t.Fatalf("escape codes or a status line off a terminal: %q", out)
	}
	if len(out) < 13 || out[2] != ':' || out[5] != ':' || out[8] != '.' {
		t.Fatalf("no timestamp: %q", out)
	}
	t.Setenv("TERM", "xterm")
	if !useColor(true) || useColor(false) {
		t.Fatal("colour: want it on a terminal only")
	}
	t.Setenv("NO_COLOR", "1")
	if useColor(true) {
		t.Fatal("colour on a terminal with NO_COLOR set")
	}
	if got := (&reporter{tty: true, color: true}).paint("32", "+"); got != "\x1b[32m+\x1b[0m" {
		t.Fatalf("colour on a terminal: %q", got)
	}
}
