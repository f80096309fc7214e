package secrets

import (
	"context"
	"errors"
	"fmt"

	"github.com/athanor-iac/athanor/state"
)

// Rekey gives a stage a new data key, wrapped with newCreds, and
// re-encrypts every secret (of its records and its outputs) under it; oldCreds open the current keys. It
// returns the number of records re-encrypted. The caller holds the
// stage's lock.
//
// A crash at any point leaves a readable stage: the new key is stored
// first, beside the old ones rewrapped with newCreds, so that records
// still under an old key open with newCreds too; the old keys are dropped
// only after the last record is rewritten. Running Rekey again finishes
// the job.
func Rekey(ctx context.Context, inner state.Store, oldCreds, newCreds Credentials) (int, error) {
	if !newCreds.Configured() || newCreds.method() == "" {
		return 0, &MissingKeyError{Why: "a new key is to be made"}
	}
	old, recs, err := openKeyed(ctx, inner, oldCreds, "rekey")
	if err != nil {
		return 0, err
	}
	// Every key must open before anything is written.
	rewrapped, err := old.rewrapped(newCreds, "cannot rekey the stage")
	if err != nil {
		return 0, err
	}
	next := &keyring{FormatVersion: keyringFormat, Keys: rewrapped}
	var sealedRecs []state.Record
	for _, r := range recs {
		if hasEnvelopes(r) {
			if err := old.openRecord(&r); err != nil {
				return 0, err
			}
			sealedRecs = append(sealedRecs, r)
		}
	}
	outs, err := old.LoadOutputs(ctx)
	if err != nil && !errors.Is(err, state.ErrNoOutputs) {
		return 0, err
	}
	k, err := NewKey()
	if err != nil {
		return 0, err
	}
	wk, err := k.Wrap(newCreds)
	if err != nil {
		return 0, err
	}
	next.Keys, next.Current = append(next.Keys, wk), k.ID
	if err := putRing(ctx, inner, next); err != nil {
		return 0, err
	}
	fresh := NewStore(inner, newCreds)
	fresh.ring, fresh.read, fresh.keys[k.ID] = next, true, k
	for _, r := range sealedRecs {
		if err := fresh.Put(ctx, r); err != nil {
			return 0, fmt.Errorf("re-encrypt record %s: %w", r.LogicalID, err)
		}
	}
	if Contains(outs) {
		if err := fresh.PutOutputs(ctx, outs); err != nil {
			return 0, fmt.Errorf("re-encrypt the stage's outputs: %w", err)
		}
	}
	final := &keyring{FormatVersion: keyringFormat, Current: k.ID, Keys: []WrappedKey{wk}}
	if err := putRing(ctx, inner, final); err != nil {
		return 0, err
	}
	return len(sealedRecs), nil
}

func putRing(ctx context.Context, inner state.Store, r *keyring) error {
	rec, err := r.record()
	if err != nil {
		return err
	}
	if err := inner.Put(ctx, rec); err != nil {
		return fmt.Errorf("save the stage's encryption keys: %w", err)
	}
	return nil
}

// Rewrap wraps the stage's data keys with newCreds instead of what wraps
// them now (oldCreds open them), and re-encrypts nothing: the values keep
// their ciphertexts, and the one record written is the key record, so the
// change is done at once or not at all. It returns the number of data keys
// rewrapped. The caller holds the stage's lock.
//
// Rewrapping changes who can open the stage from now on, not what anyone
// who held the data key can read: after removing someone's age key or
// after a passphrase may have leaked, Rekey instead.
func Rewrap(ctx context.Context, inner state.Store, oldCreds, newCreds Credentials) (int, error) {
	if !newCreds.Configured() || newCreds.method() == "" {
		return 0, &MissingKeyError{Why: "the stage's key is to be rewrapped"}
	}
	old, _, err := openKeyed(ctx, inner, oldCreds, "rewrap")
	if err != nil {
		return 0, err
	}
	rewrapped, err := old.rewrapped(newCreds, "cannot rewrap the stage's key")
	if err != nil {
		return 0, err
	}
	return len(rewrapped), putRing(ctx, inner, &keyring{FormatVersion: keyringFormat, Current: old.ring.Current, Keys: rewrapped})
}

// openKeyed reads the stage's records and keys into a store that opens them
// with creds, for a change of keys (what names it in errors); it returns
// the records without the key record, still encrypted.
func openKeyed(ctx context.Context, inner state.Store, creds Credentials, what string) (*Store, []state.Record, error) {
	recs, err := inner.Load(ctx)
	if err != nil {
		return nil, nil, err
	}
	recs, ring, err := splitKeyring(recs)
	if err != nil {
		return nil, nil, err
	}
	if ring == nil {
		return nil, nil, fmt.Errorf("the stage has no encryption key: it holds no secrets, so there is nothing to %s", what)
	}
	s := NewStore(inner, creds)
	s.ring, s.read = ring, true
	return s, recs, nil
}

// rewrapped returns every data key of the store's ring wrapped with creds;
// why says what failed when one does not open. Called with the ring read.
func (s *Store) rewrapped(creds Credentials, why string) ([]WrappedKey, error) {
	var out []WrappedKey
	for _, wk := range s.ring.Keys {
		k, err := s.key(wk.ID, why)
		if err != nil {
			return nil, err
		}
		rw, err := k.Wrap(creds)
		if err != nil {
			return nil, err
		}
		out = append(out, rw)
	}
	return out, nil
}
