//go:build !windows && !(unix && !aix)

package state

import "os"

func syncDir(string) error { return nil }

func renameFile(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
