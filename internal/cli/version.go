package cli

import "runtime/debug"

// version is set at link time for releases:
//
//	go build -ldflags "-X github.com/athanor-iac/athanor/internal/cli.version=v0.1.0" ./cmd/athanor
var version string

// Version is the version `athanor --version` prints: the link-time version
// if set, else the module version Go recorded (set by `go install
// ...@vX`), else "(devel)" for a build from a checkout.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
