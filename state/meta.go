package state

import (
	"context"
	"errors"
	"fmt"
)

// Meta identifies a stage's state as a whole. Lineage is a random ID chosen
// when the stage's state is first locked at a location and kept when it is
// copied elsewhere; Serial counts the runs that locked it. They follow
// Terraform's rule: with the same lineage, a higher serial is newer; states
// of different lineages are different histories and cannot be compared.
//
// The bookkeeping is done once, above the backends, by the store Open
// returns: Lock bumps the serial (creating the lineage the first time), and
// a handle that has seen one lineage refuses to go on with another (see
// LineageError). Backends only store the two values (see MetaStore).
type Meta struct {
	Lineage string `json:"lineage"`
	Serial  int64  `json:"serial"`
}

// MetaStore is what a backend must implement, besides Store, to keep a
// stage's Meta. Backends store the values and compare them; they never
// choose a lineage or bump a serial themselves.
type MetaStore interface {
	// ReadMeta returns the stage's Meta, and false if none was written yet.
	ReadMeta(ctx context.Context) (Meta, bool, error)
	// WriteMeta replaces the stage's Meta with next if it still holds prev
	// (prev zero: if it holds none), and returns ErrMetaChanged otherwise,
	// so that two writers cannot both bump from the same serial.
	WriteMeta(ctx context.Context, prev, next Meta) error
}

// ErrMetaChanged is returned by MetaStore.WriteMeta when the stored Meta is
// no longer the one the caller read.
var ErrMetaChanged = errors.New("the stage's lineage and serial changed since they were read")

// LineageError is returned when a handle that has seen a stage's state of
// one lineage finds another at the same location: the state was replaced
// (deleted and started again, or overwritten with `athanor state migrate
// --force`) while the handle was in use. Writing on would mix two histories,
// so the store refuses every write from then on. Test for it with errors.As.
type LineageError struct {
	Stage      string
	Want, Have string // the lineage the handle saw first, and the one stored now
}

// Error says what happened and what to do.
func (e *LineageError) Error() string {
	return fmt.Sprintf("state of stage %s was replaced while this run used it (lineage %s, now %s); nothing more is written: run the command again to work from the state as it is now",
		e.Stage, short(e.Want), short(e.Have))
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	if id == "" {
		return "none"
	}
	return id
}

// CurrentMeta returns the Meta a store returned by Open last saw (at Lock
// or Load), and false if it has seen none yet or s was not returned by Open.
// A store that wraps one returned by Open (the encrypting store of
// internal/secrets) is looked through, by its Unwrap method.
// Commands show it, and `athanor state migrate` carries it to the copy.
func CurrentMeta(s Store) (Meta, bool) {
	m, ok := managedOf(s)
	if !ok {
		return Meta{}, false
	}
	return m.meta()
}

// managedOf finds the store Open returned in s, looking through wrappers
// that tell what they wrap (an Unwrap method).
func managedOf(s Store) (*managed, bool) {
	for {
		if m, ok := s.(*managed); ok {
			return m, true
		}
		u, ok := s.(interface{ Unwrap() Store })
		if !ok {
			return nil, false
		}
		s = u.Unwrap()
	}
}

// AdoptMeta gives the stage of dst the lineage of from, for `athanor state
// migrate`: a copy of a stage's state keeps its lineage, so that it can be
// compared with the source, and its serial becomes higher than both. Call
// it holding dst's lock, with dst returned by Open. Other handles that have
// seen dst's former lineage refuse to write from then on.
func AdoptMeta(ctx context.Context, dst Store, from Meta) error {
	m, ok := managedOf(dst)
	if !ok {
		return fmt.Errorf("state.AdoptMeta needs a store returned by state.Open, not %T", dst)
	}
	if from.Lineage == "" {
		return errors.New("state.AdoptMeta: the source has no lineage")
	}
	for attempt := 0; ; attempt++ {
		cur, ok, err := m.ms.ReadMeta(ctx)
		if err != nil {
			return fmt.Errorf("read the lineage and serial of stage %s: %w", m.stage, err)
		}
		if !ok {
			cur = Meta{}
		}
		next := Meta{Lineage: from.Lineage, Serial: max(cur.Serial, from.Serial) + 1}
		err = m.ms.WriteMeta(ctx, cur, next)
		if errors.Is(err, ErrMetaChanged) && attempt < 3 {
			continue
		}
		if err != nil {
			return fmt.Errorf("write the lineage and serial of stage %s: %w", m.stage, err)
		}
		m.mu.Lock()
		m.seen = next
		m.mu.Unlock()
		return nil
	}
}
