package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/edgecd/edgecd/store"
)

// testEntries checks store.EntryTx for stores that implement it: entries are
// written with the transaction, listed in id order, and stay out of the
// revision and the change log.
func testEntries(t *testing.T, s store.Store) {
	ctx := context.Background()
	reader, ok := s.(store.EntryReader)
	if !ok {
		t.Skip("the store keeps no entries")
	}
	entryTx := func(fn func(tx store.EntryTx) error) (int64, error) {
		return s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
			etx, ok := tx.(store.EntryTx)
			if !ok {
				t.Fatal("the store reads entries but its Tx cannot write them")
			}
			return fn(etx)
		})
	}
	rev0, _ := s.Rev(ctx)
	rev, err := entryTx(func(tx store.EntryTx) error {
		if err := tx.PutEntry(ctx, "ev", "x/2", []byte("old")); err != nil {
			return err
		}
		// Many in one call, overwriting one written before.
		if err := tx.PutEntries(ctx, "ev", []store.Entry{{ID: "x/2", Body: []byte("x/2")}, {ID: "x/1", Body: []byte("x/1")}, {ID: "y/1", Body: []byte("y/1")}}); err != nil {
			return err
		}
		var many []store.Entry
		for i := range 150 {
			many = append(many, store.Entry{ID: fmt.Sprintf("m/%03d", i), Body: []byte{byte(i)}})
		}
		if err := tx.PutEntries(ctx, "bulk", many); err != nil {
			return err
		}
		got, err := tx.GetEntry(ctx, "ev", "x/2")
		if err != nil || string(got) != "x/2" {
			t.Errorf("entry read back in its transaction: %q, %v", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if now, _ := s.Rev(ctx); rev != 0 || now != rev0 {
		t.Fatalf("entries-only transaction: returned rev %d, revision %d -> %d; want no revision", rev, rev0, now)
	}
	if ch, _ := s.Changes(ctx, rev0, 0); len(ch) != 0 {
		t.Fatalf("entries in the change log: %+v", ch)
	}
	list, err := reader.ListEntries(ctx, "ev", store.Query{Prefix: "x/"})
	if err != nil || len(list) != 2 || list[0].ID != "x/1" || list[1].ID != "x/2" {
		t.Fatalf("ListEntries(x/) = %+v, %v", list, err)
	}
	if list, _ := reader.ListEntries(ctx, "ev", store.Query{After: "x/1", Limit: 1}); len(list) != 1 || list[0].ID != "x/2" {
		t.Fatalf("ListEntries after x/1 = %+v", list)
	}
	if bulk, _ := reader.ListEntries(ctx, "bulk", store.Query{}); len(bulk) != 150 || bulk[149].Body[0] != 149 {
		t.Fatalf("PutEntries of 150 entries: %d listed", len(bulk))
	}

	// A failed transaction writes no entry; a mixed one writes both.
	boom := errors.New("boom")
	if _, err := entryTx(func(tx store.EntryTx) error {
		tx.PutEntry(ctx, "ev", "z/1", nil)
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, err := reader.GetEntry(ctx, "ev", "z/1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("entry of a failed transaction: %v", err)
	}
	rev, err = s.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		etx := tx.(store.EntryTx)
		if existed, err := etx.DeleteEntry(ctx, "ev", "x/1"); err != nil || !existed {
			t.Errorf("DeleteEntry x/1: %v %v", existed, err)
		}
		if existed, _ := etx.DeleteEntry(ctx, "ev", "nope"); existed {
			t.Error("DeleteEntry of a missing entry says it existed")
		}
		_, err := tx.Put(ctx, "dist", "E1", []byte(`{}`), store.NotExists)
		return err
	})
	if err != nil || rev == 0 {
		t.Fatalf("mixed transaction: rev %d, %v", rev, err)
	}
	if _, err := reader.GetEntry(ctx, "ev", "x/1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted entry: %v", err)
	}
	if _, err := s.Get(ctx, "dist", "E1"); err != nil {
		t.Fatal(err)
	}
}
