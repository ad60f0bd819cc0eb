package deploy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// A hashCache remembers the ETag computed for a local file, keyed by what
// changes whenever the file's content does: size, mtime, ctime and inode.
// It only spares re-reading an untouched file; the deploy still compares
// that content hash with the remote ETag. It lives outside the build
// directory (which is uploaded) in one JSON file per directory and part
// size, so a cache written for another layout is simply not used.
type hashCache struct {
	path     string
	partSize int64
	now      time.Time // entries younger than racyWindow are not saved

	mu      sync.Mutex
	old     map[string]cacheEntry
	entries map[string]cacheEntry
}

type cacheEntry struct {
	Size  int64  `json:"s"`
	MTime int64  `json:"m"` // ns
	CTime int64  `json:"c"` // ns; 0 where the platform has none
	Inode uint64 `json:"i"`
	ETag  string `json:"e"`
}

type cacheFile struct {
	Dir      string                `json:"dir"`
	PartSize int64                 `json:"part_size"`
	Files    map[string]cacheEntry `json:"files"`
}

// fileStat is what scan learns about a file before hashing it.
type fileStat struct {
	rel   string
	entry cacheEntry // without ETag
}

// racyWindow: a file modified within this long of being hashed might be
// modified again without its mtime changing (coarse timestamps), so its
// hash is not trusted on the next run. Git's index has the same rule.
const racyWindow = 2 * time.Second

// CachePath is where the hash cache of dir lives under stateDir.
func CachePath(stateDir, dir string, partSize int64) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(stateDir, hex.EncodeToString(sum[:8])+"-"+strconv.FormatInt(partSize, 10)+".json")
}

// loadHashCache reads path; a missing or unreadable cache is an empty
// one (it is only an optimisation).
func loadHashCache(path, dir string, partSize int64, now time.Time) *hashCache {
	c := &hashCache{path: path, partSize: partSize, now: now, old: map[string]cacheEntry{}, entries: map[string]cacheEntry{}}
	b, err := os.ReadFile(path)
	if err != nil {
		return c
	}
	var f cacheFile
	if json.Unmarshal(b, &f) == nil && f.PartSize == partSize && f.Files != nil {
		c.old = f.Files
	}
	return c
}

func (c *hashCache) lookup(st fileStat) (string, bool) {
	if c == nil {
		return "", false
	}
	e, ok := c.old[st.rel]
	if !ok || e.ETag == "" {
		return "", false
	}
	want := st.entry
	want.ETag = e.ETag
	return e.ETag, e == want
}

func (c *hashCache) remember(st fileStat, etag string) {
	if c == nil || etag == "" {
		return
	}
	if c.now.Sub(time.Unix(0, max(st.entry.MTime, st.entry.CTime))) < racyWindow {
		return
	}
	e := st.entry
	e.ETag = etag
	c.mu.Lock()
	c.entries[st.rel] = e
	c.mu.Unlock()
}

// save writes the cache atomically (temp file and rename), so an
// interrupted deploy never leaves a torn cache.
func (c *hashCache) save(dir string) error {
	if c == nil || maps.Equal(c.old, c.entries) {
		return nil // nothing new: a no-change redeploy writes nothing
	}
	abs, _ := filepath.Abs(dir)
	b, err := json.Marshal(cacheFile{Dir: abs, PartSize: c.partSize, Files: c.entries})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), c.path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

func statOf(rel string, info fs.FileInfo) fileStat {
	ino, ctime := inodeAndCTime(info)
	return fileStat{rel: rel, entry: cacheEntry{Size: info.Size(), MTime: info.ModTime().UnixNano(), CTime: ctime, Inode: ino}}
}
