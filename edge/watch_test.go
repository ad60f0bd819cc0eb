package edge_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgecd/edgecd/edge"
	"github.com/edgecd/edgecd/objstore"
	"github.com/edgecd/edgecd/store"
	"github.com/edgecd/edgecd/store/sqlite"
)

// flakyStore fails Rev while down is set, as a PostgreSQL store does while
// the database restarts.
type flakyStore struct {
	store.Store
	down  atomic.Bool
	fails atomic.Int64
}

func (f *flakyStore) Rev(ctx context.Context) (int64, error) {
	if f.down.Load() {
		f.fails.Add(1)
		return 0, errors.New("connection refused")
	}
	return f.Store.Rev(ctx)
}

func TestWatchSurvivesAnUnreachableStore(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "edgecd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	objs, err := objstore.Open(filepath.Join(dir, "objects"))
	if err != nil {
		t.Fatal(err)
	}
	defer objs.Close()
	st := &flakyStore{Store: db}
	st.down.Store(true)
	e := edge.NewServer(objs, edge.Options{ID: "flaky-edge", StickyKey: make([]byte, 32)})
	done := make(chan error, 1)
	go func() { done <- e.Watch(ctx, st, "test") }()

	// A change committed while the store is "down" must be applied once it
	// is back, by the same Watch.
	rev, err := db.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Put(ctx, "test", "x", []byte(`{}`), store.AnyVersion)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for st.fails.Load() == 0 {
		select {
		case err := <-done:
			t.Fatalf("Watch returned while the store was down: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	st.down.Store(false)
	for {
		edges, err := db.Edges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(edges) == 1 && edges[0].AckedRev >= rev {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("Watch returned: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Watch ended with %v, want context.Canceled", err)
	}
}
