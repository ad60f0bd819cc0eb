// Package storetest is the behaviour every store.Store implementation must
// have, as a test suite the implementations run against themselves.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/edgecd/edgecd/store"
)

// Run runs the suite. open must return a fresh, empty store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("PutGetAndVersions", func(t *testing.T) { testPutGet(t, open(t)) })
	t.Run("ExpectedVersionConflicts", func(t *testing.T) { testConflicts(t, open(t)) })
	t.Run("FailedUpdateWritesNothing", func(t *testing.T) { testRollback(t, open(t)) })
	t.Run("DeleteKeepsHistory", func(t *testing.T) { testDelete(t, open(t)) })
	t.Run("ListPrefixAndPagination", func(t *testing.T) { testList(t, open(t)) })
	t.Run("SnapshotAndChanges", func(t *testing.T) { testChanges(t, open(t)) })
	t.Run("SubscribeSeesCommits", func(t *testing.T) { testSubscribe(t, open(t)) })
	t.Run("ConcurrentWritersOneWinsPerVersion", func(t *testing.T) { testConcurrent(t, open(t)) })
	t.Run("Edges", func(t *testing.T) { testEdges(t, open(t)) })
	t.Run("EntriesOutsideTheChangeLog", func(t *testing.T) { testEntries(t, open(t)) })
	t.Run("SecretCreatedOnce", func(t *testing.T) { testSecret(t, open(t)) })
}

func put(t *testing.T, s store.Store, kind, id, body string, expect int64) (store.Record, error) {
	t.Helper()
	var rec store.Record
	_, err := s.Update(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		rec, err = tx.Put(ctx, kind, id, []byte(body), expect)
		return err
	})
	return rec, err
}

func testPutGet(t *testing.T, s store.Store) {
	ctx := context.Background()
	r1, err := put(t, s, "dist", "E1", `{"a":1}`, store.NotExists)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Version != 1 || r1.Rev < 1 {
		t.Fatalf("first put: version %d rev %d, want version 1 and a revision", r1.Version, r1.Rev)
	}
	r2, err := put(t, s, "dist", "E1", `{"a":2}`, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Version != 2 || r2.Rev <= r1.Rev {
		t.Fatalf("second put: version %d rev %d after rev %d", r2.Version, r2.Rev, r1.Rev)
	}
	got, err := s.Get(ctx, "dist", "E1")
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Body) != `{"a":2}` || got.Version != 2 || !got.Created.Equal(r1.Created) {
		t.Fatalf("get = %+v", got)
	}
	old, err := s.GetVersion(ctx, "dist", "E1", 1)
	if err != nil || string(old.Body) != `{"a":1}` {
		t.Fatalf("version 1 = %q, %v", old.Body, err)
	}
	if _, err := s.Get(ctx, "dist", "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing record: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, "other", "E1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("kinds must not share ids: err = %v", err)
	}
}

func testConflicts(t *testing.T, s store.Store) {
	if _, err := put(t, s, "k", "x", "1", store.NotExists); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		expect int64
		want   error
	}{
		{"create when it exists", store.NotExists, store.ErrConflict},
		{"stale version", 5, store.ErrConflict},
		{"current version", 1, nil},
		{"any version", store.AnyVersion, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := put(t, s, "k", "x", "v", tt.expect)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func testRollback(t *testing.T, s store.Store) {
	ctx := context.Background()
	before, _ := s.Rev(ctx)
	boom := errors.New("boom")
	_, err := s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.Put(ctx, "k", "a", []byte("1"), store.NotExists); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if _, err := s.Get(ctx, "k", "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a failed update left a record behind: %v", err)
	}
	after, _ := s.Rev(ctx)
	if after != before {
		t.Fatalf("revision moved from %d to %d without a commit", before, after)
	}
}

func testDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	put(t, s, "k", "d", "1", store.NotExists)
	_, err := s.Update(ctx, func(ctx context.Context, tx store.Tx) error { return tx.Delete(ctx, "k", "d", 7) })
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("delete with stale version: %v", err)
	}
	if _, err := s.Update(ctx, func(ctx context.Context, tx store.Tx) error { return tx.Delete(ctx, "k", "d", 1) }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "k", "d"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted record still there: %v", err)
	}
	h, err := s.History(ctx, "k", "d")
	if err != nil || len(h) != 2 || !h[1].Deleted || string(h[0].Body) != "1" {
		t.Fatalf("history = %+v, %v", h, err)
	}
	// Re-creating continues the version sequence so history stays unique.
	r, err := put(t, s, "k", "d", "2", store.NotExists)
	if err != nil || r.Version != 3 {
		t.Fatalf("re-create: version %d, %v", r.Version, err)
	}
	_, err = s.Update(ctx, func(ctx context.Context, tx store.Tx) error { return tx.Delete(ctx, "k", "missing", store.AnyVersion) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete missing: %v", err)
	}
}

func testList(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, id := range []string{"/a/1", "/a/2", "/a/3", "/b/1", "/a"} {
		put(t, s, "p", id, "x", store.NotExists)
	}
	put(t, s, "q", "/a/9", "x", store.NotExists)
	ids := func(rs []store.Record) string {
		out := ""
		for _, r := range rs {
			out += r.ID + " "
		}
		return out
	}
	tests := []struct {
		name string
		q    store.Query
		want string
	}{
		{"all", store.Query{}, "/a /a/1 /a/2 /a/3 /b/1 "},
		{"prefix", store.Query{Prefix: "/a/"}, "/a/1 /a/2 /a/3 "},
		{"page", store.Query{Prefix: "/a/", After: "/a/1", Limit: 1}, "/a/2 "},
		{"prefix with LIKE characters", store.Query{Prefix: "/a%"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := s.List(ctx, "p", tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(rs); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func testChanges(t *testing.T, s store.Store) {
	ctx := context.Background()
	start, _ := s.Rev(ctx)
	rev, err := s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.Put(ctx, "dist", "A", []byte("a"), store.NotExists); err != nil {
			return err
		}
		_, err := tx.Put(ctx, "policy", "P", []byte("p"), store.NotExists)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if rev != start+1 {
		t.Fatalf("one transaction advanced the revision from %d to %d", start, rev)
	}
	snapRev, recs, err := s.Snapshot(ctx, "dist", "policy")
	if err != nil || snapRev != rev || len(recs) != 2 {
		t.Fatalf("snapshot rev %d (want %d), %d records, %v", snapRev, rev, len(recs), err)
	}
	ch, err := s.Changes(ctx, start, 0)
	if err != nil || len(ch) != 2 || ch[0].Rev != rev || ch[0].Kind != "dist" || ch[1].Kind != "policy" {
		t.Fatalf("changes = %+v, %v", ch, err)
	}
	if ch, _ := s.Changes(ctx, rev, 0); len(ch) != 0 {
		t.Fatalf("changes after the last revision: %+v", ch)
	}
}

func testSubscribe(t *testing.T, s store.Store) {
	ch, cancel := s.Subscribe()
	defer cancel()
	r, err := put(t, s, "k", "s", "1", store.NotExists)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case rev := <-ch:
		if rev != r.Rev {
			t.Fatalf("notified of revision %d, want %d", rev, r.Rev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification for a committed write")
	}
	cancel()
	if _, ok := <-ch; ok {
		t.Fatal("channel still open after cancel")
	}
}

func testConcurrent(t *testing.T, s store.Store) {
	put(t, s, "k", "race", "0", store.NotExists)
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = put(t, s, "k", "race", fmt.Sprint(i), 1)
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d writers won the same version, want exactly 1", won)
	}
}

func testEdges(t *testing.T, s store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := s.PutEdge(ctx, store.Edge{ID: "e1", Addr: "127.0.0.1:1", Started: now, LastSeen: now, AckedRev: 3}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutEdge(ctx, store.Edge{ID: "e1", Addr: "127.0.0.1:1", Started: now, LastSeen: now.Add(time.Second), AckedRev: 5}); err != nil {
		t.Fatal(err)
	}
	es, err := s.Edges(ctx)
	if err != nil || len(es) != 1 || es[0].AckedRev != 5 || !es[0].LastSeen.Equal(now.Add(time.Second)) {
		t.Fatalf("edges = %+v, %v", es, err)
	}
	if err := s.DeleteEdge(ctx, "e1"); err != nil {
		t.Fatal(err)
	}
	if es, _ := s.Edges(ctx); len(es) != 0 {
		t.Fatalf("edge not removed: %+v", es)
	}
}
