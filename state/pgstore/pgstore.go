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
//	athanor_stages   (app, stage) -> lineage, serial       the stage's state.Meta, one row per stage
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
//
// A run can lose that session while it runs (server restart,
// pg_terminate_backend). So while a handle holds the lock, each Put and
// Delete writes only if the lock's session still holds the advisory lock and
// the lock's info row is still this holder's, in the same statement; a write
// that finds it gone returns a *state.LockLostError, and so does every later
// one.
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
	"time"

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
	stageReady bool  // the stage's row exists
	held       *lock // the lock taken through this handle, if any
}

var (
	_ state.Store         = (*Store)(nil)
	_ state.LockReader    = (*Store)(nil)
	_ state.ForceUnlocker = (*Store)(nil)
	_ state.StageLister   = (*Store)(nil)
	_ state.AllLoader     = (*Store)(nil)
	_ state.MetaStore     = (*Store)(nil)
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
		return s.fail("prepare athanor tables", err)
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

// upsertRecordSQL writes one record. The guarded form adds the condition
// that this handle still holds the stage's lock (see heldSQL), as $5-$9.
const upsertRecordSQL = `INSERT INTO athanor_records (app, stage, logical_id, record) SELECT $1, $2, $3, $4 %s
	ON CONFLICT (app, stage, logical_id) DO UPDATE SET record = EXCLUDED.record, written_at = now()`

// newStageSQL creates the stage's row, so that the stage is listed, without
// a lineage: the lineage is chosen above the backend, at the first Lock.
const newStageSQL = `WITH st AS (
		INSERT INTO athanor_stages (app, stage, lineage, serial) VALUES ($1, $2, '', 0) ON CONFLICT DO NOTHING
	)
	`

// heldSQL is true while the session with backend pid $n holds the stage's
// advisory lock (key halves $n+1, $n+2) and the lock's info row is still
// this holder's ($n+3), so that a write of a run whose session ended
// (killed, server restarted) is refused even if a new session got the same
// pid. $1 and $2 are the app and stage.
func heldSQL(n int) string {
	return fmt.Sprintf(`EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
		AND pid = $%d AND classid = $%d::bigint::oid AND objid = $%d::bigint::oid
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
	AND EXISTS (SELECT 1 FROM athanor_locks WHERE app = $1 AND stage = $2 AND info->>'id' = $%d)`, n, n+1, n+2, n+3)
}

// Put writes r's row in one statement. The first Put of a handle also
// creates the stage's row in the same statement, so that the stage is
// listed. While the handle holds the stage's lock, the statement writes
// only if the lock is still held: a run whose lock was lost gets a
// *state.LockLostError instead of overwriting another run's records.
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
	ready, held := s.stageReady, s.held
	s.mu.Unlock()
	sql, args := upsertRecordSQL, []any{s.app, s.stage, r.LogicalID, string(data)}
	if !ready {
		sql = newStageSQL + sql
	}
	if held != nil {
		if err := held.checkLost(); err != nil {
			return fmt.Errorf("put record %s: %w", r.LogicalID, err)
		}
		sql = fmt.Sprintf(sql, "WHERE "+heldSQL(5))
		args = append(args, held.guardArgs()...)
	} else {
		sql = fmt.Sprintf(sql, "")
	}
	tag, err := s.pool.Exec(ctx, sql, args...)
	if err != nil {
		return s.fail("put record "+r.LogicalID, held.lostOr(ctx, err))
	}
	if held != nil && tag.RowsAffected() == 0 {
		return fmt.Errorf("put record %s: %w", r.LogicalID, held.markLost())
	}
	if !ready {
		s.mu.Lock()
		s.stageReady = true
		s.mu.Unlock()
	}
	return nil
}

// deleteHeldSQL deletes a record only while the lock is held, and says
// whether it was.
var deleteHeldSQL = `WITH held AS (SELECT ` + heldSQL(4) + ` AS ok),
	d AS (DELETE FROM athanor_records WHERE app = $1 AND stage = $2 AND logical_id = $3 AND (SELECT ok FROM held) RETURNING 1)
	SELECT ok FROM held`

// Delete removes the record's row; a missing row is not an error. While the
// handle holds the lock, it deletes only if the lock is still held, as Put.
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
	s.mu.Lock()
	held := s.held
	s.mu.Unlock()
	if held == nil {
		if _, err := s.pool.Exec(ctx, `DELETE FROM athanor_records WHERE app = $1 AND stage = $2 AND logical_id = $3`, s.app, s.stage, logicalID); err != nil {
			return s.fail("delete record "+logicalID, err)
		}
		return nil
	}
	if err := held.checkLost(); err != nil {
		return fmt.Errorf("delete record %s: %w", logicalID, err)
	}
	var ok bool
	args := append([]any{s.app, s.stage, logicalID}, held.guardArgs()...)
	if err := s.pool.QueryRow(ctx, deleteHeldSQL, args...).Scan(&ok); err != nil {
		return s.fail("delete record "+logicalID, held.lostOr(ctx, err))
	}
	if !ok {
		return fmt.Errorf("delete record %s: %w", logicalID, held.markLost())
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
		return nil, s.fail("load state", err)
	}
	defer rows.Close()
	var recs []state.Record
	for rows.Next() {
		var id, data string
		if err := rows.Scan(&id, &data); err != nil {
			return nil, s.fail("load state", err)
		}
		r, err := s.decodeRow(s.app, s.stage, id, data)
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("load state", err)
	}
	return recs, nil
}

// LoadAll reads the records of every app and stage in the database, in
// one query.
func (s *Store) LoadAll(ctx context.Context) ([]state.Located, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT app, stage, logical_id, record FROM athanor_records ORDER BY app COLLATE "C", stage COLLATE "C", logical_id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("load state from %s: %w", s.where, err)
	}
	defer rows.Close()
	var out []state.Located
	for rows.Next() {
		var app, stage, id, data string
		if err := rows.Scan(&app, &stage, &id, &data); err != nil {
			return nil, fmt.Errorf("load state from %s: %w", s.where, err)
		}
		r, err := s.decodeRow(app, stage, id, data)
		if err != nil {
			return nil, err
		}
		out = append(out, state.Located{App: app, Stage: stage, Record: r})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load state from %s: %w", s.where, err)
	}
	return out, nil
}

// decodeRow decodes one row of athanor_records, naming the row when it is
// corrupted.
func (s *Store) decodeRow(app, stage, id, data string) (state.Record, error) {
	r, err := state.DecodeRecord([]byte(data))
	if err == nil && r.LogicalID != id {
		err = fmt.Errorf("the row holds record %q", r.LogicalID)
	}
	if err != nil {
		where := fmt.Sprintf("%s table athanor_records row (app=%s, stage=%s, logical_id=%s)", s.where, app, stage, id)
		return state.Record{}, &state.CorruptRecordError{Where: where, LogicalID: id, App: app, Stage: stage, Err: err}
	}
	return r, nil
}

// Stages lists the app's stages that were locked or written.
func (s *Store) Stages(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT stage FROM athanor_stages WHERE app = $1 ORDER BY stage COLLATE "C"`, s.app)
	if err != nil {
		return nil, s.fail("list stages", err)
	}
	stages, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, s.fail("list stages", err)
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
		return nil, s.fail("lock state", err)
	}
	key := s.lockKey()
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got); err != nil {
		conn.Close(context.Background())
		return nil, s.fail("lock state", err)
	}
	if !got {
		conn.Close(context.Background())
		holder, _, _ := s.readInfo(ctx)
		return nil, &state.LockError{App: s.app, Stage: s.stage, Info: holder, Err: errors.New("the advisory lock is held by another session")}
	}
	l := &lock{conn: conn, key: key, id: info.ID, pid: conn.PgConn().PID(), s: s, timeout: unlockTimeout}
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
		_, err = tx.Exec(ctx, `INSERT INTO athanor_stages (app, stage, lineage, serial) VALUES ($1, $2, '', 0)
			ON CONFLICT (app, stage) DO NOTHING`, s.app, s.stage)
		return err
	})
	if err != nil {
		conn.Close(context.Background()) // ends the session, and so the lock
		return nil, s.fail("lock state", err)
	}
	s.mu.Lock()
	s.stageReady = true
	s.held = l
	s.mu.Unlock()
	return l, nil
}

// unlockTimeout bounds Unlock, so that a server that stopped answering (a
// network partition) does not keep a finished run from exiting; the
// server ends the session, and so the advisory lock, once it notices the
// connection is gone.
const unlockTimeout = 30 * time.Second

// lock is the Unlocker of the postgres backend.
type lock struct {
	mu    sync.Mutex
	conn  *pgx.Conn // nil once released
	key   int64
	id    string
	pid   uint32 // backend pid of the session holding the advisory lock
	s     *Store
	stale *state.LockInfo
	lost  *state.LockLostError // set by the first write that found the lock gone
	// timeout bounds Unlock (unlockTimeout).
	timeout time.Duration
}

var _ state.StaleReporter = (*lock)(nil)

func (l *lock) StaleLock() (state.LockInfo, bool) {
	if l.stale == nil {
		return state.LockInfo{}, false
	}
	return *l.stale, true
}

// guardArgs are the parameters of heldSQL after app and stage.
func (l *lock) guardArgs() []any {
	k := uint64(l.key)
	return []any{int32(l.pid), int64(k >> 32), int64(k & 0xffffffff), l.id}
}

func (l *lock) checkLost() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost != nil {
		return l.lost
	}
	return nil
}

// markLost records that a guarded write found the lock gone, and returns
// the error every later write returns too.
func (l *lock) markLost() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost == nil {
		l.lost = &state.LockLostError{Stage: l.s.stage,
			Cause: fmt.Sprintf("the database session that held it (backend pid %d on %s) ended: the server restarted, or the session was terminated", l.pid, l.s.where)}
	}
	return l.lost
}

// lostOr returns the lock's loss if a guarded write that failed with err
// failed because the lock is gone: after a server restart the pool's first
// statement meets a connection the server ended (SQLSTATE 57P01), before
// any statement can look at pg_locks. A nil lock (no lock held) returns err.
func (l *lock) lostOr(ctx context.Context, err error) error {
	if l == nil || ctx.Err() != nil {
		return err
	}
	var held bool
	args := append([]any{l.s.app, l.s.stage}, l.guardArgs()...)
	if qerr := l.s.pool.QueryRow(ctx, `SELECT `+heldSQL(3), args...).Scan(&held); qerr != nil || held {
		return err
	}
	return l.markLost()
}

// Unlock removes the holder's info row, if it is still this holder's, and
// ends the dedicated session, which releases the advisory lock even if the
// explicit unlock fails. If the lock was lost, it says so.
func (l *lock) Unlock() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return nil
	}
	l.s.mu.Lock()
	if l.s.held == l {
		l.s.held = nil
	}
	l.s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
	defer cancel()
	var err error
	if l.lost == nil {
		_, err = l.conn.Exec(ctx, `DELETE FROM athanor_locks WHERE app = $1 AND stage = $2 AND info->>'id' = $3`, l.s.app, l.s.stage, l.id)
		if err == nil {
			_, err = l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, l.key)
		}
	}
	cerr := l.conn.Close(ctx)
	l.conn = nil
	if l.lost != nil {
		return fmt.Errorf("unlock state in %s: %w", l.s.where, l.lost)
	}
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
	l.s.mu.Lock()
	if l.s.held == l {
		l.s.held = nil
	}
	l.s.mu.Unlock()
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
		return state.LockInfo{}, false, s.fail("read lock", err)
	}
	info, _, err := s.readInfo(ctx)
	if err != nil {
		return state.LockInfo{}, false, s.fail("read lock", err)
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
		return state.LockInfo{}, s.fail("unlock state", err)
	}
	if held {
		info, _, _ := s.readInfo(ctx)
		return info, fmt.Errorf("cannot unlock stage %s: its lock is held by a live database session (backend pid %d) of %s; stop that run, "+
			"or end its session with SELECT pg_terminate_backend(%d), and the lock goes with it: %w",
			s.stage, pid, info, pid, &state.LockError{App: s.app, Stage: s.stage, Info: info, Err: errors.New("the advisory lock is held"), Live: true})
	}
	var raw []byte
	err = s.pool.QueryRow(ctx, `DELETE FROM athanor_locks WHERE app = $1 AND stage = $2 RETURNING info`, s.app, s.stage).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return state.LockInfo{}, nil
	}
	if err != nil {
		return state.LockInfo{}, s.fail("unlock state", err)
	}
	var info state.LockInfo
	_ = json.Unmarshal(raw, &info)
	return info, nil
}
