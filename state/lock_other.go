//go:build !windows && !(unix && !aix)

package state

import (
	"fmt"
	"os"
	"runtime"
)

// Platforms without flock or LockFileEx cannot use the file backend's lock;
// everything else works, so a read-only inspection of state still can.
func tryLockFile(*os.File) error {
	return fmt.Errorf("the file state backend cannot lock on %s; use another backend", runtime.GOOS)
}

func unlockFile(*os.File) error { return nil }

func syncDir(string) error { return nil }

func renameFile(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
