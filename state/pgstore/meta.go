package pgstore

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/athanor-iac/athanor/state"
)

// ReadMeta reads the stage's row of athanor_stages. A row with no lineage
// (created by a Put before any Lock) holds no Meta yet.
func (s *Store) ReadMeta(ctx context.Context) (state.Meta, bool, error) {
	if err := s.checkStage(); err != nil {
		return state.Meta{}, false, err
	}
	var m state.Meta
	err := s.pool.QueryRow(ctx, `SELECT lineage, serial FROM athanor_stages WHERE app = $1 AND stage = $2`, s.app, s.stage).Scan(&m.Lineage, &m.Serial)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && m.Lineage == "") {
		return state.Meta{}, false, nil
	}
	if err != nil {
		return state.Meta{}, false, s.fail("read athanor_stages", err)
	}
	return m, true, nil
}

// WriteMeta updates the stage's row in one statement, on condition that it
// still holds prev; a zero prev matches a missing row or one without
// lineage.
func (s *Store) WriteMeta(ctx context.Context, prev, next state.Meta) error {
	if err := s.checkStage(); err != nil {
		return err
	}
	if prev.Lineage == "" {
		prev.Serial = 0
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO athanor_stages AS st (app, stage, lineage, serial) VALUES ($1, $2, $3, $4)
		ON CONFLICT (app, stage) DO UPDATE SET lineage = EXCLUDED.lineage, serial = EXCLUDED.serial
		WHERE st.lineage = $5 AND (st.serial = $6 OR $5 = '')`,
		s.app, s.stage, next.Lineage, next.Serial, prev.Lineage, prev.Serial)
	if err != nil {
		return s.fail("write athanor_stages", err)
	}
	if tag.RowsAffected() == 0 {
		return state.ErrMetaChanged
	}
	return nil
}
