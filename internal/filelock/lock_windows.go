//go:build windows

package filelock

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// Windows byte-range locks are mandatory: while held they block reads of the
// range by other handles. Locking one byte far beyond the end of the file
// leaves the holder's content readable, as SQLite does with its lock bytes.
const lockOffsetHigh = 1 << 30 // byte offset 1<<62

// tryLock takes an exclusive LockFileEx lock on f without waiting.
// Windows releases it when the handle is closed or the process exits.
func tryLock(f *os.File) error {
	ol := &windows.Overlapped{OffsetHigh: lockOffsetHigh}
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, windows.ERROR_LOCK_VIOLATION):
		return fmt.Errorf("%w: %w", ErrLocked, err)
	default:
		return fmt.Errorf("LockFileEx %s: %w", f.Name(), err)
	}
}

func unlock(f *os.File) error {
	ol := &windows.Overlapped{OffsetHigh: lockOffsetHigh}
	if err := windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, ol); err != nil {
		return fmt.Errorf("unlock %s: %w", f.Name(), err)
	}
	return nil
}
