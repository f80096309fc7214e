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
	old := NewStore(inner, oldCreds)
	recs, err := inner.Load(ctx)
	if err != nil {
		return 0, err
	}
	recs, ring, err := splitKeyring(recs)
	if err != nil {
		return 0, err
	}
	if ring == nil {
		return 0, errors.New("the stage has no encryption key: it holds no secrets, so there is nothing to rekey")
	}
	old.ring, old.read = ring, true
	// Every key must open before anything is written.
	next := &keyring{FormatVersion: keyringFormat}
	for _, wk := range ring.Keys {
		k, err := old.key(wk.ID, "cannot rekey the stage")
		if err != nil {
			return 0, err
		}
		rw, err := k.Wrap(newCreds)
		if err != nil {
			return 0, err
		}
		next.Keys = append(next.Keys, rw)
	}
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
