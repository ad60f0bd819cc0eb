package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/edgecd/edgecd/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is a store.Store in one PostgreSQL schema (the DSN's search_path,
// usually "public").
type DB struct {
	// w serves Update only; r serves every other call. Two pools, so that a
	// transaction holding the revision lock can always read outside it (fn
	// may call DB.Get) even when every writer connection waits on that lock.
	w, r    *pgxpool.Pool
	log     *slog.Logger
	now     func() time.Time
	channel string // LISTEN/NOTIFY channel of this schema

	notify store.Notifier

	stop       context.CancelFunc
	listenDone chan struct{}
}

var (
	_ store.Store       = (*DB)(nil)
	_ store.EntryReader = (*DB)(nil)
)

// Options tune Open. The zero value is fine.
type Options struct {
	Logger *slog.Logger // default slog.Default()
	// MaxConns bounds each of the two pools (writers, readers); default 4.
	MaxConns int32
}

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string, as libpq and pgx read them), runs the migrations this
// binary knows and starts relaying notifications. It returns once the
// listener is in place, so no commit after Open returns goes unannounced
// while the connection stays up.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 4
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN, password included: keep only
		// what is safe to log.
		return nil, errors.New("parse PostgreSQL DSN: use postgres://user:password@host:port/database?sslmode=... or key=value pairs")
	}
	cfg.MaxConns = opts.MaxConns
	w, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	r, err := pgxpool.NewWithConfig(ctx, cfg.Copy())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	db := &DB{w: w, r: r, log: opts.Logger, now: time.Now, listenDone: make(chan struct{})}
	if err := db.migrate(ctx); err != nil {
		db.closePools()
		return nil, err
	}
	var schema string
	if err := r.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		db.closePools()
		return nil, fmt.Errorf("read the current schema: %w", err)
	}
	db.channel = channelName(schema)
	conn, err := db.listen(ctx)
	if err != nil {
		db.closePools()
		return nil, err
	}
	lctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	db.stop = stop
	go db.relay(lctx, conn)
	return db, nil
}

// channelName is the NOTIFY channel of one schema: several edgecd
// installations may share a database in different schemas and must not
// wake each other. Channel names are identifiers (at most 63 bytes).
func channelName(schema string) string {
	name := "edgecd_rev_" + schema
	if len(name) > 63 {
		sum := sha256.Sum256([]byte(schema))
		name = "edgecd_rev_" + hex.EncodeToString(sum[:16])
	}
	return name
}

// Close stops the notification relay and closes the pools.
func (db *DB) Close() error {
	db.stop()
	<-db.listenDone
	db.closePools()
	return nil
}

func (db *DB) closePools() {
	db.w.Close()
	db.r.Close()
}

// stamp is the time written by a transaction, at the microsecond precision
// of timestamptz, so a Record returned by Put equals the one read back.
func (db *DB) stamp() time.Time { return db.now().UTC().Truncate(time.Microsecond) }

// validKey refuses keys PostgreSQL text cannot hold, with a message the
// caller can act on.
func validKey(kind, id string) error {
	if kind == "" || id == "" || strings.ContainsRune(kind+id, 0) || !utf8.ValidString(kind+id) {
		return fmt.Errorf("invalid record key %q/%q: kind and id must be non-empty valid UTF-8 without NUL", kind, id)
	}
	return nil
}

// storable reports whether s can be compared with stored text at all; a
// key that cannot be stored is simply not found.
func storable(s ...string) bool {
	for _, x := range s {
		if strings.ContainsRune(x, 0) || !utf8.ValidString(x) {
			return false
		}
	}
	return true
}

// querier is what reads need from a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
