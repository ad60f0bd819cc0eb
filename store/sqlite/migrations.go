package sqlite

// migrations are applied in order at start-up, each in its own transaction,
// and recorded in schema_migrations. Never edit one that has shipped: add a
// new one.
var migrations = []string{
	// 1: versioned records, their history, the change log and edges.
	`
CREATE TABLE revision (id INTEGER PRIMARY KEY CHECK (id = 1), rev INTEGER NOT NULL);
INSERT INTO revision (id, rev) VALUES (1, 0);

CREATE TABLE records (
	kind    TEXT NOT NULL,
	id      TEXT NOT NULL,
	version INTEGER NOT NULL,
	rev     INTEGER NOT NULL,
	body    BLOB NOT NULL,
	created TEXT NOT NULL,
	updated TEXT NOT NULL,
	PRIMARY KEY (kind, id)
) WITHOUT ROWID;

CREATE TABLE history (
	kind    TEXT NOT NULL,
	id      TEXT NOT NULL,
	version INTEGER NOT NULL,
	rev     INTEGER NOT NULL,
	deleted INTEGER NOT NULL DEFAULT 0,
	body    BLOB NOT NULL,
	created TEXT NOT NULL,
	updated TEXT NOT NULL,
	PRIMARY KEY (kind, id, version)
) WITHOUT ROWID;

CREATE TABLE changes (
	rev     INTEGER NOT NULL,
	seq     INTEGER NOT NULL,
	kind    TEXT NOT NULL,
	id      TEXT NOT NULL,
	version INTEGER NOT NULL,
	deleted INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (rev, seq)
) WITHOUT ROWID;

CREATE TABLE edges (
	id        TEXT PRIMARY KEY,
	addr      TEXT NOT NULL,
	started   TEXT NOT NULL,
	last_seen TEXT NOT NULL,
	acked_rev INTEGER NOT NULL
);
`,
	// 2: unversioned entries (store.EntryTx): no history, no change log.
	`
CREATE TABLE entries (
	kind TEXT NOT NULL,
	id   TEXT NOT NULL,
	body BLOB NOT NULL,
	PRIMARY KEY (kind, id)
) WITHOUT ROWID;
`,
}
