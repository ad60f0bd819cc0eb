package storetest

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/edgecd/edgecd/store"
)

// testSecret checks that store.Secret creates a key once: concurrent first
// callers (as nodes starting together) all get the one that was stored, a
// later call reads it back, and another id gets a key of its own.
func testSecret(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 8
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = store.Secret(ctx, s, "test.secret", "k") })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if len(keys[i]) != 32 || !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("caller %d got key %x, caller 0 got %x: concurrent first calls must agree", i, keys[i], keys[0])
		}
	}
	again, err := store.Secret(ctx, s, "test.secret", "k")
	if err != nil || !bytes.Equal(again, keys[0]) {
		t.Fatalf("a later call got %x, %v; want the stored %x", again, err, keys[0])
	}
	other, err := store.Secret(ctx, s, "test.secret", "other")
	if err != nil || bytes.Equal(other, keys[0]) {
		t.Fatalf("another id got %x, %v: want a key of its own", other, err)
	}
}
