package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/edgecd/edgecd/store"
	"github.com/jackc/pgx/v5"
)

func getEntry(ctx context.Context, q querier, kind, id string) ([]byte, error) {
	if !storable(kind, id) {
		return nil, fmt.Errorf("%s %q: %w", kind, id, store.ErrNotFound)
	}
	var body []byte
	err := q.QueryRow(ctx, `SELECT body FROM entries WHERE kind = $1 AND id = $2`, kind, id).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%s %q: %w", kind, id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read entry %s %q: %w", kind, id, err)
	}
	return body, nil
}

func listEntries(ctx context.Context, q querier, kind string, opt store.Query) ([]store.Entry, error) {
	if !storable(kind, opt.Prefix, opt.After) {
		return nil, nil
	}
	where, args := keyFilter(opt, []any{kind})
	rows, err := q.Query(ctx, `SELECT id, body FROM entries WHERE kind = $1`+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s entries: %w", kind, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Entry, error) {
		var e store.Entry
		err := row.Scan(&e.ID, &e.Body)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("list %s entries: %w", kind, err)
	}
	return out, nil
}

// GetEntry implements store.EntryReader.
func (db *DB) GetEntry(ctx context.Context, kind, id string) ([]byte, error) {
	return getEntry(ctx, db.r, kind, id)
}

// ListEntries implements store.EntryReader.
func (db *DB) ListEntries(ctx context.Context, kind string, q store.Query) ([]store.Entry, error) {
	return listEntries(ctx, db.r, kind, q)
}

// GetEntry implements store.EntryTx.
func (t *tx) GetEntry(ctx context.Context, kind, id string) ([]byte, error) {
	return getEntry(ctx, t.tx, kind, id)
}

// ListEntries implements store.EntryTx.
func (t *tx) ListEntries(ctx context.Context, kind string, q store.Query) ([]store.Entry, error) {
	return listEntries(ctx, t.tx, kind, q)
}

// PutEntry implements store.EntryTx.
func (t *tx) PutEntry(ctx context.Context, kind, id string, body []byte) error {
	if err := validKey(kind, id); err != nil {
		return err
	}
	if body == nil {
		body = []byte{}
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO entries (kind, id, body) VALUES ($1, $2, $3)
		ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body`, kind, id, body); err != nil {
		return fmt.Errorf("write entry %s %q: %w", kind, id, classify(err))
	}
	t.entries = true
	return nil
}

// PutEntries implements store.EntryTx with one statement over two arrays.
// An id given twice keeps its last body, as PutEntry one by one would
// (PostgreSQL's upsert refuses to touch one row twice in a statement).
func (t *tx) PutEntries(ctx context.Context, kind string, entries []store.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	last := make(map[string]int, len(entries))
	for i, e := range entries {
		if err := validKey(kind, e.ID); err != nil {
			return err
		}
		last[e.ID] = i
	}
	ids := make([]string, 0, len(last))
	bodies := make([][]byte, 0, len(last))
	for i, e := range entries {
		if last[e.ID] != i {
			continue
		}
		body := e.Body
		if body == nil {
			body = []byte{}
		}
		ids, bodies = append(ids, e.ID), append(bodies, body)
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO entries (kind, id, body) SELECT $1, u.id, u.body FROM unnest($2::text[], $3::bytea[]) AS u(id, body)
		ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body`, kind, ids, bodies); err != nil {
		return fmt.Errorf("write %d %s entries: %w", len(ids), kind, classify(err))
	}
	t.entries = true
	return nil
}

// DeleteEntry implements store.EntryTx.
func (t *tx) DeleteEntry(ctx context.Context, kind, id string) (bool, error) {
	if !storable(kind, id) {
		return false, nil
	}
	tag, err := t.tx.Exec(ctx, `DELETE FROM entries WHERE kind = $1 AND id = $2`, kind, id)
	if err != nil {
		return false, fmt.Errorf("delete entry %s %q: %w", kind, id, classify(err))
	}
	if tag.RowsAffected() > 0 {
		t.entries = true
	}
	return tag.RowsAffected() > 0, nil
}
