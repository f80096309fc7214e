package secrets

import (
	"context"
	"fmt"

	"github.com/athanor-iac/athanor/internal/walk"
	"github.com/athanor-iac/athanor/state"
)

// outputsID is the place a stage's outputs are sealed for, in place of a
// record's logical ID (see placeOf): an output's ciphertext copied into a
// record, or a record's into the outputs, fails to open. It cannot be a
// logical ID: those do not start with '@'.
const outputsID = "@outputs"

// PutOutputs stores the stage's outputs with every secret among them
// encrypted, as a record's are, under the stage's data key: a stage's
// program that reads them (athanor.ReadOutputs) needs the stage's key for
// those, and nobody needs it for the others. An unchanged secret keeps its
// ciphertext.
func (s *Store) PutOutputs(ctx context.Context, outputs map[string]any) error {
	if !Contains(outputs) {
		return state.PutOutputs(ctx, s.inner, outputs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := s.current(ctx)
	if err != nil {
		return fmt.Errorf("an output holds a secret: %w", err)
	}
	if err := s.rememberOutputs(ctx); err != nil {
		return err
	}
	sealed, err := s.sealMap(k, outputsID, outputs)
	if err != nil {
		return err
	}
	return state.PutOutputs(ctx, s.inner, sealed)
}

// rememberOutputs notes the envelopes of the stored outputs, so that
// PutOutputs keeps those of unchanged secrets. Called with s.mu held.
func (s *Store) rememberOutputs(ctx context.Context) error {
	prev, err := state.LoadOutputs(ctx, s.inner)
	if err != nil {
		return err
	}
	walk.Transform(prev, "", func(ptr string, v any) (any, bool, error) {
		if env, ok := envelopeOf(v); ok {
			s.remember(outputsID+"\x00"+ptr, env)
			return v, true, nil
		}
		return v, false, nil
	})
	return nil
}

// LoadOutputs returns the stage's outputs with their secrets decrypted
// (marked); outputs without secrets need no key.
func (s *Store) LoadOutputs(ctx context.Context) (map[string]any, error) {
	outs, err := state.LoadOutputs(ctx, s.inner)
	if err != nil || !anyEnvelope(outs) {
		return outs, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.readRing(ctx); err != nil {
		return nil, err
	}
	return s.openMap(outputsID, "the stage's outputs", outs)
}

// LoadOutputs reads the outputs of inner's stage, decrypting their secrets
// (if any) with the key the environment configures (CredentialsFromOSEnv):
// what a program reading another stage's outputs, and `athanor state
// outputs --show-secrets`, use. Outputs without secrets need no key.
func LoadOutputs(ctx context.Context, inner state.Store) (map[string]any, error) {
	outs, err := state.LoadOutputs(ctx, inner)
	if err != nil || !anyEnvelope(outs) {
		return outs, err
	}
	creds, err := CredentialsFromOSEnv()
	if err != nil {
		return nil, err
	}
	return NewStore(inner, creds).LoadOutputs(ctx)
}

// RedactStoredOutputs returns stored outputs with every encrypted value
// shown as "(sensitive)", for `athanor state outputs`, which needs no key
// unless asked to show secrets.
func RedactStoredOutputs(outs map[string]any) map[string]any {
	return redactStored(outs)
}
