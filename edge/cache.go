package edge

import (
	"hash/maphash"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// entry is one cached object. It is immutable once published except for
// the lazily built compressed variants and the CLOCK reference bit.
type entry struct {
	key     string
	distID  string
	path    string // viewer path, for invalidation matching
	status  int
	header  http.Header // Content-Type, Cache-Control, ... as the origin gave them
	etag    string      // quoted
	modTime time.Time
	// lastModified is modTime formatted once for the Last-Modified header.
	lastModified []string
	body         []byte
	stored       time.Time
	expires      time.Time
	ref          atomic.Bool
	variants     [numEncodings]atomic.Pointer[[]byte]
	// compressible is fixed at insert: the origin sent no Content-Encoding,
	// the type compresses and the size is in CloudFront's range.
	compressible bool
	// heads are the prebuilt response header blocks the fast path sends,
	// by [304][Vary sent][encoding+1] (see head.go).
	heads [2][2][numEncodings + 1]atomic.Pointer[[]byte]
	// file is a copy of a large body the fast path sends with sendfile;
	// nil for small bodies and where the system has no memory files.
	file *bodyFile
}

func (e *entry) size() int64 {
	n := int64(len(e.body)) + int64(len(e.key)) + 256
	if e.file != nil {
		n += int64(e.file.size) // the memory file holds a second copy
	}
	return n
}

// cache is a size-bounded in-memory cache. Lookups take one shard's read
// lock and allocate nothing (a key built in a reused buffer indexes a
// map[string] without a copy, which sync.Map's interface keys cannot do);
// inserts, evictions and purges take a mutex. Eviction is CLOCK, an LRU
// approximation that needs no write on a hit beyond one atomic store.
type cache struct {
	seed   maphash.Seed
	shards [cacheShards]cacheShard

	mu    sync.Mutex
	ring  []*entry
	index map[*entry]int
	hand  int
	size  int64
	max   int64
}

// cacheShards spreads read locks so that cores serving different objects
// do not share one lock word.
const cacheShards = 32

type cacheShard struct {
	mu sync.RWMutex
	m  map[string]*entry
	_  [32]byte // 64 bytes a shard: neighbours do not share a cache line
}

func newCache(maxBytes int64) *cache {
	c := &cache{max: maxBytes, index: map[*entry]int{}, seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = map[string]*entry{}
	}
	return c
}

func (c *cache) shard(key []byte) *cacheShard {
	return &c.shards[maphash.Bytes(c.seed, key)%cacheShards]
}

func (c *cache) shardOf(key string) *cacheShard {
	return &c.shards[maphash.String(c.seed, key)%cacheShards]
}

func (c *cache) get(key string, now time.Time) *entry {
	sh := c.shardOf(key)
	sh.mu.RLock()
	e := sh.m[key]
	sh.mu.RUnlock()
	return c.fresh(e, now)
}

// getBytes is get for a key in a caller's buffer; it does not allocate.
func (c *cache) getBytes(key []byte, now time.Time) *entry {
	sh := c.shard(key)
	sh.mu.RLock()
	e := sh.m[string(key)]
	sh.mu.RUnlock()
	return c.fresh(e, now)
}

func (c *cache) fresh(e *entry, now time.Time) *entry {
	if e == nil || now.After(e.expires) {
		return nil
	}
	if !e.ref.Load() {
		e.ref.Store(true)
	}
	return e
}

// put inserts e, reporting whether it did.
func (c *cache) put(e *entry) bool {
	if c.max <= 0 || e.size() > c.max/8 {
		return false // too big to be worth a slot
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	sh := c.shardOf(e.key)
	sh.mu.RLock()
	old := sh.m[e.key]
	sh.mu.RUnlock()
	if old != nil {
		c.removeLocked(old)
	}
	for c.size+e.size() > c.max && len(c.ring) > 0 {
		c.evictOneLocked()
	}
	c.index[e] = len(c.ring)
	c.ring = append(c.ring, e)
	c.size += e.size()
	sh.mu.Lock()
	sh.m[e.key] = e
	sh.mu.Unlock()
	return true
}

func (c *cache) evictOneLocked() {
	for {
		if c.hand >= len(c.ring) {
			c.hand = 0
		}
		e := c.ring[c.hand]
		if e.ref.Load() {
			e.ref.Store(false)
			c.hand++
			continue
		}
		c.removeLocked(e)
		return
	}
}

func (c *cache) removeLocked(e *entry) {
	i, ok := c.index[e]
	if !ok {
		return
	}
	last := len(c.ring) - 1
	c.ring[i] = c.ring[last]
	c.index[c.ring[i]] = i
	c.ring = c.ring[:last]
	delete(c.index, e)
	c.size -= e.size()
	sh := c.shardOf(e.key)
	sh.mu.Lock()
	if sh.m[e.key] == e {
		delete(sh.m, e.key)
	}
	sh.mu.Unlock()
}

// purge drops the entries of distribution distID whose path matches one of
// the invalidation patterns, returning how many it dropped.
func (c *cache) purge(distID string, match func(path string) bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var victims []*entry
	for _, e := range c.ring {
		if e.distID == distID && match(e.path) {
			victims = append(victims, e)
		}
	}
	for _, e := range victims {
		c.removeLocked(e)
	}
	return len(victims)
}

// ttlFor applies a cache policy's bounds to the origin's Cache-Control.
func ttlFor(p ttlPolicy, cacheControl string) time.Duration {
	ttl := p.def
	cc := strings.ToLower(cacheControl)
	noStore := false
	var maxAge, sMaxAge int64 = -1, -1
	for _, d := range strings.Split(cc, ",") {
		d = strings.TrimSpace(d)
		switch {
		case d == "no-store" || d == "no-cache" || d == "private":
			noStore = true
		case strings.HasPrefix(d, "s-maxage="):
			sMaxAge = parseSeconds(d[len("s-maxage="):])
		case strings.HasPrefix(d, "max-age="):
			maxAge = parseSeconds(d[len("max-age="):])
		}
	}
	switch {
	case sMaxAge >= 0:
		ttl = sMaxAge
	case maxAge >= 0:
		ttl = maxAge
	case noStore:
		ttl = 0
	}
	ttl = min(max(ttl, p.min), p.max)
	return time.Duration(ttl) * time.Second
}

func parseSeconds(s string) int64 {
	var n int64
	if s == "" {
		return -1
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int64(c-'0')
		if n > 1<<40 {
			return 1 << 40
		}
	}
	return n
}
