package s3store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/athanor-iac/athanor/state"
)

// lockObject is the content of lock.json. Holder is nil once the lock is
// released; the object itself stays, so that every later take-over is a
// conditional overwrite.
type lockObject struct {
	Version int             `json:"version"`
	Holder  *state.LockInfo `json:"holder,omitempty"`
	Expires time.Time       `json:"expires,omitzero"`
	Former  *state.LockInfo `json:"former,omitempty"` // who released it last, for people reading the object
}

func (o lockObject) heldAt(now time.Time) bool { return o.Holder != nil && now.Before(o.Expires) }

func (s *Store) lockObjectKey() string { return s.pfx + lockKey }

// readLock returns the lock object and its ETag; errNotFound if there is none.
func (s *Store) readLock(ctx context.Context) (lockObject, string, error) {
	data, etag, err := s.get(ctx, s.lockObjectKey())
	if err != nil {
		return lockObject{}, "", err
	}
	var o lockObject
	if err := json.Unmarshal(data, &o); err != nil {
		// Unreadable: treat it as held by an unknown holder until it
		// expires from the reader's point of view... it has no expiry, so
		// only ForceUnlock can clear it. Say so.
		return lockObject{Holder: &state.LockInfo{}, Expires: time.Now().Add(time.Hour)}, etag,
			fmt.Errorf("lock object s3://%s/%s is unreadable (%v); remove it with `%s` if no run is active",
				s.bucket, s.lockObjectKey(), err, state.StageRef{URL: s.url, App: s.app, Stage: s.stage}.Command("state unlock"))
	}
	return o, etag, nil
}

// writeLock writes the lock object on condition: If-None-Match: * when etag
// is "", otherwise If-Match: etag. It returns the new ETag.
func (s *Store) writeLock(ctx context.Context, o lockObject, etag string) (string, error) {
	o.Version = 1
	data, err := json.MarshalIndent(o, "", "  ")
	if err != nil {
		return "", err
	}
	in := &s3.PutObjectInput{
		Bucket:      aws.String(s.bucket),
		Key:         aws.String(s.lockObjectKey()),
		Body:        bytes.NewReader(data),
		ContentType: aws.String("application/json"),
	}
	if etag == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(etag)
	}
	out, err := s.client.PutObject(ctx, in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

// Lock takes the lock object: creates it, or overwrites a released or
// expired one, each on condition, so that of several runs trying at once
// exactly one wins. An expired holder is reported as stale.
func (s *Store) Lock(ctx context.Context, info state.LockInfo) (state.Unlocker, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.checkStage(); err != nil {
		return nil, err
	}
	info = info.Complete()
	for attempt := 0; ; attempt++ {
		o := lockObject{Holder: &info, Expires: time.Now().Add(s.lockTTL)}
		cur, etag, err := s.readLock(ctx)
		var stale *state.LockInfo
		switch {
		case errors.Is(err, errNotFound):
			etag = ""
		case err != nil && cur.Holder == nil:
			return nil, fmt.Errorf("lock state in %s: %w", s.location, err)
		case err != nil:
			return nil, &state.LockError{App: s.app, Stage: s.stage, Info: *cur.Holder, Err: err}
		case cur.heldAt(time.Now()):
			return nil, &state.LockError{App: s.app, Stage: s.stage, Info: *cur.Holder,
				Err: fmt.Errorf("lock object %s%s expires at %s unless renewed", s.location, lockKey, cur.Expires.UTC().Format(time.RFC3339))}
		case cur.Holder != nil:
			h := *cur.Holder
			stale = &h // expired: its holder died or hung
		}
		newTag, err := s.writeLock(ctx, o, etag)
		if isPrecondition(err) {
			// Someone else changed the lock between our read and write:
			// read again, and report them if they hold it now.
			if attempt < 3 {
				continue
			}
			return nil, &state.LockError{App: s.app, Stage: s.stage, Info: cur.holderOrZero(), Err: err}
		}
		if err != nil {
			return nil, fmt.Errorf("lock state in %s: %w", s.location, err)
		}
		if err := s.bumpSerial(ctx); err != nil {
			l := &lock{s: s, etag: newTag, info: info}
			return nil, errors.Join(err, l.release(false))
		}
		l := &lock{s: s, etag: newTag, info: info, stale: stale, stop: make(chan struct{}), done: make(chan struct{})}
		go l.renew(s.lockTTL / 3)
		s.mu.Lock()
		s.held = l
		s.mu.Unlock()
		return l, nil
	}
}

func (o lockObject) holderOrZero() state.LockInfo {
	if o.Holder == nil {
		return state.LockInfo{}
	}
	return *o.Holder
}

// lock is the Unlocker of the S3 backend. A goroutine renews the lock's
// expiry until Unlock.
type lock struct {
	s     *Store
	info  state.LockInfo
	stale *state.LockInfo
	stop  chan struct{}
	done  chan struct{}

	mu       sync.Mutex
	etag     string // of our last write of the lock object
	lost     bool   // a renewal found the lock taken over
	released bool
}

var _ state.StaleReporter = (*lock)(nil)

func (l *lock) StaleLock() (state.LockInfo, bool) {
	if l.stale == nil {
		return state.LockInfo{}, false
	}
	return *l.stale, true
}

func (l *lock) isLost() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

func (l *lock) renew(every time.Duration) {
	defer close(l.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		l.mu.Lock()
		ctx, cancel := context.WithTimeout(context.Background(), every)
		tag, err := l.s.writeLock(ctx, lockObject{Holder: &l.info, Expires: time.Now().Add(l.s.lockTTL)}, l.etag)
		cancel()
		switch {
		case err == nil:
			l.etag = tag
		case isPrecondition(err):
			l.lost = true
		}
		// Other errors: try again at the next tick; the lock outlives two
		// missed renewals.
		lost := l.lost
		l.mu.Unlock()
		if lost {
			return
		}
	}
}

// Unlock stops renewing and overwrites the lock object, on condition that
// it is still ours, with one that has no holder. If the lock was taken over
// meanwhile, it leaves the new holder's lock alone and says so.
func (l *lock) Unlock() error { return l.release(true) }

func (l *lock) release(clear bool) error {
	if l.stop != nil {
		l.mu.Lock()
		stopped := l.released
		l.released = true
		l.mu.Unlock()
		if !stopped {
			close(l.stop)
			<-l.done
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.etag == "" {
		return nil
	}
	etag := l.etag
	l.etag = ""
	l.s.mu.Lock()
	if l.s.held == l {
		l.s.held = nil
	}
	l.s.mu.Unlock()
	if !clear || l.lost {
		if l.lost {
			return fmt.Errorf("unlock state in %s: %w", l.s.location, errLockLost)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := l.s.writeLock(ctx, lockObject{Former: &l.info}, etag)
	if isPrecondition(err) {
		return fmt.Errorf("unlock state in %s: %w", l.s.location, errLockLost)
	}
	if err != nil {
		return fmt.Errorf("unlock state in %s: %w", l.s.location, err)
	}
	return nil
}

// crash stops renewing without releasing, as a killed holder does. For
// tests; the lock then expires after the TTL.
func (l *lock) crash() {
	l.mu.Lock()
	stopped := l.released
	l.released = true
	l.mu.Unlock()
	if !stopped && l.stop != nil {
		close(l.stop)
		<-l.done
	}
	l.mu.Lock()
	l.etag = ""
	l.mu.Unlock()
	l.s.mu.Lock()
	if l.s.held == l {
		l.s.held = nil
	}
	l.s.mu.Unlock()
}

// ReadLock reports the holder recorded in the lock object, and whether its
// lock is still held: not released and not expired.
func (s *Store) ReadLock(ctx context.Context) (state.LockInfo, bool, error) {
	if err := ctx.Err(); err != nil {
		return state.LockInfo{}, false, err
	}
	if err := s.checkStage(); err != nil {
		return state.LockInfo{}, false, err
	}
	o, _, err := s.readLock(ctx)
	if errors.Is(err, errNotFound) {
		return state.LockInfo{}, false, nil
	}
	if err != nil {
		return state.LockInfo{}, false, fmt.Errorf("read lock in %s: %w", s.location, err)
	}
	return o.holderOrZero(), o.heldAt(time.Now()), nil
}

// ForceUnlock releases the lock whoever holds it, live or not, and returns
// the holder it removed: S3 cannot tell whether a holder is alive, so the
// user's word that it is gone is what breaks an unexpired lock. A live holder
// notices at its next renewal and stops writing.
func (s *Store) ForceUnlock(ctx context.Context) (state.LockInfo, error) {
	if err := ctx.Err(); err != nil {
		return state.LockInfo{}, err
	}
	if err := s.checkStage(); err != nil {
		return state.LockInfo{}, err
	}
	for attempt := 0; ; attempt++ {
		o, etag, err := s.readLock(ctx)
		if errors.Is(err, errNotFound) {
			return state.LockInfo{}, nil
		}
		if err != nil && etag == "" {
			return state.LockInfo{}, fmt.Errorf("unlock state in %s: %w", s.location, err)
		}
		if o.Holder == nil {
			return state.LockInfo{}, nil
		}
		_, err = s.writeLock(ctx, lockObject{}, etag)
		if isPrecondition(err) && attempt < 3 {
			continue
		}
		if err != nil {
			return state.LockInfo{}, fmt.Errorf("unlock state in %s: %w", s.location, err)
		}
		return *o.Holder, nil
	}
}

// stageFile is the content of stage.json, as in the file backend.
type stageFile struct {
	Version int    `json:"version"`
	Lineage string `json:"lineage"`
	Serial  int64  `json:"serial"`
}

// bumpSerial increments the stage's serial once per run, creating
// stage.json with a new lineage the first time.
func (s *Store) bumpSerial(ctx context.Context) error {
	key := s.pfx + stageKey
	data, etag, err := s.get(ctx, key)
	sf := stageFile{Version: 1, Lineage: state.NewID()}
	switch {
	case errors.Is(err, errNotFound):
		etag = ""
	case err != nil:
		return fmt.Errorf("read stage file: %w", err)
	default:
		if err := json.Unmarshal(data, &sf); err != nil || sf.Version != 1 || sf.Lineage == "" {
			return fmt.Errorf("stage file s3://%s/%s is unreadable; restore it from a backup (S3 versioning keeps old versions)", s.bucket, key)
		}
	}
	sf.Serial++
	out, _ := json.MarshalIndent(sf, "", "  ")
	in := &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key), Body: bytes.NewReader(out), ContentType: aws.String("application/json")}
	if etag == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(etag)
	}
	if _, err := s.client.PutObject(ctx, in); err != nil {
		return fmt.Errorf("write stage file s3://%s/%s: %w", s.bucket, key, err)
	}
	return nil
}
