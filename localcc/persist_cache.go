package localcc

import (
	"encoding/json"
)

// encodedRequest is a finished request's JSON as a save encoded it, and the
// revision of the request it was encoded from.
type encodedRequest struct {
	rev  uint64
	json []byte
}

// changed gives r a new revision. Every write to a request's fields calls
// it, with s.mu held, so that a save never reuses an encoding of an older
// state of the request. Revisions come from one counter for the whole
// server, so that two requests never share one.
func (s *Server) changed(r *request) {
	s.revs++
	r.rev = s.revs
}

// encode is json.Marshal(snap), byte for byte, reusing the encodings of
// the finished requests that have not changed since the last save: at
// a few thousand requests, most of them finished long ago, encoding them
// again was most of a save's work. Called with s.saveMu held, which
// guards the encodings kept.
func (s *Server) encode(snap snapshot) ([]byte, error) {
	// The snapshot's fields, in their order, around its requests.
	head, err := json.Marshal(struct {
		Version   int         `json:"version"`
		Seq       uint64      `json:"seq"`
		Resources []*resource `json:"resources"`
	}{snap.Version, snap.Seq, snap.Resources})
	if err != nil {
		return nil, err
	}
	tail, err := json.Marshal(struct {
		EC2Calls []EC2Call  `json:"ec2Calls,omitempty"`
		Sessions []*session `json:"sessions,omitempty"`
	}{snap.EC2Calls, snap.Sessions})
	if err != nil {
		return nil, err
	}
	kept := make(map[string]encodedRequest, len(snap.Requests))
	encs := make([][]byte, len(snap.Requests))
	size := len(head) + len(tail) + len(`,"requests":null`)
	for i, r := range snap.Requests {
		enc, ok := s.encoded[r.Token]
		if !ok || enc.rev != r.rev {
			b, err := json.Marshal(r)
			if err != nil {
				return nil, err
			}
			enc = encodedRequest{rev: r.rev, json: b}
		}
		// Only finished requests are kept: the others change as soon as
		// their time comes.
		if terminal(r.Status) {
			kept[r.Token] = enc
		}
		encs[i] = enc.json
		size += len(enc.json) + 1
	}
	// One allocation for the file: growing it as it is written copied
	// its megabytes several times.
	out := make([]byte, 0, size)
	out = append(append(out, head[:len(head)-1]...), `,"requests":`...)
	if snap.Requests == nil {
		out = append(out, "null"...)
	} else {
		out = append(out, '[')
	}
	for i, b := range encs {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, b...)
	}
	if snap.Requests != nil {
		out = append(out, ']')
	}
	if len(tail) > 2 {
		out = append(append(out, ','), tail[1:]...)
	} else {
		out = append(out, '}')
	}
	s.encoded = kept
	return out, nil
}
