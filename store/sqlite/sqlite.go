// Package sqlite is the embedded implementation of store.Store on
// modernc.org/sqlite (pure Go, no cgo): one database file in WAL mode with
// synchronous=FULL, so a committed transaction survives kill -9 and power
// loss. Writes go through one connection (SQLite has one writer anyway);
// reads use a small pool and never block the writer.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/edgecd/edgecd/store"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// DB is a store.Store backed by one SQLite file.
type DB struct {
	w, r *sql.DB
	now  func() time.Time

	notify store.Notifier

	stmts entryStmts
}

var _ store.Store = (*DB)(nil)

// Open opens (creating if needed) the database at path and runs migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	dsn := func(txlock string) string {
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Set("_txlock", txlock)
		return "file:" + path + "?" + q.Encode()
	}
	w, err := sql.Open("sqlite", dsn("immediate"))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn("deferred"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	db := &DB{w: w, r: r, now: time.Now}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if err := db.prepareEntries(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("prepare %s: %w", path, err)
	}
	return db, nil
}

// Close closes both connection pools.
func (db *DB) Close() error {
	for _, st := range []*sql.Stmt{db.stmts.get, db.stmts.put, db.stmts.del} {
		if st != nil {
			st.Close()
		}
	}
	return errors.Join(db.w.Close(), db.r.Close())
}

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)`); err != nil {
		return err
	}
	for i, m := range migrations {
		v := i + 1
		tx, err := db.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, v).Scan(&n); err != nil {
			tx.Rollback()
			return err
		}
		if n > 0 {
			tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, m); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`, v, db.now().UTC().Format(time.RFC3339Nano)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// Subscribe implements store.Store.
func (db *DB) Subscribe() (<-chan int64, func()) { return db.notify.Subscribe() }

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTS(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}
