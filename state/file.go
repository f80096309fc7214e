package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/athanor-iac/athanor/internal/filelock"
)

// The file backend keeps one JSON file per record, so that a Put rewrites
// only that record, under
//
//	<root>/<app>/<stage>/resources/<logicalID>.json   one record each, mode 0600
//	<root>/<app>/<stage>/stage.json                   {"version":1,"lineage":...,"serial":N}, the stage's Meta
//	<root>/<app>/<stage>/lock                         the lock file, holding the holder's LockInfo
//
// Directories are created with mode 0700. Names are escaped with escapeName
// (MyBucket is stored as +my+bucket.json) so that names differing only in
// case stay distinct on case-insensitive file systems.
func init() { Register("file", "a folder path, or file://PATH", openFileStore) }

const (
	resourcesDir  = "resources"
	lockFileName  = "lock"
	stageFileName = "stage.json"
	recordExt     = ".json"
	tmpPattern    = ".athanor-*.tmp" // matched by isTmp; Load ignores these
	maxFileName   = 250              // below the 255-byte limit of common file systems
)

type fileStore struct {
	app, stage string
	appDir     string // <root>/<app>
	dir        string // <root>/<app>/<stage>, empty for a store opened by Stages
	resDir     string

	mu        sync.Mutex
	dirsReady bool // directories exist and their creation is durable

	// writers bounds the record writes under way at once. A run saves
	// records from hundreds of goroutines; creating that many files in
	// one directory at once makes the kernel spin on the directory's
	// lock (scenario g spent 2.5 s of CPU in openat), while a few
	// writers at a time keep every disk busy.
	writers chan struct{}
}

// maxWriters is how many record writes a file store runs at once.
const maxWriters = 4

var (
	_ Store         = (*fileStore)(nil)
	_ LockReader    = (*fileStore)(nil)
	_ ForceUnlocker = (*fileStore)(nil)
	_ StageLister   = (*fileStore)(nil)
	_ AllLoader     = (*fileStore)(nil)
	_ MetaStore     = (*fileStore)(nil)
)

func openFileStore(ctx context.Context, u *url.URL, app, stage string) (Store, error) {
	root, err := fileRoot(u)
	if err != nil {
		return nil, err
	}
	s := &fileStore{app: app, stage: stage, appDir: filepath.Join(root, escapeName(app)), writers: make(chan struct{}, maxWriters)}
	if stage != "" {
		s.dir = filepath.Join(s.appDir, escapeName(stage))
		s.resDir = filepath.Join(s.dir, resourcesDir)
	}
	return s, nil
}

// fileRoot turns a file URL into a directory. "file://.athanor" is read as
// the relative path .athanor (the host part of the URL), as users write it,
// and "file:///C:/x" as C:/x on Windows.
func fileRoot(u *url.URL) (string, error) {
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("file state URL takes a path only, without user, query or fragment")
	}
	p := u.Path
	if u.Host != "" && u.Host != "localhost" {
		p = u.Host + u.Path
	}
	if runtime.GOOS == "windows" && len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[1:]
	}
	if p == "" {
		return "", errors.New("file state URL has no path")
	}
	return filepath.FromSlash(p), nil
}

func (s *fileStore) checkStage() error {
	if s.dir == "" {
		return errors.New("file store opened without a stage")
	}
	return nil
}

// recordFileName maps a logical ID to its file name.
func recordFileName(id string) (string, error) {
	if err := ValidateLogicalID(id); err != nil {
		return "", err
	}
	name := escapeName(id) + recordExt
	if len(name) > maxFileName {
		return "", fmt.Errorf("logical ID %q has too many upper-case letters to fit a file name (each is stored as two characters)", id)
	}
	return name, nil
}

func isTmp(name string) bool { return strings.HasSuffix(name, ".tmp") }

// ensureDirs creates the stage's directories and makes their creation
// durable, once per store.
func (s *fileStore) ensureDirs() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dirsReady {
		return nil
	}
	root := filepath.Dir(s.appDir)
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(root, 0o700); err != nil {
			return fmt.Errorf("create state directory: %w", err)
		}
		if err := syncDir(filepath.Dir(root)); err != nil {
			return err
		}
	}
	for _, d := range []string{s.appDir, s.dir, s.resDir} {
		err := os.Mkdir(d, 0o700)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("create state directory: %w", err)
		}
		if err := syncDir(filepath.Dir(d)); err != nil {
			return err
		}
	}
	s.dirsReady = true
	return nil
}

// Put writes r to a temporary file in the same directory, syncs it, renames it
// over the record's file and syncs the directory, so that a crash leaves
// either the old or the new record.
func (s *fileStore) Put(ctx context.Context, r Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.checkStage(); err != nil {
		return err
	}
	name, err := recordFileName(r.LogicalID)
	if err != nil {
		return fmt.Errorf("put record: %w", err)
	}
	data, err := EncodeRecord(r)
	if err != nil {
		return fmt.Errorf("put record: %w", err)
	}
	if err := s.ensureDirs(); err != nil {
		return err
	}
	s.writers <- struct{}{}
	err = writeFileAtomic(s.resDir, name, data)
	<-s.writers
	if err != nil {
		return fmt.Errorf("put record %s: %w", r.LogicalID, err)
	}
	return nil
}

// Delete removes the record's file and syncs the directory.
func (s *fileStore) Delete(ctx context.Context, logicalID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.checkStage(); err != nil {
		return err
	}
	name, err := recordFileName(logicalID)
	if err != nil {
		return fmt.Errorf("delete record: %w", err)
	}
	err = os.Remove(filepath.Join(s.resDir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete record %s: %w", logicalID, err)
	}
	if err := syncDir(s.resDir); err != nil {
		return fmt.Errorf("delete record %s: %w", logicalID, err)
	}
	return nil
}

// Load reads every record file. It ignores hidden files (.DS_Store) and
// temporary files left by a killed writer, and refuses anything else it
// cannot account for rather than skip a record.
// loadOne reads and checks one record file.
func (s *fileStore) loadOne(name string) (Record, error) {
	path := filepath.Join(s.resDir, name)
	id, idOK := unescapeName(strings.TrimSuffix(name, recordExt))
	data, err := os.ReadFile(path)
	if err != nil {
		return Record{}, fmt.Errorf("load state: %w", err)
	}
	r, err := DecodeRecord(data)
	if err != nil {
		return Record{}, &CorruptRecordError{Where: path, LogicalID: id, App: s.app, Stage: s.stage, Err: err}
	}
	if !idOK || r.LogicalID != id {
		want, _ := recordFileName(r.LogicalID)
		return Record{}, fmt.Errorf("load state: file %s holds record %q, which belongs in %s; rename the file if that is right", path, r.LogicalID, want)
	}
	return r, nil
}

func (s *fileStore) Load(ctx context.Context) ([]Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.checkStage(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(s.resDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || isTmp(name) {
			continue
		}
		if e.IsDir() || !strings.HasSuffix(name, recordExt) {
			return nil, fmt.Errorf("load state: unexpected file %s in the state directory; move it elsewhere", filepath.Join(s.resDir, name))
		}
		names = append(names, name)
	}
	// Records are read and decoded on every core: a stage of 10,000
	// records is read on every run, and reading is most of a run that
	// changes nothing.
	recs := make([]Record, len(names))
	errs := make([]error, len(names))
	workers := min(runtime.GOMAXPROCS(0)*2, max(1, len(names)/64))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(names); i += workers {
				if i%256 == w && ctx.Err() != nil {
					errs[i] = ctx.Err()
					return
				}
				recs[i], errs[i] = s.loadOne(names[i])
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].LogicalID < recs[j].LogicalID })
	return recs, nil
}

// Lock takes an OS advisory lock (flock, LockFileEx) on the stage's lock
// file. The OS releases it when the process dies, however it dies, so a lock
// is never left held by a dead run; the LockInfo written into the file then
// tells the next run which run ended without unlocking. The lock file is never
// deleted: deleting it would let two processes lock two different files.
func (s *fileStore) Lock(ctx context.Context, info LockInfo) (Unlocker, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.checkStage(); err != nil {
		return nil, err
	}
	if err := s.ensureDirs(); err != nil {
		return nil, err
	}
	l, err := lockPath(filepath.Join(s.dir, lockFileName), info)
	if err != nil {
		var le *LockError
		if errors.As(err, &le) {
			le.App, le.Stage = s.app, s.stage
		}
		return nil, err
	}
	fail := func(err error) (Unlocker, error) {
		return nil, errors.Join(err, l.l.Abandon())
	}
	// Stale temporary files can only be removed while no writer can be
	// running, that is, while holding the lock.
	if err := removeTmp(s.dir, s.resDir); err != nil {
		return fail(err)
	}
	return l, nil
}

// lockPath locks the file at path and writes info into it.
func lockPath(path string, info LockInfo) (*fileLock, error) {
	l, err := filelock.Acquire(path, marshalLockInfo(info.Complete()))
	var held *filelock.HeldError
	if errors.As(err, &held) {
		holder, _ := parseLockInfo(held.Content)
		return nil, &LockError{Info: holder, Err: err}
	}
	if err != nil {
		return nil, err
	}
	fl := &fileLock{l: l}
	if prev, ok := parseLockInfo(l.Previous()); ok {
		fl.stale = &prev
	}
	return fl, nil
}

// fileLock is the Unlocker of the file backend.
type fileLock struct {
	l     *filelock.Lock
	stale *LockInfo
}

var _ StaleReporter = (*fileLock)(nil)

func (l *fileLock) StaleLock() (LockInfo, bool) {
	if l.stale == nil {
		return LockInfo{}, false
	}
	return *l.stale, true
}

// Unlock clears the holder's info, so that the next run does not report a
// stale lock, and releases the OS lock.
func (l *fileLock) Unlock() error {
	if err := l.l.Unlock(); err != nil {
		return fmt.Errorf("unlock state: %w", err)
	}
	return nil
}

// parseLockInfo reports whether a lock file held anything, and what. The info
// is zero if it was unreadable (a holder killed while writing it).
func parseLockInfo(data []byte) (info LockInfo, ok bool) {
	if len(bytes.TrimSpace(data)) == 0 {
		return LockInfo{}, false
	}
	if err := json.Unmarshal(data, &info); err != nil {
		return LockInfo{}, true
	}
	return info, true
}

func marshalLockInfo(info LockInfo) []byte {
	data, _ := json.MarshalIndent(info, "", "  ") // cannot fail: plain fields
	return append(data, '\n')
}

// ReadLock reports the holder without taking the lock for longer than it
// takes to test it.
func (s *fileStore) ReadLock(ctx context.Context) (LockInfo, bool, error) {
	info, held, err := s.inspectLock(ctx, false)
	return info, held, err
}

// ForceUnlock clears the info of a holder that ended without unlocking. It
// cannot break a lock held by a live process: the OS releases that lock when
// the process exits, so the user must stop the process instead.
func (s *fileStore) ForceUnlock(ctx context.Context) (LockInfo, error) {
	info, held, err := s.inspectLock(ctx, true)
	if err != nil {
		return LockInfo{}, err
	}
	if held {
		return info, fmt.Errorf("cannot unlock stage %s: its lock is held by a running process, %s; stop that process, and its lock is released when it exits: %w",
			s.stage, info, &LockError{App: s.app, Stage: s.stage, Info: info, Err: filelock.ErrLocked, Live: true})
	}
	return info, nil
}

func (s *fileStore) inspectLock(ctx context.Context, clear bool) (LockInfo, bool, error) {
	if err := ctx.Err(); err != nil {
		return LockInfo{}, false, err
	}
	if err := s.checkStage(); err != nil {
		return LockInfo{}, false, err
	}
	content, held, err := filelock.Inspect(filepath.Join(s.dir, lockFileName), clear)
	if err != nil {
		return LockInfo{}, false, err
	}
	info, _ := parseLockInfo(content)
	return info, held, nil
}

// Stages lists the app's stage directories.
func (s *fileStore) Stages(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	stages, err := subdirNames(s.appDir)
	if err != nil {
		return nil, fmt.Errorf("list stages: %w", err)
	}
	return stages, nil
}

// LoadAll reads the records of every stage of every app under the root:
// <root>/<app>/<stage>/resources/. Directories that are not an app's (the
// local endpoint's data beside them) hold no resources directory and are
// passed over.
func (s *fileStore) LoadAll(ctx context.Context) ([]Located, error) {
	root := filepath.Dir(s.appDir)
	apps, err := subdirNames(root)
	if err != nil {
		return nil, fmt.Errorf("list apps: %w", err)
	}
	var out []Located
	for _, app := range apps {
		other := &fileStore{app: app, appDir: filepath.Join(root, escapeName(app))}
		stages, err := other.Stages(ctx)
		if err != nil {
			return nil, err
		}
		for _, stage := range stages {
			st := &fileStore{app: app, stage: stage, appDir: other.appDir, dir: filepath.Join(other.appDir, escapeName(stage)), writers: make(chan struct{}, maxWriters)}
			st.resDir = filepath.Join(st.dir, resourcesDir)
			recs, err := st.Load(ctx)
			if err != nil {
				return nil, err
			}
			for _, r := range recs {
				out = append(out, Located{App: app, Stage: stage, Record: r})
			}
		}
	}
	return out, nil
}

// subdirNames returns the valid names of dir's subdirectories, sorted.
func subdirNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if name, ok := unescapeName(e.Name()); ok && validateName("name", name) == nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names, nil
}

// stageFile is the content of stage.json: the stage's Meta, versioned.
type stageFile struct {
	Version int    `json:"version"`
	Lineage string `json:"lineage"`
	Serial  int64  `json:"serial"`
}

// ReadMeta reads stage.json.
func (s *fileStore) ReadMeta(ctx context.Context) (Meta, bool, error) {
	if err := ctx.Err(); err != nil {
		return Meta{}, false, err
	}
	if err := s.checkStage(); err != nil {
		return Meta{}, false, err
	}
	path := filepath.Join(s.dir, stageFileName)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Meta{}, false, nil
	}
	if err != nil {
		return Meta{}, false, fmt.Errorf("read stage file: %w", err)
	}
	var sf stageFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sf); err != nil || sf.Version != 1 || sf.Lineage == "" {
		if err == nil {
			err = errors.New("unsupported version or missing lineage")
		}
		return Meta{}, false, fmt.Errorf("stage file %s is unreadable: %w; restore it from a backup", path, err)
	}
	return Meta{Lineage: sf.Lineage, Serial: sf.Serial}, true, nil
}

// WriteMeta replaces stage.json atomically. The compare is not atomic with
// the write: Meta is written under the stage's lock, which is what keeps two
// processes apart here.
func (s *fileStore) WriteMeta(ctx context.Context, prev, next Meta) error {
	cur, _, err := s.ReadMeta(ctx)
	if err != nil {
		return err
	}
	if cur != prev {
		return ErrMetaChanged
	}
	if err := s.ensureDirs(); err != nil {
		return err
	}
	out, err := json.MarshalIndent(stageFile{Version: 1, Lineage: next.Lineage, Serial: next.Serial}, "", "  ")
	if err != nil {
		return fmt.Errorf("write stage file: %w", err)
	}
	if err := writeFileAtomic(s.dir, stageFileName, append(out, '\n')); err != nil {
		return fmt.Errorf("write stage file: %w", err)
	}
	return nil
}

// Close does nothing: the file backend holds nothing open between calls.
func (s *fileStore) Close() error { return nil }

// removeTmp deletes temporary files left by killed writers.
func removeTmp(dirs ...string) error {
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("clean state directory: %w", err)
		}
		for _, e := range entries {
			if !e.IsDir() && isTmp(e.Name()) {
				if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("clean state directory: %w", err)
				}
			}
		}
	}
	return nil
}

// writeFileAtomic replaces dir/name with data so that a crash at any instant
// leaves either the old or the new content: write a temporary file in the
// same directory, sync it, rename it over the target, sync the directory.
// The temporary file is removed on any error.
func writeFileAtomic(dir, name string, data []byte) (err error) {
	f, err := os.CreateTemp(dir, tmpPattern) // mode 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = renameFile(tmp, filepath.Join(dir, name)); err != nil {
		return err
	}
	return syncDir(dir)
}
