package athanor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/athanor-iac/athanor/internal/secrets"
	"github.com/athanor-iac/athanor/state"
)

// Output publishes a named value of the stage: a VPC's ID, a bucket's
// name, anything JSON can encode. A run of up that completes records the
// program's outputs in the stage's state (replacing the last run's), and
// prints them. `athanor state outputs` shows them, and another stage's
// program reads them with [ReadOutputs]. Names follow the logical ID rule
// (letters, digits, '-', '_', '.'); declaring one name twice is an error.
//
// While planning, a value may be unknown (see [IsUnknown]); it is known
// by the time up records it.
//
// A value that holds a secret ([Secret], or a secret property of a
// resource) is stored encrypted with the stage's key, as secret
// properties are, and shown as "(sensitive)"; it needs a key configured
// (ATHANOR_PASSPHRASE or age keys, docs/secrets.md), and so does a program
// that reads it with [ReadOutputs].
func (a *App) Output(name string, value any) {
	if err := state.ValidateLogicalID(name); err != nil {
		a.fail(fmt.Errorf("output %q: use letters, digits, '-', '_' and '.', at most 128, not starting with '.'", name))
		return
	}
	v, err := jsonValue(value)
	if err != nil && !IsUnknown(value) {
		a.fail(fmt.Errorf("output %q: %w", name, err))
		return
	}
	if IsUnknown(value) {
		v = value
	}
	if secrets.Contains(v) {
		if err := a.eng.SealReady(); err != nil {
			a.fail(secretOutputError(name, err))
			return
		}
	}
	a.outMu.Lock()
	defer a.outMu.Unlock()
	if a.outputs == nil {
		a.outputs = map[string]any{}
	}
	if _, dup := a.outputs[name]; dup {
		a.fail(fmt.Errorf("output %q is declared twice; give each output its own name", name))
		return
	}
	a.outputs[name] = v
}

// secretOutputError says why the secret output name cannot be stored.
func secretOutputError(name string, err error) error {
	var missing *secrets.MissingKeyError
	if errors.As(err, &missing) {
		m := *missing
		m.Why = fmt.Sprintf("output %q holds a secret", name)
		return &m
	}
	return fmt.Errorf("output %q holds a secret: %w", name, err)
}

// jsonValue is v as plain JSON values, as it is stored and read back.
func jsonValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("the value cannot be encoded as JSON: %w", err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// recordedOutputs returns the outputs declared so far.
func (a *App) recordedOutputs() map[string]any {
	a.outMu.Lock()
	defer a.outMu.Unlock()
	out := make(map[string]any, len(a.outputs))
	for k, v := range a.outputs {
		out[k] = v
	}
	return out
}

// ReadOutputs returns the outputs that the last up of app's stage
// recorded in the state at stateURL ("" means what programs use:
// $ATHANOR_STATE, else file://.athanor), so that one stage's program can
// use another's: a network stage's VPC ID in an application stage. It
// needs no lock, and a stage that recorded none has an empty map.
// Numbers are float64, as in [Resource.Properties].
//
// Secret outputs are returned marked as secrets (see [IsSecret]),
// decrypted with the key the environment configures for that stage
// (ATHANOR_PASSPHRASE, or ATHANOR_AGE_IDENTITY_FILE); outputs without
// secrets need none.
//
//	net, err := athanor.ReadOutputs(app.Context(), "", "network", "prod")
//	vpcID, _ := net["vpcId"].(string)
func ReadOutputs(ctx context.Context, stateURL, app, stage string) (map[string]any, error) {
	url, err := state.CheckURL(state.ResolveURL(stateURL))
	if err != nil {
		return nil, err
	}
	if err := state.ValidateLogicalID(stage); err != nil {
		return nil, fmt.Errorf("stage %q: use letters, digits, '-', '_' and '.'", stage)
	}
	s, err := state.Open(ctx, url, app, stage)
	if err != nil {
		return nil, err
	}
	if c, ok := s.(io.Closer); ok {
		defer c.Close()
	}
	outs, err := secrets.LoadOutputs(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("read the outputs of %s stage %s in %s: %w", app, stage, state.Redact(url), err)
	}
	return outs, nil
}
