package objstore

import (
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Reserved directories at the store root. Bucket names cannot start with a
// dot, so none of them can be a bucket.
const (
	metaDir    = ".meta"    // <root>/.meta/<bucket>/<key path>: object metadata (JSON)
	bucketsDir = ".buckets" // <root>/.buckets/<bucket>.json and <bucket>.policy
	uploadsDir = ".uploads" // <root>/.uploads/<bucket>/<upload id>/: multipart uploads
	tmpDir     = ".tmp"     // temporary files, renamed into place when complete
)

// Options tune a Store. The zero value gives S3's limits and full durability.
type Options struct {
	// MaxObjectSize caps a single Put or Copy (S3: 5 GiB). Default 5 GiB.
	MaxObjectSize int64
	// MaxPartSize caps one multipart part (S3: 5 GiB). Default 5 GiB.
	MaxPartSize int64
	// MinPartSize is the smallest size of every part but the last in
	// CompleteMultipartUpload (S3: 5 MiB). Default 5 MiB.
	MinPartSize int64
	// NoSync skips fsync. Only for tests and throw-away data: a crash may
	// then lose acknowledged writes (it still never exposes partial ones).
	NoSync bool
	// Logger receives warnings about damaged metadata that was recomputed.
	// Default slog.Default().
	Logger *slog.Logger
	// Now is the clock for LastModified and creation dates. Default time.Now.
	Now func() time.Time
	// MetadataCacheEntries bounds the in-memory cache of object metadata
	// (a few hundred bytes each). Default 50,000; negative disables it.
	MetadataCacheEntries int
}

// Store is a set of buckets under one root directory. It is safe for
// concurrent use; several Stores (or processes) on the same root are safe
// against torn objects but coordinate less precisely (see doc.go).
type Store struct {
	root   string
	rootFD int
	metaFD int // <root>/.meta
	tmpFD  int
	// noOpenat2 is set once openat2 turns out to be unavailable.
	noOpenat2 atomic.Bool
	opts      Options
	log       *slog.Logger

	// lifecycle is held shared while an object write commits and exclusively
	// while a bucket is created or deleted, so a bucket is never deleted
	// between a writer's existence check and its rename.
	lifecycle sync.RWMutex
	// keyLocks are held exclusively by writers of a key across its two
	// renames (data, then metadata) and shared by readers while they open
	// the data and read the metadata, so in this process a reader always
	// sees a matching pair and the last data written gets the last metadata.
	keyLocks [256]sync.RWMutex
	// prune is held shared while a writer walks to a directory and renames
	// into it, and exclusively while emptied directories are removed, so a
	// delete cannot pull a directory from under a writer in this process.
	// (Writers still retry, for other processes sharing the root.)
	prune sync.RWMutex
	seed  maphash.Seed
	cache *metaCache
	dirs  *dirCache
	// copyBufs holds 256 KiB buffers for copying bodies to disk.
	copyBufs sync.Pool
	// objectsPage is the page size of Objects; tests lower it.
	objectsPage int
}

// Open opens (creating if needed) the store rooted at root with default
// options.
func Open(root string) (*Store, error) { return OpenWith(root, Options{}) }

// OpenWith opens (creating if needed) the store rooted at root.
func OpenWith(root string, opts Options) (*Store, error) {
	if opts.MaxObjectSize <= 0 {
		opts.MaxObjectSize = 5 << 30
	}
	if opts.MaxPartSize <= 0 {
		opts.MaxPartSize = 5 << 30
	}
	if opts.MinPartSize <= 0 {
		opts.MinPartSize = 5 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MetadataCacheEntries == 0 {
		opts.MetadataCacheEntries = 50_000
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("object store root %q: %w", root, err)
	}
	for _, d := range []string{"", metaDir, bucketsDir, uploadsDir, tmpDir} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o755); err != nil {
			return nil, fmt.Errorf("object store root: %w", err)
		}
	}
	s := &Store{root: abs, opts: opts, log: opts.Logger, seed: maphash.MakeSeed(), cache: newMetaCache(opts.MetadataCacheEntries), dirs: newDirCache(1_000_000), rootFD: -1, metaFD: -1, tmpFD: -1}
	if s.rootFD, err = unix.Open(abs, dirFlags&^unix.O_NOFOLLOW, 0); err != nil {
		return nil, fmt.Errorf("open object store root %s: %w", abs, err)
	}
	if s.tmpFD, err = openDirAt(s.rootFD, tmpDir); err != nil {
		unix.Close(s.rootFD)
		return nil, fmt.Errorf("open %s: %w", filepath.Join(abs, tmpDir), err)
	}
	if s.metaFD, err = openDirAt(s.rootFD, metaDir); err != nil {
		s.Close()
		return nil, fmt.Errorf("open %s: %w", filepath.Join(abs, metaDir), err)
	}
	s.copyBufs.New = func() any { b := make([]byte, 256<<10); return &b }
	s.cleanTemp()
	return s, nil
}

// Close releases the store's directory handles. Objects opened with Open stay
// readable.
func (s *Store) Close() error {
	err := errors.Join(closeFD(&s.tmpFD), closeFD(&s.metaFD), closeFD(&s.rootFD))
	return err
}

func closeFD(fd *int) error {
	if *fd < 0 {
		return nil
	}
	err := unix.Close(*fd)
	*fd = -1
	return err
}

// Root is the directory the store lives in.
func (s *Store) Root() string { return s.root }

// cleanTemp removes temporary files left by a crash. It spares recent ones in
// case another process shares the root and is writing right now.
func (s *Store) cleanTemp() {
	dir := filepath.Join(s.root, tmpDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	cutoff := s.opts.Now().Add(-24 * time.Hour)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
			_ = os.RemoveAll(filepath.Join(dir, e.Name()))
		}
	}
}

func (s *Store) keyLock(bucket, key string) *sync.RWMutex {
	var h maphash.Hash
	h.SetSeed(s.seed)
	h.WriteString(bucket)
	h.WriteByte(0)
	h.WriteString(key)
	return &s.keyLocks[h.Sum64()%uint64(len(s.keyLocks))]
}

// bucketFD opens the bucket's data directory.
func (s *Store) bucketFD(bucket string) (int, error) {
	if err := ValidateBucketName(bucket); err != nil {
		return -1, err
	}
	fd, err := openDirAt(s.rootFD, bucket)
	if err != nil {
		if err == unix.ENOENT || err == unix.ENOTDIR || err == unix.ELOOP {
			return -1, fmt.Errorf("%w: %s", ErrNoSuchBucket, bucket)
		}
		return -1, fmt.Errorf("open bucket %s: %w", bucket, err)
	}
	return fd, nil
}

// bucketMetaFD opens the bucket's metadata directory.
func (s *Store) bucketMetaFD(bucket string) (int, error) {
	return walkDirs(s.metaFD, []string{bucket})
}

// createTemp makes a temporary file in the store's temp directory. It
// creates the file relative to the directory's descriptor and wraps it
// without registering it with the poller (which os.CreateTemp tries, and
// fails, for every regular file): four system calls fewer per file.
func (s *Store) createTemp(prefix string) (*os.File, error) {
	for range 100 {
		name := prefix + strconv.FormatUint(rand.Uint64(), 36)
		fd, err := unix.Openat(s.tmpFD, name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, 0o644)
		if err == unix.EEXIST || err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("create temporary file: %w", err)
		}
		return os.NewFile(uintptr(fd), filepath.Join(s.root, tmpDir, name)), nil
	}
	return nil, fmt.Errorf("create temporary file: no free name in %s", filepath.Join(s.root, tmpDir))
}

// stage writes b to a new temporary file named with prefix, synced and
// closed, ready to be renamed into place; on failure nothing is left
// behind. Small documents (bucket, policy, upload and metadata files) are
// all written this way, so a crash leaves either the old file or the new.
func (s *Store) stage(prefix string, b []byte) (*os.File, error) {
	f, err := s.createTemp(prefix)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(b); err != nil {
		discard(f)
		return nil, err
	}
	if err := s.sync(f); err != nil {
		discard(f)
		return nil, err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// sync flushes f unless the store runs without fsync.
func (s *Store) sync(f *os.File) error {
	if s.opts.NoSync {
		return nil
	}
	return f.Sync()
}

func (s *Store) syncDir(fd int) {
	if !s.opts.NoSync {
		_ = unix.Fsync(fd)
	}
}

// renameIn moves the temporary file f (closed or not) to name in directory dir.
func (s *Store) renameIn(f *os.File, dir int, name string) error {
	return unix.Renameat(s.tmpFD, filepath.Base(f.Name()), dir, name)
}

// discard removes a temporary file that will not be committed.
func discard(f *os.File) {
	if f == nil {
		return
	}
	f.Close()
	os.Remove(f.Name())
}
