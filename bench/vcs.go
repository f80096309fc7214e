package main

import "runtime/debug"

// buildVCS returns the VCS revision and whether the tree was modified, as
// the Go toolchain stamped them into the binary.
func buildVCS() (rev string, dirty bool) {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "", false
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	return rev, dirty
}
