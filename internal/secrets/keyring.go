package secrets

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/athanor-iac/athanor/state"
)

// keyring is what the key record holds: the stage's wrapped data keys and
// which one encrypts new values. It holds more than one only while a
// rotation is under way (a run killed then leaves values under both).
type keyring struct {
	FormatVersion int          `json:"formatVersion"`
	Current       string       `json:"current"`
	Keys          []WrappedKey `json:"keys"`
}

const keyringFormat = 1

func (r *keyring) find(id string) (WrappedKey, bool) {
	for _, k := range r.Keys {
		if k.ID == id {
			return k, true
		}
	}
	return WrappedKey{}, false
}

// record is the keyring as a state record.
func (r *keyring) record() (state.Record, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return state.Record{}, err
	}
	var props map[string]any
	if err := json.Unmarshal(b, &props); err != nil {
		return state.Record{}, err
	}
	return state.Record{LogicalID: KeyRecordID, Type: KeyRecordType, Props: props, UpdatedAt: time.Now().UTC()}, nil
}

// keyringOf reads the keyring from its record.
func keyringOf(rec state.Record) (*keyring, error) {
	b, err := json.Marshal(rec.Props)
	if err != nil {
		return nil, err
	}
	var r keyring
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, &CorruptError{Where: "record " + KeyRecordID, Err: err}
	}
	if r.FormatVersion != keyringFormat {
		return nil, fmt.Errorf("record %s has key format %d; this athanor reads %d (written by a newer athanor?)", KeyRecordID, r.FormatVersion, keyringFormat)
	}
	if _, ok := r.find(r.Current); !ok {
		return nil, &CorruptError{Where: "record " + KeyRecordID, Err: fmt.Errorf("current key %q is not among its keys", r.Current)}
	}
	return &r, nil
}

// splitKeyring takes the key record out of a stage's records.
func splitKeyring(recs []state.Record) ([]state.Record, *keyring, error) {
	for i, r := range recs {
		if r.LogicalID != KeyRecordID {
			continue
		}
		ring, err := keyringOf(r)
		if err != nil {
			return nil, nil, err
		}
		out := append(append([]state.Record(nil), recs[:i]...), recs[i+1:]...)
		return out, ring, nil
	}
	return recs, nil, nil
}
