package state

// CrashFileLock ends a file lock the way a killed process does: the OS lock
// goes, the holder's info stays. For the conformance suite's Crash hook.
func CrashFileLock(u Unlocker) error { return u.(*fileLock).l.Crash() }

// UnlinkedScheme is the error of a URL whose backend the program did not
// import, and BackendPackages the import each backend of this module needs,
// for the registry's tests (whose binary imports them all).
var (
	UnlinkedScheme  = unknownScheme
	BackendPackages = backendPackages
)
