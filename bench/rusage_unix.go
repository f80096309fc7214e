//go:build unix

package main

import (
	"os"
	"runtime"
	"syscall"
)

// maxRSSMB is a finished child's peak resident memory in MB.
func maxRSSMB(ps *os.ProcessState) (float64, bool) {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, false
	}
	if runtime.GOOS == "darwin" {
		return float64(ru.Maxrss) / (1 << 20), true // bytes on macOS
	}
	return float64(ru.Maxrss) / 1024, true // kB on Linux and the BSDs
}
