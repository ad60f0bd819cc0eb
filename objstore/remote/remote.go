package remote

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/edgecd/edgecd/objstore"
)

// API is the part of an S3 client Buckets calls; *s3.Client implements it.
type API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	GetBucketPolicy(ctx context.Context, in *s3.GetBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
}

// Defaults of Options.
const (
	DefaultMaxBytes     = 10 << 30
	DefaultPolicyTTL    = 5 * time.Second
	DefaultFetchTimeout = 10 * time.Minute
)

// Options configure Buckets. Dir is required.
type Options struct {
	// Dir holds the cached objects. It is created if missing; cache files
	// left by an earlier run are removed, since what they are (ETag,
	// headers) is kept only in memory.
	Dir string
	// MaxBytes bounds the total size of the cached files (default
	// DefaultMaxBytes). Least recently used files go first. An object
	// larger than the bound is served from an unlinked temporary file.
	MaxBytes int64
	// PolicyTTL is how long a bucket policy (or its absence) is reused
	// before it is asked for again (default DefaultPolicyTTL).
	PolicyTTL time.Duration
	// FetchTimeout bounds one download. Downloads are shared by every
	// Open waiting for the key, so they do not stop when one viewer goes
	// away (default DefaultFetchTimeout).
	FetchTimeout time.Duration
	Logger       *slog.Logger
	// Now is the clock of the policy cache (default time.Now).
	Now func() time.Time
}

// Buckets reads objects and bucket policies from an S3-compatible endpoint
// through an on-disk cache. It implements edge.Buckets and is safe for
// concurrent use.
type Buckets struct {
	api  API
	opts Options

	mu      sync.Mutex
	entries map[string]*entry // by cache file name
	lru     list.List         // of *entry, most recently used first
	total   int64             // bytes of the files in entries
	policy  map[string]policyEntry

	fetches  group[struct{}]
	policies group[policyEntry]
}

// entry is one object in the cache: the file Dir/name holds its bytes.
type entry struct {
	name string
	info objstore.ObjectInfo
	elem *list.Element
}

// New returns Buckets reading through api, caching under opts.Dir.
func New(api API, opts Options) (*Buckets, error) {
	if opts.Dir == "" {
		return nil, errors.New("remote: the cache directory is not set")
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.PolicyTTL <= 0 {
		opts.PolicyTTL = DefaultPolicyTTL
	}
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = DefaultFetchTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the origin cache directory: %w", err)
	}
	if err := clearDir(opts.Dir); err != nil {
		return nil, err
	}
	return &Buckets{api: api, opts: opts, entries: map[string]*entry{}, policy: map[string]policyEntry{}}, nil
}

// clearDir removes the cache files (and unfinished downloads) of an
// earlier run. It removes only names this package writes, in case Dir was
// pointed somewhere shared by mistake.
func clearDir(dir string) error {
	des, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read the origin cache directory: %w", err)
	}
	for _, de := range des {
		if n := de.Name(); isCacheName(n) || strings.HasPrefix(n, tempPrefix) {
			if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("clear the origin cache: %w", err)
			}
		}
	}
	return nil
}

const tempPrefix = "tmp-"

// cacheName is the file name of bucket/key in the cache: a hash, so that
// no key ("../../etc/passwd", "a/./b", NUL bytes) can name a path outside
// the cache directory or collide with another key's file.
func cacheName(bucket, key string) string {
	sum := sha256.Sum256([]byte(bucket + "\x00" + key))
	return hex.EncodeToString(sum[:])
}

func isCacheName(n string) bool {
	if len(n) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(n)
	return err == nil
}

// Open returns the object's bytes and what S3 said about it, after asking
// the endpoint whether the cached copy is still current. The caller closes
// the file.
func (b *Buckets) Open(ctx context.Context, bucket, key string) (*os.File, objstore.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, objstore.ObjectInfo{}, err
	}
	if err := checkName(bucket, key); err != nil {
		return nil, objstore.ObjectInfo{}, err
	}
	name := cacheName(bucket, key)
	// The file may be evicted between the shared fetch and this caller's
	// open; then fetch again (a 200 this time). Twice evicted means the
	// cache is too small for the traffic: read without caching.
	for range 2 {
		_, err := b.fetches.do(ctx, name, func(ctx context.Context) (struct{}, error) {
			ctx, cancel := context.WithTimeout(ctx, b.opts.FetchTimeout)
			defer cancel()
			return struct{}{}, b.refresh(ctx, bucket, key, name)
		})
		if errors.Is(err, errTooLarge) {
			break
		}
		if err != nil && ctx.Err() == nil && originUnavailable(err) {
			// As a CDN does when its origin fails: a copy we have beats
			// a 502 for the viewer (stale-if-error).
			if f, info, ok := b.openCached(name); ok {
				b.opts.Logger.Warn("origin endpoint unavailable; serving the cached copy", "bucket", bucket, "key", key, "err", err)
				return f, info, nil
			}
		}
		if err != nil {
			return nil, objstore.ObjectInfo{}, err
		}
		f, info, ok := b.openCached(name)
		if ok {
			return f, info, nil
		}
	}
	return b.openUncached(ctx, bucket, key)
}

// checkName refuses what objstore refuses before asking anyone, so errors
// match local buckets'.
func checkName(bucket, key string) error {
	if err := objstore.ValidateBucketName(bucket); err != nil {
		return err
	}
	switch {
	case key == "":
		return fmt.Errorf("%w: the key is empty", objstore.ErrInvalidKey)
	case len(key) > 1024:
		return fmt.Errorf("%w: %d bytes", objstore.ErrKeyTooLong, len(key))
	}
	return nil
}

// openCached opens the cached file of name, if there is one, and marks it
// used. Eviction happens under the same lock, so the file cannot vanish
// between the lookup and the open.
func (b *Buckets) openCached(name string) (*os.File, objstore.ObjectInfo, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entries[name]
	if e == nil {
		return nil, objstore.ObjectInfo{}, false
	}
	f, err := os.Open(filepath.Join(b.opts.Dir, name))
	if err != nil {
		// Removed behind our back (someone cleaned the directory):
		// forget it and download again.
		b.removeLocked(e)
		return nil, objstore.ObjectInfo{}, false
	}
	b.lru.MoveToFront(e.elem)
	return f, e.info, true
}

// cachedETag is the ETag of the cached copy of name, "" if none.
func (b *Buckets) cachedETag(name string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.entries[name]; e != nil {
		return e.info.ETag
	}
	return ""
}

// install renames the complete download tmp to name and accounts for it,
// evicting least recently used files beyond MaxBytes (never the new one:
// refresh refuses objects larger than the bound). Files still open
// elsewhere stay readable after the unlink.
func (b *Buckets) install(name, tmp string, info objstore.ObjectInfo) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := os.Rename(tmp, filepath.Join(b.opts.Dir, name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("origin cache: %w", err)
	}
	if old := b.entries[name]; old != nil {
		b.lru.Remove(old.elem)
		b.total -= old.info.Size
		delete(b.entries, name)
	}
	e := &entry{name: name, info: info}
	e.elem = b.lru.PushFront(e)
	b.entries[name] = e
	b.total += info.Size
	for b.total > b.opts.MaxBytes {
		last := b.lru.Back().Value.(*entry)
		if last == e {
			break
		}
		b.removeLocked(last)
	}
	return nil
}

// forget drops the cached copy of name (the object is gone at the origin).
func (b *Buckets) forget(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.entries[name]; e != nil {
		b.removeLocked(e)
	}
}

func (b *Buckets) removeLocked(e *entry) {
	b.lru.Remove(e.elem)
	delete(b.entries, e.name)
	b.total -= e.info.Size
	if err := os.Remove(filepath.Join(b.opts.Dir, e.name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		b.opts.Logger.Warn("origin cache: remove an evicted file", "err", err)
	}
}

// CachedBytes is the total size of the cached files.
func (b *Buckets) CachedBytes() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total
}
