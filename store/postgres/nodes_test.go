package postgres

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgecd/edgecd/store"
	"github.com/edgecd/edgecd/store/sqlite"
	"github.com/jackc/pgx/v5"
)

func putOne(ctx context.Context, s store.Store, kind, id, body string) (int64, error) {
	return s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Put(ctx, kind, id, []byte(body), store.AnyVersion)
		return err
	})
}

// waitRev waits for a delivery of at least rev on ch.
func waitRev(t *testing.T, ch <-chan int64, rev int64) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case got := <-ch:
			if got >= rev {
				return
			}
		case <-timeout:
			t.Fatalf("revision %d was never announced", rev)
		}
	}
}

func TestTwoNodesSeeEachOthersWritesAndNotifications(t *testing.T) {
	ctx := context.Background()
	dsn := fresh(t)
	a, b := openDSN(t, dsn), openDSN(t, dsn)
	chA, cancelA := a.Subscribe()
	defer cancelA()
	chB, cancelB := b.Subscribe()
	defer cancelB()

	rev, err := putOne(ctx, a, "dist", "E1", `{"from":"a"}`)
	if err != nil {
		t.Fatal(err)
	}
	waitRev(t, chB, rev) // by NOTIFY: b did not write it
	if r, err := b.Get(ctx, "dist", "E1"); err != nil || string(r.Body) != `{"from":"a"}` || r.Rev != rev {
		t.Fatalf("b reads %+v, %v", r, err)
	}
	rev2, err := putOne(ctx, b, "dist", "E1", `{"from":"b"}`)
	if err != nil || rev2 != rev+1 {
		t.Fatalf("b's write: rev %d (want %d), %v", rev2, rev+1, err)
	}
	waitRev(t, chA, rev2)
	if got, _ := a.Rev(ctx); got != rev2 {
		t.Fatalf("a sees revision %d, want %d", got, rev2)
	}
	// Heartbeats are shared too, which is how a control node counts the
	// edges of other machines.
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := b.PutEdge(ctx, store.Edge{ID: "edge-b", Addr: "10.0.0.2:8080", Started: now, LastSeen: now, AckedRev: rev2}); err != nil {
		t.Fatal(err)
	}
	if es, err := a.Edges(ctx); err != nil || len(es) != 1 || es[0].AckedRev != rev2 {
		t.Fatalf("a sees edges %+v, %v", es, err)
	}
}

// TestWatchersNeverMissARevision runs writers on two nodes while a watcher
// follows Changes the way an edge does: every batch it reads must continue
// exactly where the previous one ended. A revision that became visible
// after a higher one (a sequence-numbered design) would show as a gap.
func TestWatchersNeverMissARevision(t *testing.T) {
	ctx := context.Background()
	dsn := fresh(t)
	nodes := []*DB{openDSN(t, dsn), openDSN(t, dsn)}
	const writers, writes = 6, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range writes {
				if _, err := putOne(ctx, nodes[w%2], "k", fmt.Sprintf("w%d-%d", w, i), "x"); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()

	var seen int64
	follow := func() {
		changes, err := nodes[1].Changes(ctx, seen, 7)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range changes {
			if c.Rev != seen+1 {
				t.Fatalf("after revision %d the change log continued at %d", seen, c.Rev)
			}
			seen = c.Rev
		}
	}
	for done := false; !done; {
		select {
		case <-finished:
			done = true
		default:
		}
		follow()
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for range writers * writes {
		follow()
	}
	if seen != writers*writes {
		t.Fatalf("followed %d revisions, want %d", seen, writers*writes)
	}
}

func TestNodesStartingAtOnceMigrateOnce(t *testing.T) {
	dsn := fresh(t)
	const n = 4
	var wg sync.WaitGroup
	dbs := make([]*DB, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = Open(context.Background(), dsn, Options{})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	var applied int
	if err := dbs[0].r.QueryRow(context.Background(), `SELECT count(*) FROM schema_migrations`).Scan(&applied); err != nil || applied != len(migrations) {
		t.Fatalf("%d migrations recorded (want %d), %v", applied, len(migrations), err)
	}
}

func TestReopenKeepsCommittedRecords(t *testing.T) {
	ctx := context.Background()
	dsn := fresh(t)
	db, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := putOne(ctx, db, "dist", "E1", `{"x":1}`)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = openDSN(t, dsn)
	r, err := db.Get(ctx, "dist", "E1")
	if err != nil || string(r.Body) != `{"x":1}` || r.Rev != rev {
		t.Fatalf("after reopen: %+v, %v", r, err)
	}
	if got, _ := db.Rev(ctx); got != rev {
		t.Fatalf("revision after reopen = %d, want %d", got, rev)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	ctx := context.Background()
	dsn := fresh(t)
	db := openDSN(t, dsn)
	if _, err := db.w.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, dsn, Options{})
	if err == nil || !strings.Contains(err.Error(), "run a newer edgecd") {
		t.Fatalf("open of a newer schema: %v", err)
	}
}

// TestNotificationsResumeAfterTheConnectionDrops kills the listener's
// server process: the relay reconnects and announces what it missed.
func TestNotificationsResumeAfterTheConnectionDrops(t *testing.T) {
	ctx := context.Background()
	dsn := fresh(t)
	a, b := openDSN(t, dsn), openDSN(t, dsn)
	ch, cancel := b.Subscribe()
	defer cancel()
	var killed int
	err := a.r.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = $1`,
		`LISTEN `+pgx.Identifier{b.channel}.Sanitize()).Scan(&killed)
	if err != nil || killed == 0 {
		t.Fatalf("terminated %d listeners, %v", killed, err)
	}
	rev, err := putOne(ctx, a, "k", "after", "x")
	if err != nil {
		t.Fatal(err)
	}
	waitRev(t, ch, rev)
}

func TestKeysPostgresCannotHold(t *testing.T) {
	ctx := context.Background()
	db := openDSN(t, fresh(t))
	for _, id := range []string{"nul\x00id", "bad\xffutf8"} {
		_, err := putOne(ctx, db, "k", id, "x")
		if err == nil || errors.Is(err, store.ErrConflict) {
			t.Errorf("put %q: %v, want a key error", id, err)
		}
		if _, err := db.Get(ctx, "k", id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("get %q: %v, want ErrNotFound", id, err)
		}
	}
}

// TestIDsSortBytewiseWhateverTheLocale lists ids in a database whose
// default collation is ICU en-US, where "a" sorts before "B": the store
// must still page in byte order, as SQLite does.
func TestIDsSortBytewiseWhateverTheLocale(t *testing.T) {
	ctx := context.Background()
	fresh(t) // skips without PostgreSQL
	name := fmt.Sprintf("icu%d", schemas.Add(1))
	conn, err := pgx.Connect(ctx, server.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, `CREATE DATABASE `+name+` TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C'`)
	conn.Close(ctx)
	if err != nil {
		t.Skipf("no ICU collation to test with: %v", err)
	}
	db := openDSN(t, server.DSN(name))
	for _, id := range []string{"a", "B", "_x", "Z", "a/1"} {
		if _, err := putOne(ctx, db, "k", id, "x"); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := db.List(ctx, "k", store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, r.ID)
	}
	if want := "B Z _x a a/1"; strings.Join(got, " ") != want {
		t.Fatalf("ids listed as %q, want %q", got, want)
	}
}

// BenchmarkUpdate measures one-record Update transactions, on PostgreSQL
// and on SQLite for comparison. Set EDGECD_PG_FSYNC=1 to make PostgreSQL
// fsync at commit as SQLite does (synchronous=FULL).
func BenchmarkUpdate(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, s store.Store) {
		body := []byte(`{"benchmark":true}`)
		i := 0
		for b.Loop() {
			i++
			id := fmt.Sprintf("r%d", i%100)
			if _, err := s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.Put(ctx, "k", id, body, store.AnyVersion)
				return err
			}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
	}
	b.Run("postgres", func(b *testing.B) { run(b, openDSN(b, fresh(b))) })
	b.Run("sqlite", func(b *testing.B) {
		db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		run(b, db)
	})
}

// TestReadModifyWriteNeverRaces increments one counter from two nodes with
// AnyVersion writes: only if each fn sees the latest committed value and
// nothing commits between its read and its write does no increment get
// lost. Every fn must also run exactly once.
func TestReadModifyWriteNeverRaces(t *testing.T) {
	ctx := context.Background()
	dsn := fresh(t)
	nodes := []*DB{openDSN(t, dsn), openDSN(t, dsn)}
	const workers, each = 6, 15
	var calls atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				_, err := nodes[w%2].Update(ctx, func(ctx context.Context, tx store.Tx) error {
					calls.Add(1)
					n := 0
					if r, err := tx.Get(ctx, "k", "counter"); err == nil {
						n, _ = strconv.Atoi(string(r.Body))
					} else if !errors.Is(err, store.ErrNotFound) {
						return err
					}
					_, err := tx.Put(ctx, "k", "counter", []byte(strconv.Itoa(n+1)), store.AnyVersion)
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r, err := nodes[0].Get(ctx, "k", "counter")
	if err != nil || string(r.Body) != strconv.Itoa(workers*each) {
		t.Fatalf("counter = %q, %v; want %d", r.Body, err, workers*each)
	}
	if calls.Load() != workers*each {
		t.Fatalf("fn ran %d times for %d updates", calls.Load(), workers*each)
	}
}

// TestFnCanReadOutsideItsTransaction calls the store's own readers from
// inside fn with one connection per pool: readers must not need the
// writer's connection (the SQLite store has the same split).
func TestFnCanReadOutsideItsTransaction(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	db, err := Open(ctx, fresh(t), Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := db.Rev(ctx); err != nil {
			return err
		}
		_, err := tx.Put(ctx, "k", "x", nil, store.NotExists)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
