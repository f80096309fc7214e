package cli

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestBinaryStopsOnSIGINT builds the real athanor binary and checks that
// SIGINT stops `athanor local` cleanly: the one path in-process tests cannot
// reach, since they cancel a context instead of sending a signal.
func TestBinaryStopsOnSIGINT(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("os.Process.Signal cannot send os.Interrupt on Windows")
	}
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "athanor")
	build := exec.Command("go", "build", "-o", bin, "github.com/athanor-iac/athanor/cmd/athanor")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(t.TempDir(), "data.json")
	cmd := exec.Command(bin, "local", "--addr", "127.0.0.1:0", "--data", data)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	lines := make(chan string, 8)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		done <- cmd.Wait() // after stdout is drained, as Wait requires
	}()
	select {
	case l := <-lines:
		if !strings.HasPrefix(l, "listening on http://127.0.0.1:") || strings.HasSuffix(l, ":0") {
			t.Fatalf("first line %q", l)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("no listening line; stderr: %s", stderr.String())
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	var rest []string
	for l := range lines {
		rest = append(rest, l)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGINT: %v; stderr: %s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("did not exit within 10s of SIGINT")
	}
	if last := rest[len(rest)-1]; last != "stopped; data saved to "+data {
		t.Errorf("last line %q", last)
	}
	if _, err := os.Stat(data); err != nil {
		t.Errorf("data file: %v", err)
	}
}
