//go:build !windows && !(unix && !aix)

package filelock

import (
	"fmt"
	"os"
	"runtime"
)

// Platforms without flock or LockFileEx cannot lock a file; callers say
// what to use instead.
func tryLock(*os.File) error {
	return fmt.Errorf("cannot lock files on %s", runtime.GOOS)
}

func unlock(*os.File) error { return nil }
