package localcc

import (
	"container/heap"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

// dataVersion is the format of the data file; a file of another version is
// refused rather than misread.
const dataVersion = 1

type snapshot struct {
	Version   int         `json:"version"`
	Seq       uint64      `json:"seq"`
	Resources []*resource `json:"resources"`
	Requests  []*request  `json:"requests"`
	EC2Calls  []EC2Call   `json:"ec2Calls,omitempty"`
	Sessions  []*session  `json:"sessions,omitempty"`
}

// load reads the data file. A missing file is an empty endpoint; an
// unreadable or corrupted one is an error that says what to do, and the
// file is left as it is.
func (s *Server) load(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read local endpoint data %s: %w", path, err)
	}
	var snap snapshot
	if err := decodeJSON(data, &snap); err != nil {
		return fmt.Errorf("local endpoint data %s is corrupted (%v); it was left untouched: move it aside to start empty, or restore a copy", path, err)
	}
	if snap.Version != dataVersion {
		return fmt.Errorf("local endpoint data %s has format version %d, this build reads version %d; it was left untouched: move it aside to start empty", path, snap.Version, dataVersion)
	}
	s.seq = snap.Seq
	// A fixed Seed would otherwise hand out again the request tokens and
	// IDs of the run that wrote the file; mixing in the file's sequence
	// keeps runs repeatable and their draws distinct.
	s.rng = rand.New(rand.NewPCG(s.rng.Uint64()^snap.Seq, s.rng.Uint64()+snap.Seq))
	for _, r := range snap.Resources {
		if r == nil || r.Type == "" || r.Identifier == "" {
			return fmt.Errorf("local endpoint data %s is corrupted (a resource without type or identifier); it was left untouched: move it aside to start empty", path)
		}
		// Files written before scopes hold the default scope's resources.
		sp := s.orDefault(Scope{Account: r.Account, Region: r.Region}).home(r.Type)
		r.Account, r.Region = sp.Account, sp.Region
		s.put(r)
	}
	for _, r := range snap.Requests {
		if r == nil || r.Token == "" {
			return fmt.Errorf("local endpoint data %s is corrupted (a request without token); it was left untouched: move it aside to start empty", path)
		}
		sp := s.orDefault(r.scope())
		r.Account, r.Region = sp.Account, sp.Region
		s.requests[r.Token] = r
		if r.ClientToken != "" {
			s.tokens[clientKey(sp, r.ClientToken)] = r.Token
		}
		if !terminal(r.Status) {
			heap.Push(&s.due, r)
			if r.Identifier != "" {
				s.inflight[inflightKey(sp, r.TypeName, r.Identifier)] = r.Token
			}
		}
	}
	s.ec2Calls = snap.EC2Calls
	for _, ss := range snap.Sessions {
		if ss != nil && ss.AccessKeyID != "" {
			s.sessions[ss.AccessKeyID] = ss
		}
	}
	return nil
}

// Save writes the data file atomically: a temporary file in the same
// folder, synced, then renamed over the old one, so a crash leaves the old
// or the new file, never a torn one. It holds the server's lock only to copy
// the state (see snapshot); encoding and writing a large endpoint's state
// takes tens of milliseconds, during which calls go on.
func (s *Server) Save() error {
	if s.opts.DataFile == "" {
		return nil
	}
	// saveMu is held from the copy to the rename, so that files are
	// written in the order their states were taken.
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	snap := s.snapshot()
	start := time.Now()
	data, err := s.encode(snap)
	if err != nil {
		return fmt.Errorf("encode local endpoint data: %w", err)
	}
	err = writeAtomic(s.opts.DataFile, data)
	s.lastSave.Store(int64(time.Since(start)))
	return err
}

// snapshot copies the state the data file holds, so that it can be encoded
// without the lock while calls change the state. Requests, resources and
// sessions are copied by value, which is enough because what they point to
// is never changed in place: a resource's Model is replaced, not modified,
// by the handlers, and a request's Desired is fixed when it is submitted.
// EC2 calls are only ever appended, so a copy of the slice header is a copy
// of the calls so far.
func (s *Server) snapshot() snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := snapshot{Version: dataVersion, Seq: s.seq, EC2Calls: s.ec2Calls[:len(s.ec2Calls):len(s.ec2Calls)]}
	n := 0
	for _, byType := range s.resources {
		for _, byID := range byType {
			n += len(byID)
		}
	}
	resources := make([]resource, 0, n)
	for _, byType := range s.resources {
		for _, byID := range byType {
			for _, r := range byID {
				resources = append(resources, *r)
			}
		}
	}
	snap.Resources = pointers(resources)
	requests := make([]request, 0, len(s.requests))
	for _, r := range s.requests {
		requests = append(requests, *r)
	}
	snap.Requests = pointers(requests)
	sessions := make([]session, 0, len(s.sessions))
	for _, ss := range s.sessions {
		sessions = append(sessions, *ss)
	}
	snap.Sessions = pointers(sessions)
	return snap
}

// pointers points at each element of xs, for the snapshot's lists. An
// empty list is nil, so that it is encoded as null, as it always was.
func pointers[T any](xs []T) []*T {
	if len(xs) == 0 {
		return nil
	}
	out := make([]*T, len(xs))
	for i := range xs {
		out[i] = &xs[i]
	}
	return out
}

func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}

// saver writes the data file shortly after changes, so that a killed
// endpoint loses little: saveDelay after the first change since the last
// save.
func (s *Server) saver() {
	defer s.bg.Done()
	for {
		select {
		case <-s.done:
			return
		case <-s.saveKick:
		}
		select {
		case <-s.done:
			return
		case <-time.After(saveDelay(time.Duration(s.lastSave.Load()))):
		}
		if err := s.Save(); err != nil {
			s.log.Error("save local endpoint data", "err", err)
		}
	}
}

// saveDelay is how long the saver waits after a change: 200 ms, or five
// times as long as the last save took to encode and write when that is
// more. A save no longer stops calls, but it takes a core while it
// encodes; an endpoint large enough to take 100 ms would otherwise spend
// half a core saving while a busy program changes it, on machines where
// the program and the endpoint share two cores. Waiting in proportion
// bounds that share to a sixth whatever the size, at the price of a file
// that lags further behind for very large endpoints.
func saveDelay(last time.Duration) time.Duration {
	return max(200*time.Millisecond, 5*last)
}

// holder is what the data file's lock holds while this process has it: a
// line that a second endpoint refused the file shows its user.
func holder() []byte {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown host"
	}
	return fmt.Appendf(nil, "the local endpoint of pid %d on %s (since %s)\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
}
