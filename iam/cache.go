package iam

import (
	"context"
	"sync"
	"time"

	"github.com/edgecd/edgecd/store"
)

// CachedKeys is a KeyStore that remembers the keys it found in the store,
// so a signed request does not cost a database read (an eighth of the
// server's CPU during a deploy of many small files). A remembered key is
// forgotten when the store announces any new revision — a key written or
// deleted through this process takes effect at once — and after ttl at the
// latest, which bounds how long a key revoked by another process still
// works. Unknown keys are never remembered.
type CachedKeys struct {
	keys StoreKeys
	ttl  time.Duration
	now  func() time.Time

	mu sync.RWMutex
	m  map[string]cachedKey
}

type cachedKey struct {
	key  Key
	seen time.Time
}

// NewCachedKeys returns a cache over st's keys; it follows st's revisions
// until ctx ends.
func NewCachedKeys(ctx context.Context, st store.Store, ttl time.Duration) *CachedKeys {
	c := &CachedKeys{keys: StoreKeys{St: st}, ttl: ttl, now: time.Now, m: map[string]cachedKey{}}
	ch, cancel := st.Subscribe()
	go func() {
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-ch:
				if !ok {
					return
				}
				c.mu.Lock()
				clear(c.m)
				c.mu.Unlock()
			}
		}
	}()
	return c
}

// LookupKey implements KeyStore.
func (c *CachedKeys) LookupKey(ctx context.Context, id string) (Key, error) {
	now := c.now()
	c.mu.RLock()
	ck, ok := c.m[id]
	c.mu.RUnlock()
	if ok && now.Sub(ck.seen) < c.ttl {
		return ck.key, nil
	}
	k, err := c.keys.LookupKey(ctx, id)
	if err != nil {
		return Key{}, err
	}
	c.mu.Lock()
	c.m[id] = cachedKey{key: k, seen: now}
	c.mu.Unlock()
	return k, nil
}
