package localcc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Operation statuses and operations, as Cloud Control names them.
const (
	statusPending          = "PENDING"
	statusInProgress       = "IN_PROGRESS"
	statusSuccess          = "SUCCESS"
	statusFailed           = "FAILED"
	statusCancelInProgress = "CANCEL_IN_PROGRESS"
	statusCancelComplete   = "CANCEL_COMPLETE"

	opCreate = "CREATE"
	opUpdate = "UPDATE"
	opDelete = "DELETE"
)

// How long Cloud Control remembers things (spec section 2).
const (
	requestHistory  = 7 * 24 * time.Hour
	clientTokenLife = 36 * time.Hour
)

func terminal(status string) bool {
	return status == statusSuccess || status == statusFailed || status == statusCancelComplete
}

// resource is one resource the endpoint holds. Once it is stored, its
// Model is replaced, never changed in place (nor what it holds), since a
// save may be encoding it outside the lock (see Server.snapshot).
type resource struct {
	Type       string         `json:"type"`
	Identifier string         `json:"identifier"`
	Account    string         `json:"account,omitempty"`
	Region     string         `json:"region,omitempty"` // empty for global types
	Model      map[string]any `json:"model"`            // everything, write-only properties included
	Seq        uint64         `json:"seq"`
	Created    time.Time      `json:"created"`
}

// request is one resource operation request (a RequestToken). Its Desired
// is fixed when it is submitted, and handlers work on copies of it, since a
// save may be encoding it outside the lock (see Server.snapshot).
type request struct {
	Token       string `json:"token"`
	ClientToken string `json:"clientToken,omitempty"`
	// Fingerprint identifies the request's content, so that a reused
	// ClientToken can be told apart as a retry or a conflict.
	Fingerprint   string         `json:"fingerprint"`
	Operation     string         `json:"operation"`
	TypeName      string         `json:"typeName"`
	Identifier    string         `json:"identifier,omitempty"`
	Account       string         `json:"account,omitempty"`
	Region        string         `json:"region,omitempty"`
	Status        string         `json:"status"`
	EventTime     time.Time      `json:"eventTime"`
	CompleteAt    time.Time      `json:"completeAt"`
	FinishedAt    time.Time      `json:"finishedAt,omitzero"`
	SeenAt        time.Time      `json:"seenAt,omitzero"`
	ErrorCode     string         `json:"errorCode,omitempty"`
	StatusMessage string         `json:"statusMessage,omitempty"`
	Desired       map[string]any `json:"desired,omitempty"`
	ResourceModel string         `json:"resourceModel,omitempty"`
	// LateCancel marks a cancellation that arrived after the handler could
	// stop (Options.LateCancel): the work is done, the status says
	// cancelled.
	LateCancel bool   `json:"lateCancel,omitempty"`
	Seq        uint64 `json:"seq"`
	// rev changes whenever a field above is written (Server.changed), so
	// that a save reuses a finished request's encoding only while the
	// request is as it was encoded. It is not saved.
	rev uint64
}

// progressEvent is the wire form of a ProgressEvent.
type progressEvent struct {
	TypeName        string   `json:"TypeName,omitempty"`
	Identifier      string   `json:"Identifier,omitempty"`
	RequestToken    string   `json:"RequestToken,omitempty"`
	Operation       string   `json:"Operation,omitempty"`
	OperationStatus string   `json:"OperationStatus,omitempty"`
	EventTime       *float64 `json:"EventTime,omitempty"`
	ResourceModel   string   `json:"ResourceModel,omitempty"`
	StatusMessage   string   `json:"StatusMessage,omitempty"`
	ErrorCode       string   `json:"ErrorCode,omitempty"`
	RetryAfter      *float64 `json:"RetryAfter,omitempty"`
}

func epoch(t time.Time) *float64 {
	v := float64(t.UnixMilli()) / 1000
	return &v
}

// scope is the account and region the request was made in.
func (r *request) scope() Scope { return Scope{Account: r.Account, Region: r.Region} }

func (r *request) event() progressEvent {
	return progressEvent{
		TypeName:        r.TypeName,
		Identifier:      r.Identifier,
		RequestToken:    r.Token,
		Operation:       r.Operation,
		OperationStatus: r.Status,
		EventTime:       epoch(r.EventTime),
		ResourceModel:   r.ResourceModel,
		StatusMessage:   r.StatusMessage,
		ErrorCode:       r.ErrorCode,
	}
}

// decodeJSON decodes with numbers kept as json.Number, so integers survive
// exactly through patches, storage and echo.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	// More reports false before a stray '}' or ']', so look for the end of
	// the input itself.
	if off := dec.InputOffset(); !errors.Is(tokenErr(dec), io.EOF) {
		return fmt.Errorf("unexpected data after the JSON value at offset %d", off)
	}
	return nil
}

func tokenErr(dec *json.Decoder) error {
	_, err := dec.Token()
	return err
}

// cloneModel deep-copies decoded JSON.
func cloneModel(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	return cloneValue(m).(map[string]any)
}

func cloneValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = cloneValue(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = cloneValue(e)
		}
		return out
	default:
		return v
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // decoded JSON always encodes
	}
	return string(b)
}
