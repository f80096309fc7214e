// Package pgstore is the PostgreSQL state backend, for teams that already
// run PostgreSQL and want state they can back up, query and lock in one
// place. Import it for its side effect:
//
//	import _ "github.com/athanor-iac/athanor/state/pgstore"
//
// and open state with a URL such as postgres://user@db.example.com/athanor
// (or postgresql://...). The URL is pgx's connection string, so libpq's
// environment variables (PGPASSWORD, PGSSLMODE, ...) and ~/.pgpass apply.
//
// Layout: three tables, created and migrated on first use under a
// transaction-scoped advisory lock so that concurrent first runs do not race:
//
//	athanor_records  (app, stage, logical_id) -> record   one row per record, the envelope of state.EncodeRecord
//	athanor_stages   (app, stage) -> lineage, serial       one row per stage, serial bumped by every Lock
//	athanor_locks    (app, stage) -> info                  the holder's LockInfo, for reporting
//	athanor_schema   version                               the schema version, for migrations
//
// Every Put and Delete is one statement, and so one transaction, touching one
// row: a write costs O(record) however large the stage.
//
// The stage lock is a session-level advisory lock (pg_try_advisory_lock) on a
// 64-bit hash of app and stage, held on a connection of its own. PostgreSQL
// releases it when that session ends, however the holder ends (killed, lost
// its network), so a lock is never left held by a dead run; the holder's
// LockInfo row then tells the next run which run died.
package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/athanor-iac/athanor/state"
)

func init() {
	state.Register("postgres", "postgres://USER@HOST/DATABASE", Open)
	state.Register("postgresql", "postgres://USER@HOST/DATABASE", Open)
}

// schemaVersion is the newest schema this code knows; migrations[i] brings a
// database from version i to i+1.
const schemaVersion = 1

var migrations = []string{
	`CREATE TABLE athanor_records (
		app        text NOT NULL,
		stage      text NOT NULL,
		logical_id text NOT NULL,
		record     text NOT NULL,
		written_at timestamptz NOT NULL DEFAULT now(),
		PRIMARY KEY (app, stage, logical_id)
	);
	CREATE TABLE athanor_stages (
		app     text NOT NULL,
		stage   text NOT NULL,
		lineage text NOT NULL,
		serial  bigint NOT NULL DEFAULT 0,
		PRIMARY KEY (app, stage)
	);
	CREATE TABLE athanor_locks (
		app   text NOT NULL,
		stage text NOT NULL,
		info  jsonb NOT NULL,
		PRIMARY KEY (app, stage)
	);`,
}

// migrateLockKey serialises schema migrations of concurrent first runs. It is
// an arbitrary constant ("athanor" in ASCII).
const migrateLockKey = 0x617468616e6f72

// Store is the PostgreSQL store of one app's stage. It implements
// state.Store, state.LockReader, state.ForceUnlocker and state.StageLister.
// Close releases its connections; a process that ends need not call it.
type Store struct {
	app, stage string
	where      string // for messages: host/db, without password
	pool       *pgxpool.Pool
	connCfg    *pgx.ConnConfig // for the lock's dedicated connection

	mu         sync.Mutex
	stageReady bool // the stage's row exists
}

var (
	_ state.Store         = (*Store)(nil)
	_ state.LockReader    = (*Store)(nil)
	_ state.ForceUnlocker = (*Store)(nil)
	_ state.StageLister   = (*Store)(nil)
)

// Open opens the store of app's stage in the database at u, creating or
// migrating athanor's tables first. It is the state.OpenFunc registered for
// the postgres and postgresql schemes.
func Open(ctx context.Context, u *url.URL, app, stage string) (state.Store, error) {
	cfg, err := pgxpool.ParseConfig(u.String())
	if err != nil {
		return nil, fmt.Errorf("postgres URL: %w", scrub(err, u))
	}
	// The store needs few connections: the engine's parallel writes are
	// short single statements.
	if cfg.MaxConns > 8 {
		cfg.MaxConns = 8
	}
	cc := cfg.ConnConfig
	where := fmt.Sprintf("postgres %s:%d/%s", cc.Host, cc.Port, cc.Database)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", where, err)
	}
	s := &Store{app: app, stage: stage, where: where, pool: pool, connCfg: cc.Copy()}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// scrub removes the password from errors that quote the connection string.
func scrub(err error, u *url.URL) error {
	if p, ok := u.User.Password(); ok && p != "" {
		return errors.New(strings.ReplaceAll(err.Error(), p, "xxxxx"))
	}
	return err
}

// Close closes the store's connections. It does not release a lock taken
// through the store: that is the Unlocker's job.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// migrate brings the tables to schemaVersion. It refuses a database written
// by a newer athanor rather than use tables it does not understand.
func (s *Store) migrate(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLockKey)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS athanor_schema (version integer NOT NULL)`); err != nil {
			return err
		}
		var v int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM athanor_schema`).Scan(&v); err != nil {
			return err
		}
		if v > schemaVersion {
			return fmt.Errorf("the database holds athanor state schema version %d, newer than this athanor's %d: upgrade athanor", v, schemaVersion)
		}
		for ; v < schemaVersion; v++ {
			if _, err := tx.Exec(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migrate to version %d: %w", v+1, err)
			}
		}
		_, err := tx.Exec(ctx, `DELETE FROM athanor_schema; INSERT INTO athanor_schema (version) VALUES (`+fmt.Sprint(schemaVersion)+`)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("prepare athanor tables in %s: %w", s.where, err)
	}
	return nil
}

func (s *Store) checkStage() error {
	if s.stage == "" {
		return errors.New("postgres store opened without a stage")
	}
	return nil
}

// lockKey is the advisory lock key of the stage: a 64-bit FNV-1a hash of app
// and stage, so that each stage of each app has its own lock.
func (s *Store) lockKey() int64 {
	h := fnv.New64a()
	h.Write([]byte("athanor\x00" + s.app + "\x00" + s.stage))
	return int64(h.Sum64())
}

// ensureStageSQL creates the stage's row if missing, as part of a Put's one
// statement.
const upsertRecordSQL = `INSERT INTO athanor_records (app, stage, logical_id, record) VALUES ($1, $2, $3, $4)
	ON CONFLICT (app, stage, logical_id) DO UPDATE SET record = EXCLUDED.record, written_at = now()`

const upsertRecordNewStageSQL = `WITH st AS (
		INSERT INTO athanor_stages (app, stage, lineage) VALUES ($1, $2, $5) ON CONFLICT DO NOTHING
	)
	` + upsertRecordSQL

// Put writes r's row in one statement. The first Put of a handle also
// creates the stage's row in the same statement, so that the stage is listed.
func (s *Store) Put(ctx context.Context, r state.Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.checkStage(); err != nil {
		return err
	}
	data, err := state.EncodeRecord(r)
	if err != nil {
		return fmt.Errorf("put record: %w", err)
	}
	s.mu.Lock()
	ready := s.stageReady
	s.mu.Unlock()
	if ready {
		_, err = s.pool.Exec(ctx, upsertRecordSQL, s.app, s.stage, r.LogicalID, string(data))
	} else {
		_, err = s.pool.Exec(ctx, upsertRecordNewStageSQL, s.app, s.stage, r.LogicalID, string(data), state.NewID())
	}
	if err != nil {
		return fmt.Errorf("put record %s in %s: %w", r.LogicalID, s.where, err)
	}
	if !ready {
		s.mu.Lock()
		s.stageReady = true
		s.mu.Unlock()
	}
	return nil
}

// Delete removes the record's row; a missing row is not an error.
func (s *Store) Delete(ctx context.Context, logicalID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.checkStage(); err != nil {
		return err
	}
	if err := state.ValidateLogicalID(logicalID); err != nil {
		return fmt.Errorf("delete record: %w", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM athanor_records WHERE app = $1 AND stage = $2 AND logical_id = $3`, s.app, s.stage, logicalID); err != nil {
		return fmt.Errorf("delete record %s in %s: %w", logicalID, s.where, err)
	}
	return nil
}

// Load reads every row of the stage, sorted by logical ID in byte order (the
// "C" collation), as the file backend sorts.
func (s *Store) Load(ctx context.Context) ([]state.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.checkStage(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT logical_id, record FROM athanor_records WHERE app = $1 AND stage = $2 ORDER BY logical_id COLLATE "C"`, s.app, s.stage)
	if err != nil {
		return nil, fmt.Errorf("load state from %s: %w", s.where, err)
	}
	defer rows.Close()
	var recs []state.Record
	for rows.Next() {
		var id, data string
		if err := rows.Scan(&id, &data); err != nil {
			return nil, fmt.Errorf("load state from %s: %w", s.where, err)
		}
		where := fmt.Sprintf("%s table athanor_records row (app=%s, stage=%s, logical_id=%s)", s.where, s.app, s.stage, id)
		r, err := state.DecodeRecord([]byte(data))
		if err != nil {
			return nil, &state.CorruptRecordError{Where: where, LogicalID: id, Stage: s.stage, Err: err}
		}
		if r.LogicalID != id {
			return nil, &state.CorruptRecordError{Where: where, LogicalID: id, Stage: s.stage,
				Err: fmt.Errorf("the row holds record %q", r.LogicalID)}
		}
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load state from %s: %w", s.where, err)
	}
	return recs, nil
}

// Stages lists the app's stages that were locked or written.
func (s *Store) Stages(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT stage FROM athanor_stages WHERE app = $1 ORDER BY stage COLLATE "C"`, s.app)
	if err != nil {
		return nil, fmt.Errorf("list stages in %s: %w", s.where, err)
	}
	stages, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list stages in %s: %w", s.where, err)
	}
	return stages, nil
}

// Lock takes the stage's advisory lock on a dedicated connection, which the
// Unlocker keeps open until Unlock. If the previous holder's info row is
// still there, that holder ended without unlocking: the lock is reported
// stale.
func (s *Store) Lock(ctx context.Context, info state.LockInfo) (state.Unlocker, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.checkStage(); err != nil {
		return nil, err
	}
	info = info.Complete()
	infoJSON, err := json.Marshal(info)
	if err != nil {
		return nil, fmt.Errorf("lock state: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, s.connCfg.Copy())
	if err != nil {
		return nil, fmt.Errorf("lock state: connect to %s: %w", s.where, err)
	}
	key := s.lockKey()
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("lock state in %s: %w", s.where, err)
	}
	if !got {
		conn.Close(context.Background())
		holder, _, _ := s.readInfo(ctx)
		return nil, &state.LockError{App: s.app, Stage: s.stage, Info: holder, Err: errors.New("the advisory lock is held by another session")}
	}
	l := &lock{conn: conn, key: key, id: info.ID, s: s}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var prev []byte
		err := tx.QueryRow(ctx, `SELECT info FROM athanor_locks WHERE app = $1 AND stage = $2 FOR UPDATE`, s.app, s.stage).Scan(&prev)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		default:
			var p state.LockInfo
			_ = json.Unmarshal(prev, &p) // an unreadable row still means a stale lock
			l.stale = &p
		}
		if _, err := tx.Exec(ctx, `INSERT INTO athanor_locks (app, stage, info) VALUES ($1, $2, $3)
			ON CONFLICT (app, stage) DO UPDATE SET info = EXCLUDED.info`, s.app, s.stage, string(infoJSON)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO athanor_stages (app, stage, lineage, serial) VALUES ($1, $2, $3, 1)
			ON CONFLICT (app, stage) DO UPDATE SET serial = athanor_stages.serial + 1`, s.app, s.stage, state.NewID())
		return err
	})
	if err != nil {
		conn.Close(context.Background()) // ends the session, and so the lock
		return nil, fmt.Errorf("lock state in %s: %w", s.where, err)
	}
	s.mu.Lock()
	s.stageReady = true
	s.mu.Unlock()
	return l, nil
}

// lock is the Unlocker of the postgres backend.
type lock struct {
	mu    sync.Mutex
	conn  *pgx.Conn // nil once released
	key   int64
	id    string
	s     *Store
	stale *state.LockInfo
}

var _ state.StaleReporter = (*lock)(nil)

func (l *lock) StaleLock() (state.LockInfo, bool) {
	if l.stale == nil {
		return state.LockInfo{}, false
	}
	return *l.stale, true
}

// Unlock removes the holder's info row, if it is still this holder's, and
// ends the dedicated session, which releases the advisory lock even if the
// explicit unlock fails.
func (l *lock) Unlock() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return nil
	}
	ctx := context.Background()
	_, err := l.conn.Exec(ctx, `DELETE FROM athanor_locks WHERE app = $1 AND stage = $2 AND info->>'id' = $3`, l.s.app, l.s.stage, l.id)
	if err == nil {
		_, err = l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, l.key)
	}
	cerr := l.conn.Close(ctx)
	l.conn = nil
	if err != nil {
		return fmt.Errorf("unlock state in %s: %w", l.s.where, err)
	}
	if cerr != nil {
		return fmt.Errorf("unlock state in %s: %w", l.s.where, cerr)
	}
	return nil
}

// crash ends the session without removing the info row, as a killed holder
// does. For tests.
func (l *lock) crash() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return nil
	}
	// Close sends Terminate; the server ends the session and its locks.
	err := l.conn.Close(context.Background())
	l.conn = nil
	return err
}

// heldBy reports whether a session holds the stage's advisory lock, and that
// session's backend pid, from pg_locks, without trying to take the lock (so
// that reading never makes a concurrent Lock fail). A bigint advisory key is
// shown as classid (high half), objid (low half) and objsubid 1.
func (s *Store) heldBy(ctx context.Context) (bool, int, error) {
	key := uint64(s.lockKey())
	var pid int32
	err := s.pool.QueryRow(ctx, `SELECT pid FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 1
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND classid = $1::bigint::oid AND objid = $2::bigint::oid`,
		int64(key>>32), int64(key&0xffffffff)).Scan(&pid)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	return true, int(pid), nil
}

// readInfo returns the info row of the stage's lock and whether there is one.
func (s *Store) readInfo(ctx context.Context) (state.LockInfo, bool, error) {
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT info FROM athanor_locks WHERE app = $1 AND stage = $2`, s.app, s.stage).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return state.LockInfo{}, false, nil
	}
	if err != nil {
		return state.LockInfo{}, false, err
	}
	var info state.LockInfo
	_ = json.Unmarshal(raw, &info) // unreadable: a zero holder, still reported
	return info, true, nil
}

// ReadLock reports the holder and whether its session still holds the lock.
func (s *Store) ReadLock(ctx context.Context) (state.LockInfo, bool, error) {
	if err := ctx.Err(); err != nil {
		return state.LockInfo{}, false, err
	}
	if err := s.checkStage(); err != nil {
		return state.LockInfo{}, false, err
	}
	held, _, err := s.heldBy(ctx)
	if err != nil {
		return state.LockInfo{}, false, fmt.Errorf("read lock in %s: %w", s.where, err)
	}
	info, _, err := s.readInfo(ctx)
	if err != nil {
		return state.LockInfo{}, false, fmt.Errorf("read lock in %s: %w", s.where, err)
	}
	return info, held, nil
}

// ForceUnlock removes the info row a dead holder left behind. It refuses
// while a session holds the advisory lock: that holder is alive as far as
// PostgreSQL knows, and its lock ends with its session.
func (s *Store) ForceUnlock(ctx context.Context) (state.LockInfo, error) {
	if err := ctx.Err(); err != nil {
		return state.LockInfo{}, err
	}
	if err := s.checkStage(); err != nil {
		return state.LockInfo{}, err
	}
	held, pid, err := s.heldBy(ctx)
	if err != nil {
		return state.LockInfo{}, fmt.Errorf("unlock state in %s: %w", s.where, err)
	}
	if held {
		info, _, _ := s.readInfo(ctx)
		return info, fmt.Errorf("cannot unlock stage %s: its lock is held by a live database session (backend pid %d) of %s; stop that run, "+
			"or end its session with SELECT pg_terminate_backend(%d), and the lock goes with it: %w",
			s.stage, pid, info, pid, &state.LockError{App: s.app, Stage: s.stage, Info: info, Err: errors.New("the advisory lock is held")})
	}
	var raw []byte
	err = s.pool.QueryRow(ctx, `DELETE FROM athanor_locks WHERE app = $1 AND stage = $2 RETURNING info`, s.app, s.stage).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return state.LockInfo{}, nil
	}
	if err != nil {
		return state.LockInfo{}, fmt.Errorf("unlock state in %s: %w", s.where, err)
	}
	var info state.LockInfo
	_ = json.Unmarshal(raw, &info)
	return info, nil
}
