package state

import (
	"context"
	"errors"
	"fmt"
	"net/url"
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
	registry   = map[string]OpenFunc{}
)

// Register makes a backend available under a URL scheme (s3, postgres, ...).
// It panics if scheme is empty, open is nil, or the scheme is already
// registered, because that is a programming error found at start-up.
func Register(scheme string, open OpenFunc) {
	scheme = strings.ToLower(scheme)
	if scheme == "" || open == nil {
		panic("state: Register needs a scheme and an OpenFunc")
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[scheme]; dup {
		panic(fmt.Sprintf("state: Register called twice for scheme %q", scheme))
	}
	registry[scheme] = open
}

// Schemes returns the registered URL schemes, sorted, for help and error
// messages.
func Schemes() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
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
	registryMu.RLock()
	fn := registry[u.Scheme]
	registryMu.RUnlock()
	if fn == nil {
		return nil, fmt.Errorf("state URL %s: unknown scheme %q (known: %s)", redact(rawURL), u.Scheme, strings.Join(Schemes(), ", "))
	}
	b, err := fn(ctx, u, app, stage)
	var se *StoreError
	if errors.As(err, &se) {
		return nil, err // one line that says it all
	}
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", redact(rawURL), err)
	}
	return manage(b, stage)
}

// parseURL treats anything without "://" as a file path, so that Windows
// paths such as C:\x are not mistaken for a URL with scheme "c".
func parseURL(rawURL string) (*url.URL, error) {
	if rawURL == "" {
		return nil, fmt.Errorf("empty state URL (the default is %s)", DefaultURL)
	}
	if !strings.Contains(rawURL, "://") {
		return &url.URL{Scheme: "file", Path: rawURL}, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error repeats the URL, which may hold a password.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("parse state URL: %w", err)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	return u, nil
}

// redact drops a password from a URL before it goes into an error message.
func redact(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.User != nil {
		return u.Redacted()
	}
	return rawURL
}
