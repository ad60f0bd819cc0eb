package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/edgecd/edgecd/store"
	"github.com/edgecd/edgecd/store/storetest"
)

func open(t *testing.T) store.Store {
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "edgecd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStoreBehaviour(t *testing.T) { storetest.Run(t, open) }

func TestReopenKeepsCommittedRecords(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "edgecd.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := db.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.Put(ctx, "dist", "E1", []byte(`{"x":1}`), store.NotExists)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.Get(ctx, "dist", "E1")
	if err != nil || string(r.Body) != `{"x":1}` || r.Rev != rev {
		t.Fatalf("after reopen: %+v, %v", r, err)
	}
	if got, _ := db.Rev(ctx); got != rev {
		t.Fatalf("revision after reopen = %d, want %d", got, rev)
	}
}
