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
		o := lockObject{Holder: &info, Expires: s.now().Add(s.lockTTL)}
		cur, etag, err := s.readLock(ctx)
		var stale *state.LockInfo
		switch {
		case errors.Is(err, errNotFound):
			etag = ""
		case err != nil && cur.Holder == nil:
			return nil, s.fail("lock state", err)
		case err != nil:
			return nil, &state.LockError{App: s.app, Stage: s.stage, Info: *cur.Holder, Err: err}
		case cur.Holder != nil && cur.Holder.ID == info.ID:
			// Our own write, which answered with a failed condition
			// because the SDK retried it after it had landed.
			return s.hold(info, etag, cur.Expires, nil), nil
		case cur.heldAt(s.now()):
			return nil, &state.LockError{App: s.app, Stage: s.stage, Info: *cur.Holder,
				Err: fmt.Errorf("lock object %s%s expires at %s unless renewed", s.location, lockKey, cur.Expires.UTC().Format(time.RFC3339))}
		case cur.Holder != nil:
			h := *cur.Holder
			stale = &h // expired: its holder died or hung
		}
		newTag, err := s.writeLock(ctx, o, etag)
		if isPrecondition(err) || isNoSuchKey(err) {
			// Someone else changed the lock between our read and write:
			// read again, and report them if they hold it now.
			if attempt < 3 {
				continue
			}
			return nil, &state.LockError{App: s.app, Stage: s.stage, Info: cur.holderOrZero(), Err: err}
		}
		if err != nil {
			return nil, s.fail("lock state", err)
		}
		return s.hold(info, newTag, o.Expires, stale), nil
	}
}

// hold starts renewing a lock just taken and makes the handle's writes
// depend on it.
func (s *Store) hold(info state.LockInfo, etag string, expires time.Time, stale *state.LockInfo) *lock {
	l := &lock{s: s, etag: etag, expires: expires, info: info, stale: stale, stop: make(chan struct{}), done: make(chan struct{})}
	go l.renew(s.lockTTL / 3)
	s.mu.Lock()
	s.held = l
	s.mu.Unlock()
	return l
}

func (o lockObject) holderOrZero() state.LockInfo {
	if o.Holder == nil {
		return state.LockInfo{}
	}
	return *o.Holder
}

// lock is the Unlocker of the S3 backend. A goroutine renews the lock's
// expiry every third of the TTL until Unlock. The holder stops writing
// (every write returns a *state.LockLostError) as soon as it finds the lock
// taken over, or when its last renewal is about to expire: another run may
// take an expired lock, and a write already sent must land before it can.
type lock struct {
	s     *Store
	info  state.LockInfo
	stale *state.LockInfo
	stop  chan struct{}
	done  chan struct{}

	mu       sync.Mutex
	etag     string               // of our last write of the lock object
	expires  time.Time            // the expiry that write set
	renewErr error                // the last renewal's error, while renewals fail
	lost     *state.LockLostError // set once the lock is known or presumed lost
	released bool
}

var _ state.StaleReporter = (*lock)(nil)

func (l *lock) StaleLock() (state.LockInfo, bool) {
	if l.stale == nil {
		return state.LockInfo{}, false
	}
	return *l.stale, true
}

// margin is how long before its expiry a lock is no longer written under:
// time for a write in flight to land, and for clocks that differ a little.
func (l *lock) margin() time.Duration { return l.s.lockTTL / 6 }

// check returns the lock's loss, deciding it if the lock is about to
// expire without a successful renewal.
func (l *lock) check() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.checkLocked()
}

func (l *lock) checkLocked() error {
	if l.lost != nil {
		return l.lost
	}
	if l.etag != "" && !l.s.now().Before(l.expires.Add(-l.margin())) {
		cause := fmt.Sprintf("it expired at %s before this run could renew it", l.expires.UTC().Format(time.RFC3339))
		if l.renewErr != nil {
			cause += fmt.Sprintf(" (the last renewal failed: %v)", l.s.classify(l.renewErr))
		}
		l.lost = &state.LockLostError{Stage: l.s.stage, Cause: cause, Err: l.renewErr}
	}
	if l.lost != nil {
		return l.lost
	}
	return nil
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
		ctx, cancel := context.WithTimeout(context.Background(), every)
		lost := l.renewOnce(ctx) != nil
		cancel()
		if lost {
			return
		}
	}
}

// renewOnce pushes the lock's expiry one TTL ahead, on condition that the
// lock object is still our last write. It returns the lock's loss, if that
// is what it found. A failed renewal is otherwise tried again at the next
// tick: the lock outlives two of them. The handle's writes do not wait for
// the renewal's request: l.mu is not held during it.
func (l *lock) renewOnce(ctx context.Context) error {
	l.mu.Lock()
	if err := l.checkLocked(); err != nil || l.etag == "" {
		l.mu.Unlock()
		return err
	}
	etag := l.etag
	l.mu.Unlock()
	o := lockObject{Holder: &l.info, Expires: l.s.now().Add(l.s.lockTTL)}
	tag, err := l.s.writeLock(ctx, o, etag)
	var cur lockObject
	var curTag string
	var rerr error
	if isPrecondition(err) {
		cur, curTag, rerr = l.s.readLock(ctx)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.etag != etag { // released, or renewed by another call, meanwhile
		return l.checkLocked()
	}
	switch {
	case err == nil:
		l.etag, l.expires, l.renewErr = tag, o.Expires, nil
	case isNoSuchKey(err):
		l.lost = &state.LockLostError{Stage: l.s.stage, Cause: "its lock object " + l.s.location + lockKey + " was deleted, so another run may have taken the lock", Err: err}
	case isPrecondition(err) && rerr == nil && cur.Holder != nil && cur.Holder.ID == l.info.ID:
		// Our renewal landed, and the SDK's retry of it failed.
		l.etag, l.expires, l.renewErr = curTag, cur.Expires, nil
	case isPrecondition(err):
		cause := "another run took it over after it expired, or `athanor state unlock` broke it"
		if rerr == nil && cur.Holder != nil {
			cause = fmt.Sprintf("%s took it over (it had expired, or `athanor state unlock` broke it)", cur.Holder)
		}
		l.lost = &state.LockLostError{Stage: l.s.stage, Cause: cause, Err: err}
	default:
		l.renewErr = err
	}
	return l.checkLocked()
}

// Unlock stops renewing and overwrites the lock object, on condition that
// it is still ours, with one that has no holder. If the lock was lost or
// taken over meanwhile, it leaves the new holder's lock alone and says so.
func (l *lock) Unlock() error { return l.release(true) }

func (l *lock) stopRenewing() {
	l.mu.Lock()
	stopped := l.released
	l.released = true
	l.mu.Unlock()
	if !stopped && l.stop != nil {
		close(l.stop)
		<-l.done
	}
	l.s.mu.Lock()
	if l.s.held == l {
		l.s.held = nil
	}
	l.s.mu.Unlock()
}

func (l *lock) release(clear bool) error {
	l.stopRenewing()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.etag == "" {
		return nil
	}
	lost := l.checkLocked()
	etag := l.etag
	l.etag = ""
	if lost != nil {
		return fmt.Errorf("unlock state in %s: %w", l.s.location, lost)
	}
	if !clear {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := l.s.writeLock(ctx, lockObject{Former: &l.info}, etag)
	if isPrecondition(err) || isNoSuchKey(err) {
		l.lost = &state.LockLostError{Stage: l.s.stage, Cause: "another run took it over, or `athanor state unlock` broke it", Err: err}
		return fmt.Errorf("unlock state in %s: %w", l.s.location, l.lost)
	}
	if err != nil {
		return l.s.fail("unlock state", err)
	}
	return nil
}

// crash stops renewing without releasing, as a killed holder does. For
// tests; the lock then expires after the TTL.
func (l *lock) crash() {
	l.stopRenewing()
	l.mu.Lock()
	l.etag = ""
	l.mu.Unlock()
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
		return state.LockInfo{}, false, s.fail("read lock", err)
	}
	return o.holderOrZero(), o.heldAt(s.now()), nil
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
			return state.LockInfo{}, s.fail("unlock state", err)
		}
		if o.Holder == nil {
			return state.LockInfo{}, nil
		}
		_, err = s.writeLock(ctx, lockObject{}, etag)
		if (isPrecondition(err) || isNoSuchKey(err)) && attempt < 3 {
			continue
		}
		if err != nil {
			return state.LockInfo{}, s.fail("unlock state", err)
		}
		return *o.Holder, nil
	}
}

// stageFile is the content of stage.json: the stage's Meta, versioned, as
// in the file backend.
type stageFile struct {
	Version int    `json:"version"`
	Lineage string `json:"lineage"`
	Serial  int64  `json:"serial"`
}

// readMeta reads stage.json and its ETag; errNotFound if there is none.
func (s *Store) readMeta(ctx context.Context) (state.Meta, string, error) {
	key := s.pfx + stageKey
	data, etag, err := s.get(ctx, key)
	if err != nil {
		return state.Meta{}, "", err
	}
	var sf stageFile
	if err := json.Unmarshal(data, &sf); err != nil || sf.Version != 1 || sf.Lineage == "" {
		return state.Meta{}, "", fmt.Errorf("stage file s3://%s/%s is unreadable; restore it from a backup (S3 versioning keeps old versions)", s.bucket, key)
	}
	return state.Meta{Lineage: sf.Lineage, Serial: sf.Serial}, etag, nil
}

// ReadMeta reads stage.json.
func (s *Store) ReadMeta(ctx context.Context) (state.Meta, bool, error) {
	if err := s.checkStage(); err != nil {
		return state.Meta{}, false, err
	}
	m, _, err := s.readMeta(ctx)
	if errors.Is(err, errNotFound) {
		return state.Meta{}, false, nil
	}
	if err != nil {
		return state.Meta{}, false, s.fail("read stage file", err)
	}
	return m, true, nil
}

// WriteMeta replaces stage.json on condition: If-Match on the ETag of the
// object read, after checking it holds prev, or If-None-Match: * when prev
// is zero, so that of two writers from the same Meta one fails.
func (s *Store) WriteMeta(ctx context.Context, prev, next state.Meta) error {
	if err := s.checkStage(); err != nil {
		return err
	}
	cur, etag, err := s.readMeta(ctx)
	switch {
	case errors.Is(err, errNotFound):
		if prev != (state.Meta{}) {
			return state.ErrMetaChanged
		}
		etag = ""
	case err != nil:
		return s.fail("read stage file", err)
	case cur != prev:
		return state.ErrMetaChanged
	}
	out, _ := json.MarshalIndent(stageFile{Version: 1, Lineage: next.Lineage, Serial: next.Serial}, "", "  ") // plain fields: cannot fail
	key := s.pfx + stageKey
	in := &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key), Body: bytes.NewReader(out), ContentType: aws.String("application/json")}
	if etag == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(etag)
	}
	_, err = s.client.PutObject(ctx, in)
	if isPrecondition(err) || isNoSuchKey(err) {
		return state.ErrMetaChanged
	}
	if err != nil {
		return s.fail("write stage file", err)
	}
	return nil
}
