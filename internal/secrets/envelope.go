package secrets

import (
	"github.com/athanor-iac/athanor/internal/walk"
	"github.com/athanor-iac/athanor/state"
)

// envelopeKey is the one key of the object that stands for an encrypted
// value in a stored record: {"@secret": {"kid": ..., "fp": ..., "ct": ...}}.
// No CloudFormation property is named so.
const envelopeKey = "@secret"

// envelopeOf reports whether v is a stored envelope, and returns it.
func envelopeOf(v any) (Envelope, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return Envelope{}, false
	}
	inner, ok := m[envelopeKey].(map[string]any)
	if !ok {
		return Envelope{}, false
	}
	kid, _ := inner["kid"].(string)
	fp, _ := inner["fp"].(string)
	ct, _ := inner["ct"].(string)
	return Envelope{KeyID: kid, Fingerprint: fp, Ciphertext: ct}, ct != ""
}

func (e Envelope) value() map[string]any {
	return map[string]any{envelopeKey: map[string]any{"kid": e.KeyID, "fp": e.Fingerprint, "ct": e.Ciphertext}}
}

// eachSection applies fn to every property map of a record (props,
// outputs, the pending intent's props, the superseded resources' props),
// copying the parts of the record it changes, never the caller's.
func eachSection(rec *state.Record, fn func(m map[string]any) (map[string]any, error)) error {
	var err error
	apply := func(m map[string]any) map[string]any {
		if err != nil || m == nil {
			return m
		}
		var out map[string]any
		out, err = fn(m)
		return out
	}
	rec.Props = apply(rec.Props)
	rec.Outputs = apply(rec.Outputs)
	if rec.Pending != nil && rec.Pending.Props != nil {
		p := *rec.Pending
		p.Props = apply(p.Props)
		rec.Pending = &p
	}
	if len(rec.Superseded) > 0 {
		sup := append([]state.Superseded(nil), rec.Superseded...)
		for i := range sup {
			sup[i].Props = apply(sup[i].Props)
			if sup[i].Pending != nil && sup[i].Pending.Props != nil {
				p := *sup[i].Pending
				p.Props = apply(p.Props)
				sup[i].Pending = &p
			}
		}
		rec.Superseded = sup
	}
	return err
}

// HasSecrets reports whether a loaded record holds a secret (marked in
// memory).
func HasSecrets(rec state.Record) bool {
	for _, m := range sections(rec) {
		if Contains(m) {
			return true
		}
	}
	return false
}

// hasEnvelopes reports whether a stored record holds an encrypted value.
func hasEnvelopes(rec state.Record) bool {
	for _, m := range sections(rec) {
		if anyEnvelope(m) {
			return true
		}
	}
	return false
}

// sections returns the property maps of a record that eachSection visits,
// for tests that only read.
func sections(rec state.Record) []map[string]any {
	out := []map[string]any{rec.Props, rec.Outputs}
	if rec.Pending != nil {
		out = append(out, rec.Pending.Props)
	}
	for _, s := range rec.Superseded {
		out = append(out, s.Props)
		if s.Pending != nil {
			out = append(out, s.Pending.Props)
		}
	}
	return out
}

// anyEnvelope reports whether v holds an envelope: the test Load makes of
// every record, so it builds no pointers.
func anyEnvelope(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := envelopeOf(v); ok {
			return true
		}
		for _, e := range v {
			if anyEnvelope(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if anyEnvelope(e) {
				return true
			}
		}
	}
	return false
}

// RedactStored returns a stored record with every envelope replaced by
// "(sensitive)", for `athanor state show`, which needs no key.
func RedactStored(rec state.Record) state.Record {
	eachSection(&rec, func(m map[string]any) (map[string]any, error) {
		return redactStored(m), nil
	})
	return rec
}

// redactStored returns m with every envelope, and every marked string,
// replaced by "(sensitive)".
func redactStored(m map[string]any) map[string]any {
	out, _ := walk.Map(m, func(v any) (any, bool) {
		if _, ok := envelopeOf(v); ok {
			return Redacted, true
		}
		if s, ok := v.(string); ok && IsMarked(s) {
			return Redacted, true
		}
		return v, false
	})
	r, _ := out.(map[string]any)
	return r
}
