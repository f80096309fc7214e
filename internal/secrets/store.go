package secrets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/athanor-iac/athanor/internal/walk"
	"github.com/athanor-iac/athanor/state"
)

// Store encrypts secrets on their way into a state store and decrypts them
// on their way out, so that every backend (file, S3, PostgreSQL) holds
// only ciphertext. It wraps the store's records: each marked string in a
// record's props, outputs, pending intent and superseded resources is
// stored as an envelope {"@secret": {kid, fp, ct}}, and the stage's data
// keys live in the record KeyRecordID, which Load leaves out. A value
// whose fingerprint has not changed keeps its ciphertext, so state does
// not churn.
//
// Records without secrets cost a walk of their maps and nothing else, and
// a stage without secrets needs no key at all.
type Store struct {
	inner state.Store
	creds Credentials

	mu      sync.Mutex
	ring    *keyring // nil until read or created
	read    bool     // the ring was read from the inner store
	keys    map[string]*Key
	written map[string][]Envelope // logical ID + pointer → envelopes stored there lately
}

// NewStore wraps inner so that secrets are encrypted with the data key the
// stage's key record holds, unwrapped with creds (or a new data key wrapped
// with creds, for a stage that has none yet).
func NewStore(inner state.Store, creds Credentials) *Store {
	return &Store{inner: inner, creds: creds, keys: map[string]*Key{}, written: map[string][]Envelope{}}
}

var (
	_ state.Store         = (*Store)(nil)
	_ state.LockReader    = (*Store)(nil)
	_ state.ForceUnlocker = (*Store)(nil)
	_ state.StageLister   = (*Store)(nil)
	_ state.AllLoader     = (*Store)(nil)
	_ state.OutputStore   = (*Store)(nil)
	_ Sealer              = (*Store)(nil)
)

// OpenStore opens the state of app's stage at url (state.Open) so that its
// secrets are encrypted with the key the environment configures
// (CredentialsFromEnv): what runs of programs, and commands that write
// records, use.
func OpenStore(ctx context.Context, url, app, stage string) (*Store, error) {
	creds, err := CredentialsFromOSEnv()
	if err != nil {
		return nil, err
	}
	s, err := state.Open(ctx, url, app, stage)
	if err != nil {
		return nil, err
	}
	return NewStore(s, creds), nil
}

// Unwrap returns the store this one encrypts for.
func (s *Store) Unwrap() state.Store { return s.inner }

// Lock locks the inner store.
func (s *Store) Lock(ctx context.Context, info state.LockInfo) (state.Unlocker, error) {
	return s.inner.Lock(ctx, info)
}

// Load returns the stage's records with their secrets decrypted (as marked
// strings), without the key record.
func (s *Store) Load(ctx context.Context) ([]state.Record, error) {
	recs, err := s.inner.Load(ctx)
	if err != nil {
		return nil, err
	}
	recs, ring, err := splitKeyring(recs)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ring, s.read = ring, true
	for i := range recs {
		if !hasEnvelopes(recs[i]) {
			continue
		}
		if err := s.openRecord(&recs[i]); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// openRecord decrypts a stored record in place. Called with s.mu held.
func (s *Store) openRecord(rec *state.Record) error {
	id := rec.LogicalID
	return eachSection(rec, func(m map[string]any) (map[string]any, error) {
		return s.openMap(id, "record "+id, m)
	})
}

// openMap returns m with every envelope decrypted, for the place id (a
// logical ID); where names it in errors. Called with s.mu held.
func (s *Store) openMap(id, where string, m map[string]any) (map[string]any, error) {
	out, _, err := walk.Transform(m, "", func(ptr string, v any) (any, bool, error) {
		env, ok := envelopeOf(v)
		if !ok {
			return v, false, nil
		}
		k, err := s.key(env.KeyID, "cannot decrypt the stage's secrets")
		if err != nil {
			return nil, false, err
		}
		pt, err := k.Open(env, id, ptr)
		if err != nil {
			return nil, false, &CorruptError{Where: fmt.Sprintf("%s, property %s", where, ptr), Err: err}
		}
		s.remember(id+"\x00"+ptr, env)
		return fromStored(pt), true, nil
	})
	if err != nil {
		return nil, err
	}
	return out.(map[string]any), nil
}

// key returns the unwrapped data key id. Called with s.mu held.
func (s *Store) key(id, why string) (*Key, error) {
	if k := s.keys[id]; k != nil {
		return k, nil
	}
	if s.ring == nil {
		return nil, &CorruptError{Where: "record " + KeyRecordID, Err: errors.New("the stage holds encrypted values but no keys")}
	}
	wk, ok := s.ring.find(id)
	if !ok {
		return nil, &CorruptError{Where: "record " + KeyRecordID, Err: fmt.Errorf("no key %q", id)}
	}
	k, err := Unwrap(wk, s.creds)
	var missing *MissingKeyError
	if errors.As(err, &missing) {
		missing.Why = why
	}
	if err != nil {
		return nil, err
	}
	s.keys[id] = k
	return k, nil
}

// readRing reads the key record unless Load did. Called with s.mu held.
func (s *Store) readRing(ctx context.Context) error {
	if s.read {
		return nil
	}
	recs, err := s.inner.Load(ctx)
	if err != nil {
		return err
	}
	_, ring, err := splitKeyring(recs)
	if err != nil {
		return err
	}
	s.ring, s.read = ring, true
	return nil
}

// current returns the key new values are encrypted with, making and
// storing the stage's data key on first use. Called with s.mu held.
func (s *Store) current(ctx context.Context) (*Key, error) {
	if err := s.readRing(ctx); err != nil {
		return nil, err
	}
	if s.ring != nil {
		return s.key(s.ring.Current, "cannot encrypt the stage's secrets")
	}
	if !s.creds.Configured() {
		return nil, &MissingKeyError{Why: "the stage is to hold a secret"}
	}
	k, err := NewKey()
	if err != nil {
		return nil, err
	}
	wk, err := k.Wrap(s.creds)
	if err != nil {
		return nil, err
	}
	ring := &keyring{FormatVersion: keyringFormat, Current: k.ID, Keys: []WrappedKey{wk}}
	rec, err := ring.record()
	if err != nil {
		return nil, err
	}
	// The key is stored before anything it encrypts.
	if err := s.inner.Put(ctx, rec); err != nil {
		return nil, fmt.Errorf("save the stage's encryption key: %w", err)
	}
	s.ring, s.keys[k.ID] = ring, k
	return k, nil
}

// SealReady reports whether secrets can be written: the configured key
// opens the stage's current data key, or there is none yet and a key is
// configured to make one.
func (s *Store) SealReady() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.readRing(context.Background()); err != nil {
		return err
	}
	if s.ring == nil {
		if !s.creds.Configured() {
			return &MissingKeyError{Why: "this resource holds a secret"}
		}
		if s.creds.method() == "" {
			return &MissingKeyError{Why: "this resource holds a secret (age identities without public keys cannot make a new key)"}
		}
		return nil
	}
	_, err := s.key(s.ring.Current, "this resource holds a secret, and the stage's key cannot be opened")
	return err
}

// Put stores r with its secrets encrypted.
func (s *Store) Put(ctx context.Context, r state.Record) error {
	if r.LogicalID == KeyRecordID {
		return fmt.Errorf("logical ID %s is reserved for the stage's encryption keys", KeyRecordID)
	}
	// Secrets a read returns where the schema says so (a client secret)
	// are marked even when no engine marked them (athanor import).
	r.Outputs = MarkSchema(r.Type, r.Outputs)
	if !HasSecrets(r) {
		return s.inner.Put(ctx, r)
	}
	sealed, err := s.seal(ctx, r)
	if err != nil {
		return fmt.Errorf("record %s: %w", r.LogicalID, err)
	}
	return s.inner.Put(ctx, sealed)
}

// seal returns r with every marked string replaced by an envelope.
func (s *Store) seal(ctx context.Context, r state.Record) (state.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.current(ctx)
	if err != nil {
		return state.Record{}, err
	}
	err = eachSection(&r, func(m map[string]any) (map[string]any, error) {
		return s.sealMap(k, r.LogicalID, m)
	})
	return r, err
}

// sealMap returns m with every marked string replaced by an envelope
// sealed with k for the place id (a logical ID). Called with s.mu held.
func (s *Store) sealMap(k *Key, id string, m map[string]any) (map[string]any, error) {
	out, _, err := walk.Transform(m, "", func(ptr string, v any) (any, bool, error) {
		str, ok := v.(string)
		if !ok || !IsMarked(str) {
			return v, false, nil
		}
		str = toStored(str)
		// An unchanged value keeps its ciphertext.
		fp := k.Fingerprint(str, id, ptr)
		for _, prev := range s.written[id+"\x00"+ptr] {
			if prev.KeyID == k.ID && SameFingerprint(prev.Fingerprint, fp) {
				return prev.value(), true, nil
			}
		}
		env, err := k.Seal(str, id, ptr)
		if err != nil {
			return nil, false, err
		}
		s.remember(id+"\x00"+ptr, env)
		return env.value(), true, nil
	})
	if err != nil {
		return nil, err
	}
	return out.(map[string]any), nil
}

// remember keeps the last few envelopes stored at a place: a record's
// props, pending intent and replaced resources may each hold a value
// there. Called with s.mu held.
func (s *Store) remember(place string, env Envelope) {
	envs := s.written[place]
	for _, e := range envs {
		if e == env {
			return
		}
	}
	if len(envs) >= 4 {
		envs = envs[1:]
	}
	s.written[place] = append(envs, env)
}

// Delete removes a record; the key record cannot be removed this way.
func (s *Store) Delete(ctx context.Context, logicalID string) error {
	if logicalID == KeyRecordID {
		return fmt.Errorf("logical ID %s is reserved for the stage's encryption keys", KeyRecordID)
	}
	return s.inner.Delete(ctx, logicalID)
}

// ReadLock passes through to the inner store.
func (s *Store) ReadLock(ctx context.Context) (state.LockInfo, bool, error) {
	r, ok := s.inner.(state.LockReader)
	if !ok {
		return state.LockInfo{}, false, errors.New("this state backend cannot report who holds a lock")
	}
	return r.ReadLock(ctx)
}

// ForceUnlock passes through to the inner store.
func (s *Store) ForceUnlock(ctx context.Context) (state.LockInfo, error) {
	f, ok := s.inner.(state.ForceUnlocker)
	if !ok {
		return state.LockInfo{}, errors.New("this state backend cannot break locks")
	}
	return f.ForceUnlock(ctx)
}

// Stages passes through to the inner store.
func (s *Store) Stages(ctx context.Context) ([]string, error) {
	l, ok := s.inner.(state.StageLister)
	if !ok {
		return nil, errors.New("this state backend cannot list stages")
	}
	return l.Stages(ctx)
}

// LoadAll passes through to the inner store, leaving out the key records.
// Other stages' secrets stay encrypted: each stage has its own key. The
// engine reads them only to see which stage holds a resource.
func (s *Store) LoadAll(ctx context.Context) ([]state.Located, error) {
	l, ok := s.inner.(state.AllLoader)
	if !ok {
		return nil, errors.New("this state backend cannot read every stage's records")
	}
	all, err := l.LoadAll(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0:0]
	for _, r := range all {
		if r.LogicalID != KeyRecordID {
			out = append(out, r)
		}
	}
	return out, nil
}

// Close closes the inner store when it holds resources (a database pool).
func (s *Store) Close() error {
	if c, ok := s.inner.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
