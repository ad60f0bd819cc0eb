package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/edgecd/edgecd/store"
	"github.com/jackc/pgx/v5"
)

const recordCols = `kind, id, version, rev, body, created, updated`

func scanRecord(row pgx.Row) (store.Record, error) {
	var r store.Record
	var created, updated time.Time
	if err := row.Scan(&r.Kind, &r.ID, &r.Version, &r.Rev, &r.Body, &created, &updated); err != nil {
		return store.Record{}, err
	}
	r.Created, r.Updated = created.UTC(), updated.UTC()
	return r, nil
}

func get(ctx context.Context, q querier, kind, id string) (store.Record, error) {
	if !storable(kind, id) {
		return store.Record{}, fmt.Errorf("%s %q: %w", kind, id, store.ErrNotFound)
	}
	r, err := scanRecord(q.QueryRow(ctx, `SELECT `+recordCols+` FROM records WHERE kind = $1 AND id = $2`, kind, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Record{}, fmt.Errorf("%s %q: %w", kind, id, store.ErrNotFound)
	}
	if err != nil {
		return store.Record{}, fmt.Errorf("read %s %q: %w", kind, id, err)
	}
	return r, nil
}

// keyFilter is the WHERE clause of a List or ListEntries after "kind = $1".
// The prefix is matched with starts_with, not LIKE, which would need
// escaping; "id >= prefix" keeps it a range scan of the primary key.
func keyFilter(opt store.Query, args []any) (string, []any) {
	where := ` AND id > $2`
	args = append(args, opt.After)
	if opt.Prefix != "" {
		where += fmt.Sprintf(` AND id >= $%d AND starts_with(id, $%d)`, len(args)+1, len(args)+1)
		args = append(args, opt.Prefix)
	}
	where += ` ORDER BY id`
	if opt.Limit > 0 {
		where += fmt.Sprintf(` LIMIT %d`, opt.Limit)
	}
	return where, args
}

func list(ctx context.Context, q querier, kind string, opt store.Query) ([]store.Record, error) {
	if !storable(kind, opt.Prefix, opt.After) {
		return nil, nil
	}
	where, args := keyFilter(opt, []any{kind})
	rows, err := q.Query(ctx, `SELECT `+recordCols+` FROM records WHERE kind = $1`+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Record, error) { return scanRecord(row) })
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, err)
	}
	return out, nil
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

func scanHistory(row pgx.Row) (store.Record, error) {
	var r store.Record
	var created, updated time.Time
	if err := row.Scan(&r.Kind, &r.ID, &r.Version, &r.Rev, &r.Deleted, &r.Body, &created, &updated); err != nil {
		return store.Record{}, err
	}
	r.Created, r.Updated = created.UTC(), updated.UTC()
	return r, nil
}

// GetVersion implements store.Store.
func (db *DB) GetVersion(ctx context.Context, kind, id string, version int64) (store.Record, error) {
	notFound := fmt.Errorf("%s %q version %d: %w", kind, id, version, store.ErrNotFound)
	if !storable(kind, id) {
		return store.Record{}, notFound
	}
	r, err := scanHistory(db.r.QueryRow(ctx, `SELECT `+historyCols+` FROM history WHERE kind = $1 AND id = $2 AND version = $3`, kind, id, version))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Record{}, notFound
	}
	if err != nil {
		return store.Record{}, fmt.Errorf("read %s %q version %d: %w", kind, id, version, err)
	}
	return r, nil
}

// History implements store.Store.
func (db *DB) History(ctx context.Context, kind, id string) ([]store.Record, error) {
	var out []store.Record
	if storable(kind, id) {
		rows, err := db.r.Query(ctx, `SELECT `+historyCols+` FROM history WHERE kind = $1 AND id = $2 ORDER BY version`, kind, id)
		if err != nil {
			return nil, fmt.Errorf("history of %s %q: %w", kind, id, err)
		}
		if out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Record, error) { return scanHistory(row) }); err != nil {
			return nil, fmt.Errorf("history of %s %q: %w", kind, id, err)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s %q: %w", kind, id, store.ErrNotFound)
	}
	return out, nil
}

// Rev implements store.Store.
func (db *DB) Rev(ctx context.Context) (int64, error) {
	var rev int64
	if err := db.r.QueryRow(ctx, `SELECT rev FROM revision WHERE id = 1`).Scan(&rev); err != nil {
		return 0, fmt.Errorf("read the revision: %w", err)
	}
	return rev, nil
}

// Snapshot implements store.Store. A REPEATABLE READ transaction reads the
// revision and the records from one MVCC snapshot, so they agree.
func (db *DB) Snapshot(ctx context.Context, kinds ...string) (int64, []store.Record, error) {
	tx, err := db.r.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return 0, nil, fmt.Errorf("begin snapshot: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var rev int64
	if err := tx.QueryRow(ctx, `SELECT rev FROM revision WHERE id = 1`).Scan(&rev); err != nil {
		return 0, nil, fmt.Errorf("read the revision: %w", err)
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
	q := `SELECT rev, kind, id, version, deleted FROM changes WHERE rev > $1 ORDER BY rev, seq`
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit)
	}
	rows, err := db.r.Query(ctx, q, afterRev)
	if err != nil {
		return nil, fmt.Errorf("read changes: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Change, error) {
		var c store.Change
		err := row.Scan(&c.Rev, &c.Kind, &c.ID, &c.Version, &c.Deleted)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read changes: %w", err)
	}
	return out, nil
}
