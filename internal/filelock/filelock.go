// Package filelock holds an exclusive OS lock (flock on Unix, LockFileEx on
// Windows) on a file whose content says who holds it. The OS releases the
// lock when the holder dies, however it dies, so a lock is never left held
// by a dead process; the content it wrote stays behind and tells the next
// holder which process ended without unlocking.
//
// The file state backend locks a stage with it, and the local endpoint its
// data file; each writes its own description of the holder.
package filelock

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// ErrLocked is wrapped by the errors of a lock that another open file
// holds. Test for it with errors.Is.
var ErrLocked = errors.New("filelock: held by another open file")

// HeldError is returned when another process, or another Acquire in this
// one, holds the lock. Content is what the holder wrote.
type HeldError struct {
	Path    string
	Content []byte
	Err     error // wraps ErrLocked
}

func (e *HeldError) Error() string { return fmt.Sprintf("%s is locked: %v", e.Path, e.Err) }

func (e *HeldError) Unwrap() error { return e.Err }

// Lock is a held lock. Its methods are safe for concurrent use.
type Lock struct {
	mu   sync.Mutex
	f    *os.File
	prev []byte
}

// Acquire locks the file at path (creating it and its directory) without
// waiting and writes content into it. It fails with *HeldError when the
// lock is held. The file is never deleted: deleting it would let two
// processes lock two different files.
func Acquire(path string, content []byte) (*Lock, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := tryLock(f); err != nil {
		held := readAll(f)
		f.Close()
		if errors.Is(err, ErrLocked) {
			return nil, &HeldError{Path: path, Content: held, Err: err}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// Write our content first, so that a process refused from now on sees
	// who holds the lock; restore the previous holder's on failure, so that
	// its death is still reported next time.
	l := &Lock{f: f, prev: readAll(f)}
	if err := write(f, content); err != nil {
		return nil, errors.Join(fmt.Errorf("lock: write %s: %w", path, err), l.Abandon())
	}
	return l, nil
}

// Previous is what the file held before Acquire: the content of a holder
// that ended without unlocking, or nothing.
func (l *Lock) Previous() []byte { return l.prev }

// Unlock clears the content, so that the next holder does not take this
// one for dead, and releases the lock.
func (l *Lock) Unlock() error { return l.release(true, false) }

// Abandon puts the previous content back and releases the lock, for a
// caller that failed after Acquire: the file then reads as if Acquire had
// never happened.
func (l *Lock) Abandon() error { return l.release(false, true) }

// Crash releases the lock leaving the content in place, as a holder that
// died would; for tests of stale locks.
func (l *Lock) Crash() error { return l.release(false, false) }

func (l *Lock) release(clear, restore bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	var errs []error
	switch {
	case clear:
		if err := l.f.Truncate(0); err != nil {
			errs = append(errs, err)
		} else if err := l.f.Sync(); err != nil {
			errs = append(errs, err)
		}
	case restore:
		errs = append(errs, write(l.f, l.prev))
	}
	errs = append(errs, unlock(l.f), l.f.Close())
	l.f = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("unlock: %w", err)
	}
	return nil
}

// Inspect reports what the file at path holds and whether a live process
// holds its lock, taking the lock for no longer than it takes to test it.
// With clear, the content of a holder that is gone is cleared. A missing
// file is no lock: nothing, false, nil.
func Inspect(path string, clear bool) (content []byte, held bool, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read lock: %w", err)
	}
	if err := tryLock(f); err != nil {
		content := readAll(f)
		f.Close()
		if errors.Is(err, ErrLocked) {
			return content, true, nil
		}
		return nil, false, fmt.Errorf("read lock %s: %w", path, err)
	}
	l := &Lock{f: f}
	content = readAll(f)
	if err := l.release(clear, false); err != nil {
		return nil, false, err
	}
	return content, false, nil
}

// readAll reads what a lock file holds (at most 1 MiB), nothing if it
// cannot be read.
func readAll(f *os.File) []byte {
	data, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<20))
	if err != nil {
		return nil
	}
	return data
}

// write replaces the file's content in place. The file cannot be replaced
// by rename, because the OS lock belongs to the open file.
func write(f *os.File, data []byte) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(data, 0); err != nil {
		return err
	}
	return f.Sync()
}
