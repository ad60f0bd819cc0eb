package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/edgecd/edgecd/store"
	"github.com/jackc/pgx/v5"
)

// PutEdge implements store.Store. Heartbeats are not resource changes: they
// do not take the revision lock, advance the revision or wake watchers.
func (db *DB) PutEdge(ctx context.Context, e store.Edge) error {
	if !storable(e.ID, e.Addr) {
		return fmt.Errorf("edge id %q and address %q must be valid UTF-8 without NUL", e.ID, e.Addr)
	}
	_, err := db.r.Exec(ctx, `INSERT INTO edges (id, addr, started, last_seen, acked_rev) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET addr = excluded.addr, last_seen = excluded.last_seen, acked_rev = excluded.acked_rev`,
		e.ID, e.Addr, e.Started.UTC(), e.LastSeen.UTC(), e.AckedRev)
	if err != nil {
		return fmt.Errorf("record edge %s: %w", e.ID, err)
	}
	return nil
}

// Edges implements store.Store.
func (db *DB) Edges(ctx context.Context) ([]store.Edge, error) {
	rows, err := db.r.Query(ctx, `SELECT id, addr, started, last_seen, acked_rev FROM edges ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read edges: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Edge, error) {
		var e store.Edge
		var started, seen time.Time
		err := row.Scan(&e.ID, &e.Addr, &started, &seen, &e.AckedRev)
		e.Started, e.LastSeen = started.UTC(), seen.UTC()
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("read edges: %w", err)
	}
	return out, nil
}

// DeleteEdge implements store.Store.
func (db *DB) DeleteEdge(ctx context.Context, id string) error {
	if !storable(id) {
		return nil
	}
	if _, err := db.r.Exec(ctx, `DELETE FROM edges WHERE id = $1`, id); err != nil {
		return fmt.Errorf("remove edge %s: %w", id, err)
	}
	return nil
}
