package state_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/state"
	"github.com/athanor-iac/athanor/state/statetest"
)

// TestDecodeRecordEveryBitFlip flips each bit of an encoded record in turn:
// every single-bit corruption must be refused, including those that leave
// valid JSON.
func TestDecodeRecordEveryBitFlip(t *testing.T) {
	data, err := state.EncodeRecord(statetest.Sample("FlowLog"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := state.DecodeRecord(data); err != nil {
		t.Fatalf("DecodeRecord of a valid encoding: %v", err)
	}
	for i := range data {
		for bit := range 8 {
			b := bytes.Clone(data)
			b[i] ^= 1 << bit
			if _, err := state.DecodeRecord(b); err == nil {
				t.Fatalf("flipping bit %d of byte %d (%q) went undetected", bit, i, data[i])
			}
		}
	}
	for n := range len(data) - 1 { // every truncation but the final newline
		if _, err := state.DecodeRecord(data[:n]); err == nil {
			t.Fatalf("truncation to %d of %d bytes went undetected", n, len(data))
		}
	}
}

func TestDecodeRecordRefusals(t *testing.T) {
	for name, in := range map[string]string{
		"other version": `{"version":2,"sha256":"x","record":{}}`,
		"extra field":   `{"version":1,"sha256":"x","record":{},"note":1}`,
		"no checksum":   `{"version":1,"record":{"logicalId":"a","type":"T"}}`,
		"not an object": `[1,2]`,
		"trailing data": `{"version":1,"sha256":"x","record":{}} {}`,
	} {
		if _, err := state.DecodeRecord([]byte(in)); err == nil {
			t.Errorf("%s: DecodeRecord(%s) succeeded", name, in)
		}
	}
	// A newer athanor's field, or a missing required one, fails even with a
	// correct checksum.
	for _, body := range []string{`{"logicalId":"a","type":"T","updatedAt":"0001-01-01T00:00:00Z","future":1}`, `{"logicalId":"a"}`} {
		if _, err := state.DecodeRecord(envelope(body)); err == nil {
			t.Errorf("DecodeRecord of record %s succeeded", body)
		}
	}
	if _, err := state.DecodeRecord(envelope(`{"logicalId":"a","type":"T","updatedAt":"0001-01-01T00:00:00Z"}`)); err != nil {
		t.Errorf("DecodeRecord of a hand-built envelope: %v", err)
	}
}

func TestEncodeRecordValidates(t *testing.T) {
	bad := []state.Record{
		{LogicalID: "a/b", Type: "T"},
		{LogicalID: "a"},
		{LogicalID: "a", Type: "T", Pending: &state.Intent{Operation: "PATCH", ClientToken: "t"}},
		{LogicalID: "a", Type: "T", Pending: &state.Intent{Operation: state.OpCreate}},
		{LogicalID: "a", Type: "T", Superseded: []state.Superseded{{}}},
	}
	for _, r := range bad {
		if _, err := state.EncodeRecord(r); err == nil {
			t.Errorf("EncodeRecord(%+v) succeeded", r)
		}
	}
}

func envelope(body string) []byte {
	sum := sha256hex(body)
	return []byte(`{"version":1,"sha256":"` + sum + `","record":` + body + `}`)
}

func FuzzDecodeRecord(f *testing.F) {
	for _, r := range []state.Record{statetest.Sample("FlowLog"), {LogicalID: "a", Type: "AWS::S3::Bucket"}} {
		data, err := state.EncodeRecord(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Add(envelope(`{"logicalId":"a","type":"T","props":{"n":1e400,"s":"\ud800"},"updatedAt":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"version":1,"sha256":"","record":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := state.DecodeRecord(data)
		if err != nil {
			if err.Error() == "" || strings.Contains(err.Error(), "%!") {
				t.Fatalf("badly formatted error %q", err)
			}
			return
		}
		// Anything accepted must re-encode, and decode to the same record.
		again, err := state.EncodeRecord(r)
		if err != nil {
			t.Fatalf("re-encoding an accepted record: %v", err)
		}
		r2, err := state.DecodeRecord(again)
		if err != nil {
			t.Fatalf("decoding a re-encoded record: %v", err)
		}
		if !statetest.Equal(r, r2) {
			t.Fatalf("round trip changed the record: %+v != %+v", r, r2)
		}
	})
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
