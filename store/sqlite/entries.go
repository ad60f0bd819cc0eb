package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/edgecd/edgecd/store"
)

var (
	_ store.EntryTx     = (*tx)(nil)
	_ store.EntryReader = (*DB)(nil)
)

// entryStmts are prepared once on the writer connection at Open: entries
// are written many times per second (one per flow history event), and
// parsing the SQL each time would cost more than running it. (Preparing
// later, inside a transaction, would wait forever for the one connection.)
type entryStmts struct {
	get, put, del *sql.Stmt
}

func (db *DB) prepareEntries(ctx context.Context) error {
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.w.PrepareContext(ctx, q)
		return st
	}
	db.stmts.get = prep(`SELECT body FROM entries WHERE kind = ? AND id = ?`)
	db.stmts.put = prep(`INSERT INTO entries (kind, id, body) VALUES (?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body`)
	db.stmts.del = prep(`DELETE FROM entries WHERE kind = ? AND id = ?`)
	return err
}

func (t *tx) stmt(ctx context.Context, st *sql.Stmt) *sql.Stmt { return t.tx.StmtContext(ctx, st) }

// GetEntry implements store.EntryTx.
func (t *tx) GetEntry(ctx context.Context, kind, id string) ([]byte, error) {
	return getEntry(t.stmt(ctx, t.db.stmts.get).QueryRowContext(ctx, kind, id), kind, id)
}

func getEntry(row *sql.Row, kind, id string) ([]byte, error) {
	var body []byte
	err := row.Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s %q: %w", kind, id, store.ErrNotFound)
	}
	return body, err
}

// PutEntry implements store.EntryTx.
func (t *tx) PutEntry(ctx context.Context, kind, id string, body []byte) error {
	if err := validKey(kind, id); err != nil {
		return err
	}
	st := t.stmt(ctx, t.db.stmts.put)
	if body == nil {
		body = []byte{}
	}
	if _, err := st.ExecContext(ctx, kind, id, body); err != nil {
		return fmt.Errorf("write entry %s %q: %w", kind, id, err)
	}
	t.entries = true
	return nil
}

// PutEntries implements store.EntryTx with multi-row inserts.
func (t *tx) PutEntries(ctx context.Context, kind string, entries []store.Entry) error {
	const rows = 64
	for len(entries) > 0 {
		n := min(len(entries), rows)
		var b strings.Builder
		b.WriteString(`INSERT INTO entries (kind, id, body) VALUES `)
		args := make([]any, 0, 3*n)
		for i, e := range entries[:n] {
			if err := validKey(kind, e.ID); err != nil {
				return err
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`(?, ?, ?)`)
			body := e.Body
			if body == nil {
				body = []byte{}
			}
			args = append(args, kind, e.ID, body)
		}
		b.WriteString(` ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body`)
		if _, err := t.tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("write %d %s entries: %w", n, kind, err)
		}
		t.entries = true
		entries = entries[n:]
	}
	return nil
}

// DeleteEntry implements store.EntryTx.
func (t *tx) DeleteEntry(ctx context.Context, kind, id string) (bool, error) {
	res, err := t.stmt(ctx, t.db.stmts.del).ExecContext(ctx, kind, id)
	if err != nil {
		return false, fmt.Errorf("delete entry %s %q: %w", kind, id, err)
	}
	n, err := res.RowsAffected()
	if n > 0 {
		t.entries = true
	}
	return n > 0, err
}

// ListEntries implements store.EntryTx.
func (t *tx) ListEntries(ctx context.Context, kind string, q store.Query) ([]store.Entry, error) {
	return listEntries(ctx, t.tx, kind, q)
}

// GetEntry implements store.EntryReader.
func (db *DB) GetEntry(ctx context.Context, kind, id string) ([]byte, error) {
	return getEntry(db.r.QueryRowContext(ctx, `SELECT body FROM entries WHERE kind = ? AND id = ?`, kind, id), kind, id)
}

// ListEntries implements store.EntryReader.
func (db *DB) ListEntries(ctx context.Context, kind string, q store.Query) ([]store.Entry, error) {
	return listEntries(ctx, db.r, kind, q)
}

func listEntries(ctx context.Context, q querier, kind string, opt store.Query) ([]store.Entry, error) {
	where, args := keyFilter(opt, []any{kind})
	rows, err := q.QueryContext(ctx, `SELECT id, body FROM entries WHERE kind = ?`+where, args...)
	if err != nil {
		return nil, err
	}
	return collect(rows, func(row scanner) (store.Entry, error) {
		var e store.Entry
		err := row.Scan(&e.ID, &e.Body)
		return e, err
	})
}
