package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/edgecd/edgecd/store"
)

// querier is what reads need from either a pool or a transaction.
type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

const recordCols = `kind, id, version, rev, body, created, updated`

// scanner is a row to scan: *sql.Row or *sql.Rows.
type scanner interface{ Scan(...any) error }

// collect scans every row of rows with scan, then closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func scanRecord(row scanner) (store.Record, error) {
	var r store.Record
	var created, updated string
	if err := row.Scan(&r.Kind, &r.ID, &r.Version, &r.Rev, &r.Body, &created, &updated); err != nil {
		return store.Record{}, err
	}
	r.Created, r.Updated = parseTS(created), parseTS(updated)
	return r, nil
}

func get(ctx context.Context, q querier, kind, id string) (store.Record, error) {
	r, err := scanRecord(q.QueryRowContext(ctx, `SELECT `+recordCols+` FROM records WHERE kind = ? AND id = ?`, kind, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Record{}, fmt.Errorf("%s %q: %w", kind, id, store.ErrNotFound)
	}
	return r, err
}

// keyFilter is the WHERE clause of a list or listEntries after
// "kind = ?", and its arguments after kind. The prefix is a range scan on
// the primary key instead of LIKE, which would need escaping and could not
// use the index.
func keyFilter(opt store.Query, args []any) (string, []any) {
	where := ` AND id > ?`
	args = append(args, opt.After)
	if opt.Prefix != "" {
		where += ` AND id >= ? AND substr(id, 1, ?) = ?`
		args = append(args, opt.Prefix, len(opt.Prefix), opt.Prefix)
	}
	where += ` ORDER BY id`
	if opt.Limit > 0 {
		where += fmt.Sprintf(` LIMIT %d`, opt.Limit)
	}
	return where, args
}

func list(ctx context.Context, q querier, kind string, opt store.Query) ([]store.Record, error) {
	where, args := keyFilter(opt, []any{kind})
	rows, err := q.QueryContext(ctx, `SELECT `+recordCols+` FROM records WHERE kind = ?`+where, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanRecord)
}

// Get implements store.Store.
func (db *DB) Get(ctx context.Context, kind, id string) (store.Record, error) {
	return get(ctx, db.r, kind, id)
}

// List implements store.Store.
func (db *DB) List(ctx context.Context, kind string, q store.Query) ([]store.Record, error) {
	return list(ctx, db.r, kind, q)
}

const historyCols = `kind, id, version, rev, deleted, body, created, updated`

func scanHistory(row scanner) (store.Record, error) {
	var r store.Record
	var created, updated string
	if err := row.Scan(&r.Kind, &r.ID, &r.Version, &r.Rev, &r.Deleted, &r.Body, &created, &updated); err != nil {
		return store.Record{}, err
	}
	r.Created, r.Updated = parseTS(created), parseTS(updated)
	return r, nil
}

// GetVersion implements store.Store.
func (db *DB) GetVersion(ctx context.Context, kind, id string, version int64) (store.Record, error) {
	r, err := scanHistory(db.r.QueryRowContext(ctx, `SELECT `+historyCols+` FROM history WHERE kind = ? AND id = ? AND version = ?`, kind, id, version))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Record{}, fmt.Errorf("%s %q version %d: %w", kind, id, version, store.ErrNotFound)
	}
	return r, err
}

// History implements store.Store.
func (db *DB) History(ctx context.Context, kind, id string) ([]store.Record, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+historyCols+` FROM history WHERE kind = ? AND id = ? ORDER BY version`, kind, id)
	if err != nil {
		return nil, err
	}
	out, err := collect(rows, scanHistory)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s %q: %w", kind, id, store.ErrNotFound)
	}
	return out, nil
}

// Rev implements store.Store.
func (db *DB) Rev(ctx context.Context) (int64, error) {
	var rev int64
	err := db.r.QueryRowContext(ctx, `SELECT rev FROM revision WHERE id = 1`).Scan(&rev)
	return rev, err
}

// Snapshot implements store.Store. The read transaction pins one WAL
// snapshot, so the revision and the records agree.
func (db *DB) Snapshot(ctx context.Context, kinds ...string) (int64, []store.Record, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, nil, err
	}
	defer tx.Rollback()
	var rev int64
	if err := tx.QueryRowContext(ctx, `SELECT rev FROM revision WHERE id = 1`).Scan(&rev); err != nil {
		return 0, nil, err
	}
	var out []store.Record
	for _, k := range kinds {
		rs, err := list(ctx, tx, k, store.Query{})
		if err != nil {
			return 0, nil, err
		}
		out = append(out, rs...)
	}
	return rev, out, nil
}

// Changes implements store.Store.
func (db *DB) Changes(ctx context.Context, afterRev int64, limit int) ([]store.Change, error) {
	q := `SELECT rev, kind, id, version, deleted FROM changes WHERE rev > ? ORDER BY rev, seq`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := db.r.QueryContext(ctx, q, afterRev)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row scanner) (store.Change, error) {
		var c store.Change
		err := row.Scan(&c.Rev, &c.Kind, &c.ID, &c.Version, &c.Deleted)
		return c, err
	})
}

func validKey(kind, id string) error {
	if kind == "" || id == "" || strings.ContainsRune(kind+id, 0) {
		return fmt.Errorf("invalid record key %q/%q: kind and id must be non-empty without NUL", kind, id)
	}
	return nil
}
