package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
)

// Secret returns the random 32-byte key stored as kind/id, creating it on
// first use. Every node sharing the store gets the same key, and the key
// survives restarts: what it signs (sticky-session cookies, console
// sessions) stays valid across nodes and restarts.
func Secret(ctx context.Context, st Store, kind, id string) ([]byte, error) {
	for {
		rec, err := st.Get(ctx, kind, id)
		if err == nil {
			return rec.Body, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("read the secret %s/%s: %w", kind, id, err)
		}
		key := make([]byte, 32)
		rand.Read(key)
		_, err = st.Update(ctx, func(ctx context.Context, tx Tx) error {
			_, err := tx.Put(ctx, kind, id, key, NotExists)
			return err
		})
		switch {
		case err == nil:
			return key, nil
		case !errors.Is(err, ErrConflict):
			return nil, fmt.Errorf("create the secret %s/%s: %w", kind, id, err)
		}
		// Another node created it first: read theirs.
	}
}
