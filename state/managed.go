package state

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// managed is the Store that Open returns: a backend's store with the
// bookkeeping every backend shares, done once here, as Terraform's
// remote.State does it for every remote.Client. It keeps the stage's
// lineage and serial (see Meta) and refuses to write once the lineage it
// saw has been replaced. It forwards the optional interfaces the backend
// implements.
type managed struct {
	b     Store
	ms    MetaStore
	stage string

	mu   sync.Mutex
	seen Meta  // the last Meta seen at Lock or Load; Lineage "" before
	bad  error // a *LineageError once found: every later write fails
}

var (
	_ Store         = (*managed)(nil)
	_ LockReader    = (*managed)(nil)
	_ ForceUnlocker = (*managed)(nil)
	_ StageLister   = (*managed)(nil)
	_ AllLoader     = (*managed)(nil)
)

// manage wraps a backend's store, which must keep Meta.
func manage(b Store, stage string) (*managed, error) {
	ms, ok := b.(MetaStore)
	if !ok {
		_ = b.Close()
		return nil, fmt.Errorf("state backend %T does not keep a stage's lineage and serial (state.MetaStore)", b)
	}
	return &managed{b: b, ms: ms, stage: stage}, nil
}

func (m *managed) meta() (Meta, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seen, m.seen.Lineage != ""
}

// observe records the Meta read from the backend, and fails, for good, if
// its lineage is not the one seen before.
func (m *managed) observe(cur Meta) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.bad != nil {
		return m.bad
	}
	if m.seen.Lineage != "" && cur.Lineage != m.seen.Lineage {
		m.bad = &LineageError{Stage: m.stage, Want: m.seen.Lineage, Have: cur.Lineage}
		return m.bad
	}
	m.seen = cur
	return nil
}

func (m *managed) failed() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bad
}

// Lock takes the backend's lock, then bumps the serial, creating the
// lineage if the stage has none. The lock is released again if that fails.
func (m *managed) Lock(ctx context.Context, info LockInfo) (Unlocker, error) {
	if err := m.failed(); err != nil {
		return nil, err
	}
	u, err := m.b.Lock(ctx, info)
	if err != nil {
		return nil, err
	}
	if err := m.bump(ctx); err != nil {
		return nil, errors.Join(err, u.Unlock())
	}
	return u, nil
}

// bump writes serial+1 on condition that the Meta is still what it read.
// Under the lock nobody else bumps, so a changed Meta is retried only a
// few times (a write without the lock, such as a first Put creating the
// stage, can race with it).
func (m *managed) bump(ctx context.Context) error {
	for attempt := 0; ; attempt++ {
		cur, ok, err := m.ms.ReadMeta(ctx)
		if err != nil {
			return fmt.Errorf("read the lineage and serial of stage %s: %w", m.stage, err)
		}
		next := Meta{Lineage: NewID(), Serial: 1}
		if ok {
			if err := m.observe(cur); err != nil {
				return err
			}
			next = Meta{Lineage: cur.Lineage, Serial: cur.Serial + 1}
		} else {
			cur = Meta{}
		}
		err = m.ms.WriteMeta(ctx, cur, next)
		if errors.Is(err, ErrMetaChanged) && attempt < 3 {
			continue
		}
		if err != nil {
			return fmt.Errorf("write the lineage and serial of stage %s: %w", m.stage, err)
		}
		return m.observe(next)
	}
}

// Load reads the records, then the Meta, so that a handle learns of a
// replaced state before it writes.
func (m *managed) Load(ctx context.Context) ([]Record, error) {
	if err := m.failed(); err != nil {
		return nil, err
	}
	recs, err := m.b.Load(ctx)
	if err != nil {
		return nil, err
	}
	cur, ok, err := m.ms.ReadMeta(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the lineage and serial of stage %s: %w", m.stage, err)
	}
	if ok {
		if err := m.observe(cur); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// Put refuses once a replaced lineage was seen; otherwise it is the
// backend's.
func (m *managed) Put(ctx context.Context, r Record) error {
	if err := m.failed(); err != nil {
		return fmt.Errorf("put record %s: %w", r.LogicalID, err)
	}
	return m.b.Put(ctx, r)
}

// Delete refuses once a replaced lineage was seen; otherwise it is the
// backend's.
func (m *managed) Delete(ctx context.Context, logicalID string) error {
	if err := m.failed(); err != nil {
		return fmt.Errorf("delete record %s: %w", logicalID, err)
	}
	return m.b.Delete(ctx, logicalID)
}

// Close closes the backend's store.
func (m *managed) Close() error { return m.b.Close() }

func (m *managed) ReadLock(ctx context.Context) (LockInfo, bool, error) {
	r, ok := m.b.(LockReader)
	if !ok {
		return LockInfo{}, false, fmt.Errorf("state backend %T cannot report who holds a lock", m.b)
	}
	return r.ReadLock(ctx)
}

func (m *managed) ForceUnlock(ctx context.Context) (LockInfo, error) {
	f, ok := m.b.(ForceUnlocker)
	if !ok {
		return LockInfo{}, fmt.Errorf("state backend %T cannot break locks", m.b)
	}
	return f.ForceUnlock(ctx)
}

func (m *managed) Stages(ctx context.Context) ([]string, error) {
	l, ok := m.b.(StageLister)
	if !ok {
		return nil, fmt.Errorf("state backend %T cannot list stages", m.b)
	}
	return l.Stages(ctx)
}

func (m *managed) LoadAll(ctx context.Context) ([]Located, error) {
	l, ok := m.b.(AllLoader)
	if !ok {
		return nil, fmt.Errorf("state backend %T cannot read every stage", m.b)
	}
	return l.LoadAll(ctx)
}
