package state

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// OutputStore is implemented by stores that keep a stage's outputs: the
// named values a program publishes with App.Output, for people (athanor
// state outputs) and for other stages' programs (athanor.ReadOutputs).
// Outputs live beside the records, one document per stage, replaced whole
// by each run that completes.
type OutputStore interface {
	// PutOutputs replaces the stage's outputs; nil or empty removes them.
	PutOutputs(ctx context.Context, outputs map[string]any) error
	// LoadOutputs returns the stage's outputs; none is an empty map.
	LoadOutputs(ctx context.Context) (map[string]any, error)
}

// ErrNoOutputs is returned for a store that cannot keep outputs.
var ErrNoOutputs = errors.New("this state store does not keep outputs")

// PutOutputs replaces the outputs of s's stage.
func PutOutputs(ctx context.Context, s Store, outputs map[string]any) error {
	o, ok := s.(OutputStore)
	if !ok {
		return ErrNoOutputs
	}
	return o.PutOutputs(ctx, outputs)
}

// LoadOutputs reads the outputs of s's stage.
func LoadOutputs(ctx context.Context, s Store) (map[string]any, error) {
	o, ok := s.(OutputStore)
	if !ok {
		return nil, ErrNoOutputs
	}
	return o.LoadOutputs(ctx)
}

// outputsDoc is the stored form of a stage's outputs.
type outputsDoc struct {
	FormatVersion int            `json:"formatVersion"`
	Outputs       map[string]any `json:"outputs"`
}

// EncodeOutputs is the stored form of outputs, for stores.
func EncodeOutputs(outputs map[string]any) ([]byte, error) {
	if outputs == nil {
		outputs = map[string]any{}
	}
	data, err := json.MarshalIndent(outputsDoc{FormatVersion: 1, Outputs: outputs}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode outputs: %w", err)
	}
	return append(data, '\n'), nil
}

// DecodeOutputs reads what EncodeOutputs wrote; where names it in errors.
func DecodeOutputs(data []byte, where string) (map[string]any, error) {
	var d outputsDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("the outputs in %s are not valid JSON (%v); run up again to rewrite them", where, err)
	}
	if d.FormatVersion != 1 {
		return nil, fmt.Errorf("the outputs in %s have format version %d, which this athanor does not know: upgrade athanor", where, d.FormatVersion)
	}
	if d.Outputs == nil {
		d.Outputs = map[string]any{}
	}
	return d.Outputs, nil
}

var _ OutputStore = (*managed)(nil)

// PutOutputs forwards to the backend, refusing once the lineage it saw
// was replaced, as every write does.
func (m *managed) PutOutputs(ctx context.Context, outputs map[string]any) error {
	if err := m.failed(); err != nil {
		return err
	}
	o, ok := m.b.(OutputStore)
	if !ok {
		return ErrNoOutputs
	}
	return o.PutOutputs(ctx, outputs)
}

// LoadOutputs forwards to the backend.
func (m *managed) LoadOutputs(ctx context.Context) (map[string]any, error) {
	o, ok := m.b.(OutputStore)
	if !ok {
		return nil, ErrNoOutputs
	}
	return o.LoadOutputs(ctx)
}
