package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// RecordFormatVersion is the version of the encoding written by EncodeRecord.
// DecodeRecord refuses other versions rather than guess, so that an older
// athanor never rewrites, and so loses fields of, a record written by a newer
// one.
const RecordFormatVersion = 1

// envelope is the stored form of a record. The checksum covers the compact
// JSON of the record, so that truncation or corruption is detected even when
// what is left still parses.
type envelope struct {
	Version int             `json:"version"`
	SHA256  string          `json:"sha256"`
	Record  json.RawMessage `json:"record"`
}

// EncodeRecord returns the stored form of r: pretty-printed JSON
// {"version":1,"sha256":"...","record":{...}}. Backends that store bytes
// should use it, so that every backend detects corruption the same way.
func EncodeRecord(r Record) ([]byte, error) {
	if err := validateRecord(r); err != nil {
		return nil, err
	}
	body, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode record %s: %w", r.LogicalID, err)
	}
	sum := sha256.Sum256(body)
	out, err := json.MarshalIndent(envelope{Version: RecordFormatVersion, SHA256: hex.EncodeToString(sum[:]), Record: body}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode record %s: %w", r.LogicalID, err)
	}
	return append(out, '\n'), nil
}

// envelopeField decodes the envelope's field name, when present, into dst.
func envelopeField(fields map[string]json.RawMessage, name string, dst any) error {
	raw, ok := fields[name]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return fmt.Errorf("not a valid record envelope: %s: %w", name, err)
	}
	return nil
}

// DecodeRecord parses the stored form written by EncodeRecord. It fails if
// the data is truncated, fails its checksum, has an unknown format version or
// unknown fields, or holds an invalid record. Numbers in Props and Outputs
// come back as json.Number. The error does not name where data came from;
// callers add that.
func DecodeRecord(data []byte) (Record, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return Record{}, errors.New("empty record (truncated write?)")
	}
	// Decode the envelope into a map first: encoding/json matches struct
	// fields case-insensitively, and a flipped case bit in a key must count
	// as corruption too.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return Record{}, fmt.Errorf("not a valid record envelope: %w", err)
	}
	for k := range fields {
		if k != "version" && k != "sha256" && k != "record" {
			return Record{}, fmt.Errorf("unexpected field %q in record envelope", k)
		}
	}
	// The envelope's fields are read from the map, not by decoding data
	// again: a run loads thousands of records, and each pass over one
	// costs as much as the rest of its decoding.
	env := envelope{Record: fields["record"]}
	if err := envelopeField(fields, "version", &env.Version); err != nil {
		return Record{}, err
	}
	if err := envelopeField(fields, "sha256", &env.SHA256); err != nil {
		return Record{}, err
	}
	if env.Version != RecordFormatVersion {
		return Record{}, fmt.Errorf("record format version %d is not supported (this athanor reads version %d; written by a newer athanor?)", env.Version, RecordFormatVersion)
	}
	if len(env.Record) == 0 || string(env.Record) == "null" || env.SHA256 == "" {
		return Record{}, errors.New("record envelope lacks its record or checksum")
	}
	var body bytes.Buffer
	if err := json.Compact(&body, env.Record); err != nil {
		return Record{}, fmt.Errorf("record is not valid JSON: %w", err)
	}
	sum := sha256.Sum256(body.Bytes())
	if hex.EncodeToString(sum[:]) != env.SHA256 {
		return Record{}, errors.New("record checksum mismatch: the record was changed or corrupted after it was written")
	}
	dec := json.NewDecoder(&body)
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var r Record
	if err := dec.Decode(&r); err != nil {
		return Record{}, fmt.Errorf("decode record: %w", err)
	}
	if err := validateRecord(r); err != nil {
		return Record{}, err
	}
	return r, nil
}

// validateRecord catches records the engine should never write, before they
// reach storage, and the same mistakes made by hand-edited files.
func validateRecord(r Record) error {
	if err := ValidateLogicalID(r.LogicalID); err != nil {
		return err
	}
	if r.Type == "" {
		return fmt.Errorf("record %s has no resource type", r.LogicalID)
	}
	if err := validateIntent(r.Pending); err != nil {
		return fmt.Errorf("record %s: pending: %w", r.LogicalID, err)
	}
	for i, s := range r.Superseded {
		if s.Identifier == "" {
			return fmt.Errorf("record %s: superseded[%d] has no identifier", r.LogicalID, i)
		}
		if err := validateIntent(s.Pending); err != nil {
			return fmt.Errorf("record %s: superseded[%d]: pending: %w", r.LogicalID, i, err)
		}
	}
	return nil
}

func validateIntent(in *Intent) error {
	if in == nil {
		return nil
	}
	switch in.Operation {
	case OpCreate, OpUpdate, OpDelete:
	default:
		return fmt.Errorf("unknown operation %q (want %s, %s or %s)", in.Operation, OpCreate, OpUpdate, OpDelete)
	}
	if in.ClientToken == "" {
		return errors.New("intent has no client token")
	}
	return nil
}
