package postgres

import (
	"context"
	"fmt"
)

// migrations are applied in order at start-up, each in its own transaction,
// and recorded in schema_migrations. Never edit one that has shipped: add a
// new one. Keys are COLLATE "C" so that ids sort byte-wise as in SQLite,
// whatever the database's locale.
var migrations = []string{
	// 1: versioned records, their history, the change log, edges and
	// unversioned entries (store.EntryTx).
	`
CREATE TABLE revision (id integer PRIMARY KEY CHECK (id = 1), rev bigint NOT NULL);
INSERT INTO revision (id, rev) VALUES (1, 0);

CREATE TABLE records (
	kind    text COLLATE "C" NOT NULL,
	id      text COLLATE "C" NOT NULL,
	version bigint NOT NULL,
	rev     bigint NOT NULL,
	body    bytea NOT NULL,
	created timestamptz NOT NULL,
	updated timestamptz NOT NULL,
	PRIMARY KEY (kind, id)
);

CREATE TABLE history (
	kind    text COLLATE "C" NOT NULL,
	id      text COLLATE "C" NOT NULL,
	version bigint NOT NULL,
	rev     bigint NOT NULL,
	deleted boolean NOT NULL DEFAULT false,
	body    bytea NOT NULL,
	created timestamptz NOT NULL,
	updated timestamptz NOT NULL,
	PRIMARY KEY (kind, id, version)
);

CREATE TABLE changes (
	rev     bigint NOT NULL,
	seq     integer NOT NULL,
	kind    text COLLATE "C" NOT NULL,
	id      text COLLATE "C" NOT NULL,
	version bigint NOT NULL,
	deleted boolean NOT NULL DEFAULT false,
	PRIMARY KEY (rev, seq)
);

CREATE TABLE edges (
	id        text COLLATE "C" PRIMARY KEY,
	addr      text NOT NULL,
	started   timestamptz NOT NULL,
	last_seen timestamptz NOT NULL,
	acked_rev bigint NOT NULL
);

CREATE TABLE entries (
	kind text COLLATE "C" NOT NULL,
	id   text COLLATE "C" NOT NULL,
	body bytea NOT NULL,
	PRIMARY KEY (kind, id)
);
`,
}

// migrateLock is the advisory lock key (any constant works; this one
// spells "edgecd" in ASCII) held while migrating, so that two nodes
// starting at once do not both create the tables.
const migrateLock int64 = 0x656467656364

// migrate brings the schema to the newest version this binary knows. It
// holds a session advisory lock on one connection throughout; if the
// process dies the session ends and PostgreSQL releases the lock.
func (db *DB) migrate(ctx context.Context) error {
	conn, err := db.w.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLock); err != nil {
		return fmt.Errorf("take the migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLock)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	var have int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("the database schema is at version %d but this edgecd knows only %d: run a newer edgecd", have, len(migrations))
	}
	for i := have; i < len(migrations); i++ {
		v := i + 1
		tx, err := conn.Begin(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, migrations[i]); err != nil {
			tx.Rollback(ctx)
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v); err != nil {
			tx.Rollback(ctx)
			return fmt.Errorf("record migration %d: %w", v, err)
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("commit migration %d: %w", v, err)
		}
	}
	return nil
}
