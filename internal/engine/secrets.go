package engine

import (
	"errors"
	"fmt"
	"strings"

	"github.com/athanor-iac/athanor/internal/secrets"
	"github.com/athanor-iac/athanor/schema"
	"github.com/athanor-iac/athanor/state"
)

// Secrets travel through the engine as marked strings (internal/secrets):
// declared props are marked where the schema implies a secret, what AWS
// returns is marked where it echoes one, the provider strips the marks as
// it sends, the state store encrypts marked values, and whatever leaves
// the engine for people (plans, drift, errors) is redacted.

// errNoSealing is the problem of a secret declared to a store that does not
// encrypt secrets.
var errNoSealing = errors.New("this resource holds a secret, but the state store does not encrypt secrets (open it through internal/secrets.NewStore)")

// secretProblems returns the problems of a declaration's secrets: no key to
// encrypt them with, or a secret where it cannot stay one.
func (e *Engine) secretProblems(d Declaration) []string {
	var probs []string
	if d.LogicalID == secrets.KeyRecordID {
		probs = append(probs, fmt.Sprintf("logical ID %q is reserved for the stage's encryption keys; choose another", d.LogicalID))
	}
	sc, _ := schema.Default().Lookup(d.Type)
	if !secrets.Contains(d.Props) {
		// A secret AWS makes (a user pool client's ClientSecret) needs
		// the key as much as one the program declares.
		if readsSecrets(sc) {
			if err := e.sealReady(); err != nil {
				var missing *secrets.MissingKeyError
				if errors.As(err, &missing) {
					m := *missing
					m.Why = fmt.Sprintf("AWS returns a secret for this type (%s)", strings.Join(secrets.SchemaPaths(d.Type), ", "))
					err = &m
				}
				probs = append(probs, err.Error())
			}
		}
		return probs
	}
	if err := e.sealReady(); err != nil {
		probs = append(probs, err.Error())
	}
	if sc != nil {
		for _, name := range sc.PrimaryIdentifierNames() {
			if secrets.Contains(d.Props[name]) {
				probs = append(probs, fmt.Sprintf("%s holds a secret, but it forms the resource's identifier, which state, plans and AWS's own listings show in plain text: do not mark it secret", name))
			}
		}
	}
	return probs
}

// readsSecrets reports whether AWS returns a secret of the type by itself:
// a read-only property the schema implies is secret.
func readsSecrets(sc *schema.Schema) bool {
	if sc == nil {
		return false
	}
	for _, p := range secrets.SchemaPaths(sc.TypeName) {
		if sc.IsReadOnly("/properties" + p) {
			return true
		}
	}
	return false
}

// SealReady reports whether the run's state store can encrypt secrets: a
// key is configured and opens the stage's. The program's stage outputs
// ask it while planning, as declarations do, so that a secret output with
// no key stops the run before anything is sent.
func (e *Engine) SealReady() error { return e.sealReady() }

// sealReady asks the store, once per engine, whether it can encrypt.
func (e *Engine) sealReady() error {
	e.sealOnce.Do(func() {
		s, ok := e.opts.Store.(secrets.Sealer)
		if !ok {
			e.sealErr = errNoSealing
			return
		}
		e.sealErr = s.SealReady()
	})
	return e.sealErr
}

// scrubberFor scrubs the secret values of the given props from errors.
func scrubberFor(props ...map[string]any) secrets.Scrubber {
	plains := map[string]bool{}
	for _, p := range props {
		secrets.Plaintexts(p, plains)
	}
	return secrets.NewScrubber(plains)
}

// recordScrubber scrubs every secret a record holds.
func recordScrubber(rec *state.Record) secrets.Scrubber {
	ps := []map[string]any{rec.Props}
	if rec.Pending != nil {
		ps = append(ps, rec.Pending.Props)
	}
	for _, s := range rec.Superseded {
		ps = append(ps, s.Props)
	}
	return scrubberFor(ps...)
}

// markOutputs marks in what AWS returned for a record the secrets its
// schema implies and the copies of secrets its props (and the declared
// props, when given) hold.
func markOutputs(rec *state.Record, outputs map[string]any, declared ...map[string]any) map[string]any {
	if outputs == nil {
		return nil
	}
	outputs = secrets.MarkSchema(rec.Type, outputs)
	plains := map[string]bool{}
	secrets.Plaintexts(rec.Props, plains)
	if rec.Pending != nil {
		secrets.Plaintexts(rec.Pending.Props, plains)
	}
	for _, d := range declared {
		secrets.Plaintexts(d, plains)
	}
	if len(plains) == 0 {
		return outputs
	}
	m, _ := secrets.MarkKnown(outputs, plains).(map[string]any)
	return m
}

// redactDiffs replaces secret values in diffs by "(sensitive)", marking
// them Sensitive, so that plans and drift never show a secret.
func redactDiffs(ds []PropDiff) []PropDiff {
	var out []PropDiff
	for i, d := range ds {
		if !secrets.Contains(d.Before) && !secrets.Contains(d.After) {
			continue
		}
		if out == nil {
			out = append([]PropDiff(nil), ds...)
		}
		out[i].Before, out[i].After, out[i].Sensitive = secrets.Redact(d.Before), secrets.Redact(d.After), true
	}
	if out == nil {
		return ds
	}
	return out
}

// scrubProblems scrubs secret values from validation messages, which quote
// the values they reject.
func scrubProblems(msgs []string, s secrets.Scrubber) []string {
	for i, m := range msgs {
		msgs[i] = s.String(m)
	}
	return msgs
}
