package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/edgecd/edgecd/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Update implements store.Store. fn runs exactly once, inside a READ
// COMMITTED transaction that first locks the revision row: Updates run one
// at a time across every node sharing the database, as they do on SQLite,
// so a read-modify-write inside fn cannot race another writer and
// revisions commit in order without gaps. fn must not call Update itself
// (it would wait for its own lock).
//
// The revision row is written, and the new revision NOTIFYed, with the
// first record fn writes; NOTIFY is transactional, so other nodes hear of
// a revision exactly when it becomes visible.
func (db *DB) Update(ctx context.Context, fn func(context.Context, store.Tx) error) (int64, error) {
	// The lock rides on the BEGIN round trip; the revision itself is read
	// with the first record write (tx.current), which needs it only then.
	pgTx, err := db.w.BeginTx(ctx, pgx.TxOptions{BeginQuery: beginLocked})
	if err != nil {
		return 0, fmt.Errorf("begin and lock the revision: %w", classify(err))
	}
	defer pgTx.Rollback(context.WithoutCancel(ctx))
	t := &tx{tx: pgTx, channel: db.channel, now: db.stamp()}
	if err := fn(ctx, t); err != nil {
		return 0, err
	}
	if t.seq == 0 && !t.entries {
		// Nothing was written: do not burn a revision.
		return 0, nil
	}
	if err := pgTx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("commit: %w", classify(err))
	}
	if t.seq == 0 {
		return 0, nil
	}
	db.notify.Publish(t.rev)
	return t.rev, nil
}

// beginLocked begins an Update: one simple-protocol round trip that opens
// the transaction and waits for the revision row's lock.
const beginLocked = `BEGIN ISOLATION LEVEL READ COMMITTED; SELECT 1 FROM revision WHERE id = 1 FOR UPDATE`

// classify marks PostgreSQL's "try again" failures as store.ErrConflict.
// With the revision lock taken first none is expected from edgecd's own
// transactions, but an operator's lock_timeout, a deadlock with a manual
// session or a serialization failure under a changed default isolation
// level must reach the caller as a conflict it can retry (fn is not
// re-run here: callers may count on it running once).
func classify(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "40001", "40P01", "55P03": // serialization_failure, deadlock_detected, lock_not_available
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		}
	}
	return err
}

type tx struct {
	tx      pgx.Tx
	channel string
	rev     int64 // the revision this transaction commits, once current has read it
	seq     int   // change-log entries written
	entries bool  // an entry was written
	now     time.Time
}

var _ store.EntryTx = (*tx)(nil)

func (t *tx) Get(ctx context.Context, kind, id string) (store.Record, error) {
	return get(ctx, t.tx, kind, id)
}

func (t *tx) List(ctx context.Context, kind string, q store.Query) ([]store.Record, error) {
	return list(ctx, t.tx, kind, q)
}

// current returns the record's version and creation time; for a missing
// record, minus the last version it had before it was deleted (0 if
// never), because a re-created record continues its version sequence. The
// first call also reads the revision this transaction will commit.
func (t *tx) current(ctx context.Context, kind, id string) (version int64, created time.Time, err error) {
	var v *int64
	var c *time.Time
	var last, rev int64
	err = t.tx.QueryRow(ctx, `SELECT r.version, r.created,
			(SELECT COALESCE(max(h.version), 0) FROM history h WHERE h.kind = $1 AND h.id = $2),
			(SELECT rev FROM revision WHERE id = 1)
		FROM (VALUES (1)) AS one LEFT JOIN records r ON r.kind = $1 AND r.id = $2`, kind, id).Scan(&v, &c, &last, &rev)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("read %s %q: %w", kind, id, classify(err))
	}
	if t.rev == 0 {
		t.rev = rev + 1
	}
	if v == nil {
		return -last, time.Time{}, nil
	}
	return *v, c.UTC(), nil
}

func (t *tx) Put(ctx context.Context, kind, id string, body []byte, expect int64) (store.Record, error) {
	if err := validKey(kind, id); err != nil {
		return store.Record{}, err
	}
	cur, created, err := t.current(ctx, kind, id)
	if err != nil {
		return store.Record{}, err
	}
	version, created, err := store.NextRecord(kind, id, cur, expect, created, t.now)
	if err != nil {
		return store.Record{}, err
	}
	if body == nil {
		body = []byte{} // pgx would send nil as NULL
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO records (kind, id, version, rev, body, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version, rev = excluded.rev, body = excluded.body, updated = excluded.updated`,
		kind, id, version, t.rev, body, created, t.now)
	t.log(b, kind, id, version, false, body, created)
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return store.Record{}, fmt.Errorf("write %s %q: %w", kind, id, classify(err))
	}
	t.seq++
	return store.Record{Kind: kind, ID: id, Version: version, Rev: t.rev, Body: body, Created: created, Updated: t.now}, nil
}

func (t *tx) Delete(ctx context.Context, kind, id string, expect int64) error {
	if !storable(kind, id) {
		return fmt.Errorf("%s %q: %w", kind, id, store.ErrNotFound)
	}
	cur, created, err := t.current(ctx, kind, id)
	if err != nil {
		return err
	}
	if err := store.CheckDelete(kind, id, cur, expect); err != nil {
		return err
	}
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM records WHERE kind = $1 AND id = $2`, kind, id)
	t.log(b, kind, id, cur+1, true, []byte{}, created)
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("delete %s %q: %w", kind, id, classify(err))
	}
	t.seq++
	return nil
}

// log queues the history row and the change-log entry of one write, and
// with the first one the new revision and its notification.
func (t *tx) log(b *pgx.Batch, kind, id string, version int64, deleted bool, body []byte, created time.Time) {
	if t.seq == 0 {
		b.Queue(`UPDATE revision SET rev = $1 WHERE id = 1`, t.rev)
		b.Queue(`SELECT pg_notify($1, $2)`, t.channel, strconv.FormatInt(t.rev, 10))
	}
	b.Queue(`INSERT INTO history (kind, id, version, rev, deleted, body, created, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		kind, id, version, t.rev, deleted, body, created, t.now)
	b.Queue(`INSERT INTO changes (rev, seq, kind, id, version, deleted) VALUES ($1, $2, $3, $4, $5, $6)`,
		t.rev, t.seq+1, kind, id, version, deleted)
}
