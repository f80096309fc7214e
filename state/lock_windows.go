//go:build windows

package state

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/windows"
)

// Windows byte-range locks are mandatory: while held they block reads of the
// range by other handles. Locking one byte far beyond the end of the file
// leaves the holder's LockInfo readable, as SQLite does with its lock bytes.
const lockOffsetHigh = 1 << 30 // byte offset 1<<62

// tryLockFile takes an exclusive LockFileEx lock on f without waiting.
// Windows releases it when the handle is closed or the process exits.
func tryLockFile(f *os.File) error {
	ol := &windows.Overlapped{OffsetHigh: lockOffsetHigh}
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, windows.ERROR_LOCK_VIOLATION):
		return fmt.Errorf("%w: %w", errLocked, err)
	default:
		return fmt.Errorf("LockFileEx %s: %w", f.Name(), err)
	}
}

func unlockFile(f *os.File) error {
	ol := &windows.Overlapped{OffsetHigh: lockOffsetHigh}
	if err := windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, ol); err != nil {
		return fmt.Errorf("unlock %s: %w", f.Name(), err)
	}
	return nil
}

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
