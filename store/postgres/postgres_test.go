package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgecd/edgecd/store"
	"github.com/edgecd/edgecd/store/postgres/pgtest"
	"github.com/edgecd/edgecd/store/storetest"
)

// server is the PostgreSQL every test of the package shares; each test
// gets its own schema (see fresh).
var (
	server     *pgtest.Server
	skipReason string
	schemas    atomic.Int64
)

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	var err error
	server, err = pgtest.Start(ctx, pgtest.Options{Fsync: os.Getenv("EDGECD_PG_FSYNC") != ""})
	cancel()
	switch {
	case errors.Is(err, pgtest.ErrNoPostgres):
		skipReason = err.Error()
	case err != nil:
		fmt.Fprintln(os.Stderr, "start PostgreSQL:", err)
		os.Exit(1)
	}
	code := m.Run()
	if server != nil {
		server.Stop()
	}
	os.Exit(code)
}

// fresh returns the DSN of a new, empty schema.
func fresh(t testing.TB) string {
	t.Helper()
	if skipReason != "" {
		t.Skip(skipReason)
	}
	dsn, err := server.CreateSchema(context.Background(), fmt.Sprintf("t%d", schemas.Add(1)))
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

func openDSN(t testing.TB, dsn string) *DB {
	t.Helper()
	db, err := Open(context.Background(), dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStoreBehaviour(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openDSN(t, fresh(t)) })
}
