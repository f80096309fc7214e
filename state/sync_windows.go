//go:build windows

package state

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// syncDir does nothing: Windows cannot open a directory for FlushFileBuffers
// through os.Open, and NTFS journals renames itself.
func syncDir(string) error { return nil }

// renameFile retries briefly when the target is open in another process
// (a concurrent Load, a virus scanner), which makes MoveFileEx fail on
// Windows where it would succeed on Unix.
func renameFile(oldpath, newpath string) error {
	var err error
	for delay := 5 * time.Millisecond; delay < 2*time.Second; delay *= 2 {
		err = os.Rename(oldpath, newpath)
		if err == nil || !errors.Is(err, windows.ERROR_ACCESS_DENIED) && !errors.Is(err, windows.ERROR_SHARING_VIOLATION) {
			return err
		}
		time.Sleep(delay)
	}
	return err
}
