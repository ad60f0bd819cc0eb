package objstore

import (
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// dirCache keeps the sorted listings of large directories, so paging
// through a directory of 100,000 keys does not read and sort it once per
// page of 1000. A listing is used only while the directory's inode and
// modification time are unchanged, and it is stored only if that time was
// at least two seconds old when the directory was read: a change in the
// same clock tick as the read (file systems stamp directories with a coarse
// clock) could otherwise leave the time unchanged. Writes through the store
// also drop the listings of the directories they touch at once.
type dirCache struct {
	mu    sync.Mutex
	min   int // smallest directory worth caching
	max   int // total names held
	held  int
	dirs  map[string]cachedDir
	clock func() time.Time
}

type cachedDir struct {
	ino   uint64
	mtime int64
	rels  []string
}

// minCachedDir is the smallest directory worth caching; smaller ones are
// read faster than they are looked after.
const minCachedDir = 512

func newDirCache(maxNames int) *dirCache {
	return &dirCache{min: minCachedDir, max: maxNames, dirs: make(map[string]cachedDir), clock: time.Now}
}

// listing returns the sorted relative keys of directory fd, which is dir in
// bucket, and closes fd.
func (c *dirCache) listing(bucket, dir string, fd int) ([]string, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, err
	}
	mtime := st.Mtim.Sec*1e9 + st.Mtim.Nsec
	id := bucket + "/" + dir
	c.mu.Lock()
	e, ok := c.dirs[id]
	c.mu.Unlock()
	if ok && e.ino == st.Ino && e.mtime == mtime {
		unix.Close(fd)
		return e.rels, nil
	}
	readAt := c.clock()
	rels, err := readListing(fd, dir)
	if err != nil {
		return nil, err
	}
	if len(rels) >= c.min && len(rels) <= c.max && readAt.UnixNano()-mtime > 2e9 {
		c.mu.Lock()
		if old, ok := c.dirs[id]; ok {
			c.held -= len(old.rels)
		}
		for k, v := range c.dirs {
			if c.held+len(rels) <= c.max {
				break
			}
			delete(c.dirs, k)
			c.held -= len(v.rels)
		}
		c.dirs[id] = cachedDir{ino: st.Ino, mtime: mtime, rels: rels}
		c.held += len(rels)
		c.mu.Unlock()
	}
	return rels, nil
}

// touch drops the listings of the directories on the path of key (a write
// or delete there changes them).
func (c *dirCache) touch(bucket, key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.dirs) == 0 {
		return
	}
	c.drop(bucket + "/")
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			c.drop(bucket + "/" + key[:i+1])
		}
	}
}

func (c *dirCache) drop(id string) {
	if e, ok := c.dirs[id]; ok {
		c.held -= len(e.rels)
		delete(c.dirs, id)
	}
}

// forgetBucket drops a deleted bucket's listings.
func (c *dirCache) forgetBucket(bucket string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, e := range c.dirs {
		if strings.HasPrefix(id, bucket+"/") {
			c.held -= len(e.rels)
			delete(c.dirs, id)
		}
	}
}
