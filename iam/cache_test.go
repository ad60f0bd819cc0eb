package iam

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/edgecd/edgecd/store"
	"github.com/edgecd/edgecd/store/sqlite"
)

// countingStore counts record reads, to see the cache spare them.
type countingStore struct {
	store.Store
	gets int
}

func (c *countingStore) Get(ctx context.Context, kind, id string) (store.Record, error) {
	c.gets++
	return c.Store.Get(ctx, kind, id)
}

func TestCachedKeys(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "edgecd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st := &countingStore{Store: db}
	keys := StoreKeys{St: db}
	k := Key{AccessKeyID: "AKIAEXAMPLEKEY000001", SecretAccessKey: "s1", Account: "000000000000"}
	if err := keys.PutKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	c := NewCachedKeys(ctx, st, time.Minute)
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }

	for range 3 {
		got, err := c.LookupKey(ctx, k.AccessKeyID)
		if err != nil || got.SecretAccessKey != "s1" {
			t.Fatalf("lookup: %+v, %v", got, err)
		}
	}
	if st.gets != 1 {
		t.Errorf("3 lookups read the store %d times, want 1", st.gets)
	}

	// After the TTL the store is read again.
	now = now.Add(2 * time.Minute)
	c.LookupKey(ctx, k.AccessKeyID)
	if st.gets != 2 {
		t.Errorf("a lookup after the TTL did not read the store (%d reads)", st.gets)
	}

	// A key replaced through this process is seen at once: the new revision
	// clears the cache.
	k.SecretAccessKey = "s2"
	if err := keys.PutKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := c.LookupKey(ctx, k.AccessKeyID)
		if err == nil && got.SecretAccessKey == "s2" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replaced key is still served from the cache: %+v, %v", got, err)
		}
		time.Sleep(5 * time.Millisecond)
	}

	// Unknown keys are not remembered, and say so.
	if _, err := c.LookupKey(ctx, "AKIANOSUCHKEY0000000"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("unknown key: %v, want ErrUnknownKey", err)
	}
}
