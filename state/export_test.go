package state

// CrashFileLock ends a file lock the way a killed process does: the OS lock
// goes, the holder's info stays. For the conformance suite's Crash hook.
func CrashFileLock(u Unlocker) error { return u.(*fileLock).l.Crash() }
