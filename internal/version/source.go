package version

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
)

// SourceDir returns the checkout of Athanor this binary was compiled
// from, or "" when there is none: a release build (compiled with
// -trimpath, so no source paths are recorded), a build from the module
// cache (go install ...@version), or a checkout that has since moved.
//
// It is found from the path of this file as the compiler recorded it, so
// it needs no flag or environment; `athanor new` uses it to point a new
// module at the checkout, which works offline.
func SourceDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	// file is <root>/internal/version/source.go.
	root := filepath.Dir(filepath.Dir(filepath.Dir(filepath.FromSlash(file))))
	if strings.Contains(filepath.Base(root), "@") {
		return "" // the module cache: <modcache>/github.com/athanor-iac/athanor@v0.1.0
	}
	if modulePathOf(filepath.Join(root, "go.mod")) != ModulePath {
		return ""
	}
	return root
}

// modulePathOf returns the module path a go.mod file declares, or "".
func modulePathOf(gomod string) string {
	f, err := os.Open(gomod)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// releaseRE matches module versions the go command can download: semantic
// versions, pseudo-versions included, without build metadata (+dirty).
var releaseRE = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)

// IsModuleVersion reports whether v is a version another module can
// require: not Devel, not a build of uncommitted changes.
func IsModuleVersion(v string) bool {
	return releaseRE.MatchString(v)
}
