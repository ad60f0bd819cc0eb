package sqlite

import (
	"context"

	"github.com/edgecd/edgecd/store"
)

// PutEdge implements store.Store. Heartbeats are not resource changes: they
// do not advance the revision or wake watchers.
func (db *DB) PutEdge(ctx context.Context, e store.Edge) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO edges (id, addr, started, last_seen, acked_rev) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET addr = excluded.addr, last_seen = excluded.last_seen, acked_rev = excluded.acked_rev`,
		e.ID, e.Addr, ts(e.Started), ts(e.LastSeen), e.AckedRev)
	return err
}

// Edges implements store.Store.
func (db *DB) Edges(ctx context.Context) ([]store.Edge, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, addr, started, last_seen, acked_rev FROM edges ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row scanner) (store.Edge, error) {
		var e store.Edge
		var started, seen string
		if err := row.Scan(&e.ID, &e.Addr, &started, &seen, &e.AckedRev); err != nil {
			return store.Edge{}, err
		}
		e.Started, e.LastSeen = parseTS(started), parseTS(seen)
		return e, nil
	})
}

// DeleteEdge implements store.Store.
func (db *DB) DeleteEdge(ctx context.Context, id string) error {
	_, err := db.w.ExecContext(ctx, `DELETE FROM edges WHERE id = ?`, id)
	return err
}
