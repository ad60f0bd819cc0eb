package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/edgecd/edgecd/store"
)

// Update implements store.Store. The transaction takes SQLite's write lock
// up front (BEGIN IMMEDIATE), so a read-modify-write inside fn cannot race
// another writer.
func (db *DB) Update(ctx context.Context, fn func(context.Context, store.Tx) error) (int64, error) {
	sqlTx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	defer sqlTx.Rollback()
	tx := &tx{db: db, tx: sqlTx, now: ts(db.now())}
	if err := fn(ctx, tx); err != nil {
		return 0, err
	}
	if tx.seq == 0 && !tx.entries {
		// Nothing was written: do not burn a revision.
		return 0, nil
	}
	if err := sqlTx.Commit(); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	if tx.rev > 0 {
		db.notify.Publish(tx.rev)
	}
	return tx.rev, nil
}

type tx struct {
	db      *DB
	tx      *sql.Tx
	rev     int64 // taken by the first record write (entries need none)
	seq     int
	entries bool // an entry was written
	now     string
}

// advance takes the transaction's revision on its first record write, so
// a transaction that writes only entries leaves the revision alone.
func (t *tx) advance(ctx context.Context) error {
	if t.rev > 0 {
		return nil
	}
	if err := t.tx.QueryRowContext(ctx, `UPDATE revision SET rev = rev + 1 WHERE id = 1 RETURNING rev`).Scan(&t.rev); err != nil {
		return fmt.Errorf("advance revision: %w", err)
	}
	return nil
}

func (t *tx) Get(ctx context.Context, kind, id string) (store.Record, error) {
	return get(ctx, t.tx, kind, id)
}

func (t *tx) List(ctx context.Context, kind string, q store.Query) ([]store.Record, error) {
	return list(ctx, t.tx, kind, q)
}

func (t *tx) current(ctx context.Context, kind, id string) (version int64, created string, err error) {
	err = t.tx.QueryRowContext(ctx, `SELECT version, created FROM records WHERE kind = ? AND id = ?`, kind, id).Scan(&version, &created)
	if errors.Is(err, sql.ErrNoRows) {
		// A deleted record keeps counting versions, so history stays unique.
		err = t.tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM history WHERE kind = ? AND id = ?`, kind, id).Scan(&version)
		return -version, "", err
	}
	return version, created, err
}

func (t *tx) Put(ctx context.Context, kind, id string, body []byte, expect int64) (store.Record, error) {
	if err := validKey(kind, id); err != nil {
		return store.Record{}, err
	}
	if err := t.advance(ctx); err != nil {
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
		body = []byte{}
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO records (kind, id, version, rev, body, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version, rev = excluded.rev, body = excluded.body, updated = excluded.updated`,
		kind, id, version, t.rev, body, created, t.now); err != nil {
		return store.Record{}, fmt.Errorf("write %s %q: %w", kind, id, err)
	}
	if err := t.log(ctx, kind, id, version, false, body, created); err != nil {
		return store.Record{}, err
	}
	return store.Record{Kind: kind, ID: id, Version: version, Rev: t.rev, Body: body, Created: parseTS(created), Updated: parseTS(t.now)}, nil
}

func (t *tx) Delete(ctx context.Context, kind, id string, expect int64) error {
	cur, created, err := t.current(ctx, kind, id)
	if err != nil {
		return err
	}
	if err := store.CheckDelete(kind, id, cur, expect); err != nil {
		return err
	}
	if err := t.advance(ctx); err != nil {
		return err
	}
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM records WHERE kind = ? AND id = ?`, kind, id); err != nil {
		return fmt.Errorf("delete %s %q: %w", kind, id, err)
	}
	return t.log(ctx, kind, id, cur+1, true, []byte{}, created)
}

func (t *tx) log(ctx context.Context, kind, id string, version int64, deleted bool, body []byte, created string) error {
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO history (kind, id, version, rev, deleted, body, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		kind, id, version, t.rev, deleted, body, created, t.now); err != nil {
		return fmt.Errorf("history of %s %q: %w", kind, id, err)
	}
	t.seq++
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO changes (rev, seq, kind, id, version, deleted) VALUES (?, ?, ?, ?, ?, ?)`,
		t.rev, t.seq, kind, id, version, deleted); err != nil {
		return fmt.Errorf("change log: %w", err)
	}
	return nil
}
