package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/athanor-iac/athanor/state"
)

// createOutputsSQL makes the outputs table on first use, so that
// databases written before outputs existed need no migration.
const createOutputsSQL = `CREATE TABLE IF NOT EXISTS athanor_outputs (
	app     text NOT NULL,
	stage   text NOT NULL,
	outputs text NOT NULL,
	PRIMARY KEY (app, stage)
)`

var _ state.OutputStore = (*Store)(nil)

// PutOutputs replaces the stage's outputs row; no outputs deletes it.
func (s *Store) PutOutputs(ctx context.Context, outputs map[string]any) error {
	if err := s.checkStage(); err != nil {
		return err
	}
	data, err := state.EncodeOutputs(outputs)
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, createOutputsSQL); err != nil {
			return err
		}
		if len(outputs) == 0 {
			_, err := tx.Exec(ctx, `DELETE FROM athanor_outputs WHERE app = $1 AND stage = $2`, s.app, s.stage)
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO athanor_outputs (app, stage, outputs) VALUES ($1, $2, $3)
			ON CONFLICT (app, stage) DO UPDATE SET outputs = EXCLUDED.outputs`, s.app, s.stage, string(data))
		return err
	})
	if err != nil {
		return fmt.Errorf("put outputs in %s: %w", s.where, err)
	}
	return nil
}

// LoadOutputs reads the stage's outputs row; none is no outputs.
func (s *Store) LoadOutputs(ctx context.Context) (map[string]any, error) {
	if err := s.checkStage(); err != nil {
		return nil, err
	}
	if _, err := s.pool.Exec(ctx, createOutputsSQL); err != nil {
		return nil, fmt.Errorf("read outputs in %s: %w", s.where, err)
	}
	var data string
	err := s.pool.QueryRow(ctx, `SELECT outputs FROM athanor_outputs WHERE app = $1 AND stage = $2`, s.app, s.stage).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read outputs in %s: %w", s.where, err)
	}
	return state.DecodeOutputs([]byte(data), fmt.Sprintf("%s table athanor_outputs row (app=%s, stage=%s)", s.where, s.app, s.stage))
}
