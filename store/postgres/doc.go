// Package postgres is the store.Store for several nodes: control-plane and
// edge-only nodes on different machines share one PostgreSQL database
// (through github.com/jackc/pgx/v5) and see each other's writes.
//
// Data enters through Update, whose transactions write versioned records
// (with their history and a change-log entry each) and unversioned entries
// (store.EntryTx); through PutEdge heartbeats; and through the versioned
// schema migrations that Open runs under an advisory lock, so nodes that
// start at once migrate once. Data leaves through the readers (Get, List,
// Snapshot, Changes, History, GetEntry, ...) and through Subscribe, which
// relays LISTEN/NOTIFY: every committed revision is announced on a channel
// named after the schema, so edges on other machines wake within a round
// trip instead of a polling period.
//
// Revisions are gap-free and become visible in order. Every Update locks the
// single revision row first (SELECT ... FOR UPDATE), so record-writing
// transactions run one at a time, exactly as with SQLite's single writer:
// revision N+1 cannot commit before N is visible, and a watcher that has read
// Changes up to N never meets a later commit numbered N or lower. Because fn
// holds that lock, it runs exactly once: there are no serialization failures
// to retry (docs/decisions/0141-postgres-store-pgx.md says why).
//
// Ids are compared byte-wise (COLLATE "C"), as SQLite does, whatever the
// database's locale; kinds and ids must be valid UTF-8 without NUL, as
// PostgreSQL text requires.
package postgres
