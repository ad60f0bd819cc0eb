package objstore

import (
	"maps"
	"sync"
)

// metaCache keeps recently used metadata documents in memory so listings
// and opens need not read one file per key. An entry is used only when the
// identity it records matches the data file as it is now, so the cache can
// never describe other bytes than the file's: every write creates a new
// file (new inode and mtime), and the only in-place metadata change, a
// repair, goes through the cache too.
type metaCache struct {
	mu  sync.Mutex
	max int
	m   map[cacheKey]metaDoc
}

type cacheKey struct{ bucket, key string }

func newMetaCache(max int) *metaCache {
	return &metaCache{max: max, m: make(map[cacheKey]metaDoc)}
}

// get returns the cached document for bucket/key if it describes the data
// file with identity id.
func (c *metaCache) get(bucket, key string, id fileIdentity) (metaDoc, bool) {
	if c.max <= 0 {
		return metaDoc{}, false
	}
	c.mu.Lock()
	doc, ok := c.m[cacheKey{bucket, key}]
	c.mu.Unlock()
	if !ok || doc.File != id {
		return metaDoc{}, false
	}
	doc.User = maps.Clone(doc.User) // callers may change what they are given
	return doc, true
}

func (c *metaCache) put(bucket, key string, doc metaDoc) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		// Evict an arbitrary tenth: map order is effectively random, and
		// a miss costs only one small file read.
		n := c.max/10 + 1
		for k := range c.m {
			delete(c.m, k)
			if n--; n == 0 {
				break
			}
		}
	}
	c.m[cacheKey{bucket, key}] = doc
}

func (c *metaCache) forget(bucket, key string) {
	if c.max <= 0 {
		return
	}
	c.mu.Lock()
	delete(c.m, cacheKey{bucket, key})
	c.mu.Unlock()
}

// forgetBucket drops a deleted bucket's entries.
func (c *metaCache) forgetBucket(bucket string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if k.bucket == bucket {
			delete(c.m, k)
		}
	}
}
