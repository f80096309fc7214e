package version

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func settings(kv ...string) []debug.BuildSetting {
	var s []debug.BuildSetting
	for i := 0; i < len(kv); i += 2 {
		s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
	}
	return s
}

func TestFromBuildInfo(t *testing.T) {
	for _, tc := range []struct {
		name   string
		bi     *debug.BuildInfo
		stamp  [2]string
		want   Info
		report []string // lines of Report("prog")
	}{{
		name:   "go install athanor@v0.1.0",
		bi:     &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: ModulePath, Version: "v0.1.0"}},
		want:   Info{Version: "v0.1.0", GoVersion: "go1.26.8"},
		report: []string{"athanor  v0.1.0", "commit   unknown (not recorded in this build)", "go       go1.26.8 "},
	}, {
		name:   "go build in a checkout with changes",
		bi:     &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: ModulePath, Version: "(devel)"}, Settings: settings("vcs.revision", "1461448abcdef0123", "vcs.modified", "true")},
		want:   Info{Version: Devel, Commit: "1461448abcdef0123", Modified: true, GoVersion: "go1.26.8"},
		report: []string{"athanor  (devel)", "commit   1461448abcdef0123 (with uncommitted changes)"},
	}, {
		name:   "release build stamped at link time",
		bi:     &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: ModulePath}},
		stamp:  [2]string{"v0.2.0", "abcdef"},
		want:   Info{Version: "v0.2.0", Commit: "abcdef", GoVersion: "go1.26.8"},
		report: []string{"athanor  v0.2.0", "commit   abcdef"},
	}, {
		name: "a program requiring a release",
		bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "example.com/infra", Version: "v1.2.3"},
			Deps: []*debug.Module{{Path: "github.com/spf13/cobra", Version: "v1.10.2"}, {Path: ModulePath, Version: "v0.1.0"}}},
		stamp:  [2]string{"v9.9.9", "ignored: the stamp is the athanor command's"},
		want:   Info{Version: "v0.1.0", MainPath: "example.com/infra", MainVersion: "v1.2.3", GoVersion: "go1.26.8"},
		report: []string{"prog     v1.2.3, module example.com/infra", "athanor  v0.1.0"},
	}, {
		name: "a program built against a checkout",
		bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "infra"},
			Deps: []*debug.Module{{Path: ModulePath, Version: "v0.0.0-00010101000000-000000000000", Replace: &debug.Module{Path: "/src/athanor"}}}},
		want:   Info{Version: Devel, Replace: "/src/athanor", MainPath: "infra", MainVersion: Devel, GoVersion: "go1.26.8"},
		report: []string{"prog     (devel), module infra", "athanor  (devel), replaced by /src/athanor"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := fromBuildInfo(tc.bi, tc.stamp[0], tc.stamp[1])
			tc.want.Platform = got.Platform
			if got != tc.want {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
			rep := got.Report("prog")
			for _, l := range tc.report {
				if !strings.Contains(rep, l) {
					t.Errorf("report lacks %q:\n%s", l, rep)
				}
			}
		})
	}
}

func TestStringForLocks(t *testing.T) {
	if s := (Info{Version: "v0.1.0"}).String(); s != "v0.1.0" {
		t.Errorf("%q", s)
	}
	if s := (Info{Version: Devel, Commit: "1461448abcdef0123", Modified: true}).String(); s != "(devel) 1461448abcde+modified" {
		t.Errorf("%q", s)
	}
}

func TestIsModuleVersion(t *testing.T) {
	for v, want := range map[string]bool{
		"v0.1.0": true, "v1.2.3-rc.1": true, "v0.0.0-20261129223000-1461448abcde": true,
		Devel: false, "": false, "0.1.0": false, "v0.1.0+dirty": false, "v0.0.0-20261129223000-1461448abcde+dirty": false, "v01.0.0": false,
	} {
		if got := IsModuleVersion(v); got != want {
			t.Errorf("IsModuleVersion(%q) = %v", v, got)
		}
	}
}

// The test binary is compiled from this checkout without -trimpath, as
// go run ./cmd/athanor is: SourceDir finds the checkout.
func TestSourceDirIsThisCheckout(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Dir(filepath.Dir(wd))
	if got := SourceDir(); got != want {
		t.Fatalf("SourceDir() = %q, want %q", got, want)
	}
	if modulePathOf(filepath.Join(want, "go.mod")) != ModulePath {
		t.Fatal("the checkout's go.mod does not declare ModulePath")
	}
}
