package state

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// DefaultURL is where state lives when the user names no backend: a
// directory .athanor beside the program.
const DefaultURL = "file://.athanor"

// OpenFunc opens the store of one app's stage at u, for a backend registered
// with Register. Open validates app and stage before calling it. Stages calls
// it with an empty stage; the Store returned then only needs to implement
// StageLister. The Store must also implement MetaStore: Open wraps it in the
// lineage and serial bookkeeping that every backend shares.
type OpenFunc func(ctx context.Context, u *url.URL, app, stage string) (Store, error)

// The scheme registry is the package's only mutable global: backends register
// themselves from init so that a blank import is enough to make a scheme
// available, in the database/sql style.
var (
	registryMu sync.RWMutex
	registry   = map[string]backend{}
)

type backend struct {
	open OpenFunc
	form string
}

// Register makes a backend available under a URL scheme (s3, postgres, ...).
// form is how its URLs are written ("s3://BUCKET/PREFIX"), shown when a
// state URL is refused so that the user sees what would work. It panics if
// scheme or form is empty, open is nil, or the scheme is already
// registered, because that is a programming error found at start-up.
func Register(scheme, form string, open OpenFunc) {
	scheme = strings.ToLower(scheme)
	if scheme == "" || form == "" || open == nil {
		panic("state: Register needs a scheme, a form and an OpenFunc")
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[scheme]; dup {
		panic(fmt.Sprintf("state: Register called twice for scheme %q", scheme))
	}
	registry[scheme] = backend{open: open, form: form}
}

// Forms returns how the URLs of the registered backends are written, the
// file backend's first, for help and error messages.
func Forms() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	var forms []string
	seen := map[string]bool{}
	for _, scheme := range append([]string{"file"}, schemesLocked()...) {
		if b, ok := registry[scheme]; ok && !seen[b.form] {
			seen[b.form] = true
			forms = append(forms, b.form)
		}
	}
	return forms
}

// URLError is a state URL that names no store: an unknown scheme, or a URL
// written wrongly (s3:/bucket with one slash). Runs refuse it before
// anything is read or written, as a usage error.
type URLError struct {
	URL    string // with any password removed; empty when it cannot be parsed
	Reason string
}

func (e *URLError) Error() string {
	url := "state URL"
	if e.URL != "" {
		url += " " + e.URL
	}
	return fmt.Sprintf("%s: %s. Accepted forms: %s", url, e.Reason, strings.Join(Forms(), "; "))
}

// CheckURL checks rawURL as Open reads it and returns it as runs show and
// pass it on: a file store as an absolute path, so that a run started from
// another folder is seen to use another state, and any other URL as given.
// A *URLError says what is wrong.
func CheckURL(rawURL string) (string, error) {
	u, err := parseURL(rawURL)
	if err != nil {
		return "", err
	}
	if _, ok := lookup(u.Scheme); !ok {
		return "", unknownScheme(rawURL, u.Scheme)
	}
	if u.Scheme != "file" {
		return rawURL, nil
	}
	root, err := fileRoot(u)
	if err != nil {
		return "", &URLError{URL: Redact(rawURL), Reason: err.Error()}
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("state folder %s: %w", root, err)
	}
	return abs, nil
}

func lookup(scheme string) (backend, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	b, ok := registry[scheme]
	return b, ok
}

func unknownScheme(rawURL, scheme string) error {
	if pkg, ok := backendPackages[scheme]; ok {
		return &URLError{URL: Redact(rawURL), Reason: fmt.Sprintf("the %s backend is not linked into this program: add import _ %q to it (the athanor command links every backend)", scheme, pkg)}
	}
	return &URLError{URL: Redact(rawURL), Reason: fmt.Sprintf("unknown scheme %q (a folder whose name has a colon is written ./NAME)", scheme)}
}

// backendPackages are the backends of this module by scheme, with the
// package whose import registers each: a program links only the backends it
// imports, and one that names another is told which import line to add.
var backendPackages = map[string]string{
	"s3":         "github.com/athanor-iac/athanor/state/s3store",
	"postgres":   "github.com/athanor-iac/athanor/state/pgstore",
	"postgresql": "github.com/athanor-iac/athanor/state/pgstore",
}

// Schemes returns the registered URL schemes, sorted, for help and error
// messages.
func Schemes() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return schemesLocked()
}

func schemesLocked() []string {
	s := make([]string, 0, len(registry))
	for k := range registry {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// Open opens the store of app's stage at rawURL. rawURL is either a URL with a
// registered scheme ("file://.athanor", "file:///var/lib/athanor") or a plain
// file path (".athanor", `C:\athanor`), which means the file backend.
func Open(ctx context.Context, rawURL, app, stage string) (Store, error) {
	if err := validateName("stage", stage); err != nil {
		return nil, err
	}
	m, err := open(ctx, rawURL, app, stage)
	if err != nil {
		return nil, err // not a nil *managed in a non-nil Store
	}
	return m, nil
}

// Stages returns the names of app's stages that have state at rawURL, sorted.
// The backend must implement StageLister.
func Stages(ctx context.Context, rawURL, app string) ([]string, error) {
	s, err := open(ctx, rawURL, app, "")
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Stages(ctx)
}

// ReadLock returns who holds the lock of app's stage at rawURL and whether it
// is held now, for `athanor state` to show. If the lock is free but a previous
// holder ended without unlocking, it returns that holder's info and false.
// The backend must implement LockReader.
func ReadLock(ctx context.Context, rawURL, app, stage string) (LockInfo, bool, error) {
	if err := validateName("stage", stage); err != nil {
		return LockInfo{}, false, err
	}
	s, err := open(ctx, rawURL, app, stage)
	if err != nil {
		return LockInfo{}, false, err
	}
	defer s.Close()
	return s.ReadLock(ctx)
}

// ForceUnlock breaks the lock of app's stage at rawURL, for `athanor state
// unlock` after a run died in a way the backend cannot detect by itself. It
// returns the info of the holder it removed. The backend must implement
// ForceUnlocker.
func ForceUnlock(ctx context.Context, rawURL, app, stage string) (LockInfo, error) {
	if err := validateName("stage", stage); err != nil {
		return LockInfo{}, err
	}
	s, err := open(ctx, rawURL, app, stage)
	if err != nil {
		return LockInfo{}, err
	}
	defer s.Close()
	return s.ForceUnlock(ctx)
}

func open(ctx context.Context, rawURL, app, stage string) (*managed, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := validateName("app", app); err != nil {
		return nil, err
	}
	u, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	b, ok := lookup(u.Scheme)
	if !ok {
		return nil, unknownScheme(rawURL, u.Scheme)
	}
	s, err := b.open(ctx, u, app, stage)
	var se *StoreError
	if errors.As(err, &se) {
		return nil, err // one line that says it all
	}
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", Redact(rawURL), err)
	}
	return manage(s, stage)
}

// schemePrefix matches what starts like a URL without "://": a scheme of
// two or more characters and a colon. One letter is a Windows drive (C:\x).
var schemePrefix = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]+):(.*)$`)

// parseURL treats anything without "://" as a file path, so that Windows
// paths such as C:\x are not mistaken for a URL with scheme "c", except
// what starts with a scheme and a colon: file:PATH is a file path, and
// anything else (s3:/bucket, with one slash) is refused rather than taken
// for a folder named "s3:".
func parseURL(rawURL string) (*url.URL, error) {
	if rawURL == "" {
		return nil, fmt.Errorf("empty state URL (the default is %s)", DefaultURL)
	}
	if !strings.Contains(rawURL, "://") {
		m := schemePrefix.FindStringSubmatch(rawURL)
		if m == nil {
			return &url.URL{Scheme: "file", Path: rawURL}, nil
		}
		scheme, rest := strings.ToLower(m[1]), m[2]
		if scheme == "file" {
			return &url.URL{Scheme: "file", Path: rest}, nil
		}
		if _, ok := lookup(scheme); !ok {
			return nil, unknownScheme(rawURL, scheme)
		}
		return nil, &URLError{URL: Redact(rawURL), Reason: fmt.Sprintf("%s URLs start with %s:// (did you mean %s://%s?)", scheme, scheme, scheme, strings.TrimLeft(rest, "/"))}
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error repeats the URL, which may hold a password.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &URLError{Reason: err.Error()}
	}
	u.Scheme = strings.ToLower(u.Scheme)
	return u, nil
}

// Redact drops a password from a URL before it is printed or goes into an
// error message.
func Redact(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.User != nil {
		return u.Redacted()
	}
	return rawURL
}
