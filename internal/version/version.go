// Package version says which build of Athanor is running. It is the one
// place versions come from: `athanor version`, `athanor --version`, every
// program's --version, the version recorded in state locks, and the
// version `athanor new` writes into a new module's go.mod.
//
// Everything is read from the Go build information (debug.ReadBuildInfo),
// which `go install ...@v0.1.0` fills in. Release builds made from a
// checkout (scripts/release.sh) stamp the version and commit at link time
// instead, since a build from a checkout records no module version:
//
//	go build -trimpath -ldflags "-X github.com/athanor-iac/athanor/internal/version.stamped=v0.1.0 -X github.com/athanor-iac/athanor/internal/version.stampedCommit=$(git rev-parse HEAD)" ./cmd/athanor
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// ModulePath is Athanor's module path.
const ModulePath = "github.com/athanor-iac/athanor"

// Devel is the version of a build that has no module version: one made
// from a checkout without a release stamp.
const Devel = "(devel)"

// Set at link time by release builds; see the package documentation.
var (
	stamped       string
	stampedCommit string
)

// Info describes the running binary.
type Info struct {
	// Version is Athanor's module version (v0.1.0), or Devel.
	Version string
	// Replace is the directory or module Athanor is replaced by in the
	// main module's go.mod, for a program built against a checkout.
	Replace string
	// MainPath and MainVersion are the main module's, when the binary is
	// a program rather than the athanor command.
	MainPath, MainVersion string
	// Commit is the VCS revision the main module was built from, and
	// Modified whether the work tree had changes; both come from the
	// go command's VCS stamping (or the release stamp).
	Commit   string
	Modified bool
	// GoVersion is the Go toolchain that built the binary, Platform its
	// GOOS/GOARCH.
	GoVersion, Platform string
}

// Get returns the running binary's build information.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuildInfo(bi, stamped, stampedCommit)
}

// fromBuildInfo is Get without the process: bi may be nil (a binary built
// without module support).
func fromBuildInfo(bi *debug.BuildInfo, stampVersion, stampCommit string) Info {
	info := Info{Version: Devel, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi != nil {
		info.GoVersion = bi.GoVersion
		if bi.Main.Path == ModulePath {
			info.Version = nonEmpty(bi.Main.Version, Devel)
		} else {
			info.MainPath, info.MainVersion = bi.Main.Path, nonEmpty(bi.Main.Version, Devel)
			for _, d := range bi.Deps {
				if d.Path != ModulePath {
					continue
				}
				info.Version = d.Version
				if r := d.Replace; r != nil {
					info.Version, info.Replace = nonEmpty(r.Version, Devel), r.Path
				}
			}
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				info.Commit = s.Value
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	if stampVersion != "" && info.MainPath == "" {
		info.Version = stampVersion
	}
	if stampCommit != "" && info.MainPath == "" {
		info.Commit, info.Modified = stampCommit, false
	}
	return info
}

func nonEmpty(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

// String is the one-line form recorded in state locks: v0.1.0, or
// "(devel) 1461448abcde" when there is a commit.
func (i Info) String() string {
	s := i.Version
	if i.Commit != "" {
		s += " " + short(i.Commit)
		if i.Modified {
			s += "+modified"
		}
	}
	return s
}

// Report is what --version prints for the binary called name: the
// program's module (for a program), Athanor's version, the commit and the
// Go toolchain, one per line.
func (i Info) Report(name string) string {
	var b strings.Builder
	row := func(k, v string) { fmt.Fprintf(&b, "%-8s %s\n", k, v) }
	if i.MainPath != "" {
		row(name, i.MainVersion+", module "+i.MainPath)
	}
	athanor := i.Version
	if i.Replace != "" {
		athanor += ", replaced by " + i.Replace
	}
	row("athanor", athanor)
	commit := "unknown (not recorded in this build)"
	if i.Commit != "" {
		commit = i.Commit
		if i.Modified {
			commit += " (with uncommitted changes)"
		}
	}
	row("commit", commit)
	row("go", i.GoVersion+" "+i.Platform)
	return b.String()
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
