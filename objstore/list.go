package objstore

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// ListOptions select a page of keys (S3 ListObjectsV2 and ListObjects).
type ListOptions struct {
	Prefix    string
	Delimiter string
	// StartAfter skips every item (key or common prefix) that sorts at or
	// before it. Passing a page's NextStartAfter continues after that page;
	// this is also S3's StartAfter (V2) and Marker (V1). A common prefix
	// equal to StartAfter is skipped with all the keys it stands for.
	StartAfter string
	// MaxKeys bounds keys plus common prefixes in the page; 0 means 1000.
	MaxKeys int
}

// ListResult is one page of a listing.
type ListResult struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	IsTruncated    bool
	// NextStartAfter is the last item of the page (a key or a common
	// prefix). It is set on every non-empty page.
	NextStartAfter string
}

// List returns keys in S3 order: ascending by UTF-8 bytes, which is not the
// order a directory walk yields ("a-c" < "a/b" because '-' < '/'). It reads
// only the directories that can hold keys of the page: those under the
// prefix, from StartAfter on, and with delimiter "/" it does not descend
// into a common prefix beyond its first key.
func (s *Store) List(ctx context.Context, bucket string, opts ListOptions) (ListResult, error) {
	var res ListResult
	if opts.MaxKeys < 0 {
		return res, fmt.Errorf("%w: MaxKeys %d is negative", ErrInvalidArgument, opts.MaxKeys)
	}
	limit := opts.MaxKeys
	if limit == 0 {
		limit = 1000
	}
	bfd, err := s.bucketFD(bucket)
	if err != nil {
		return res, err
	}
	defer unix.Close(bfd)
	w := newWalker(bfd, opts.Prefix, opts.StartAfter)
	defer w.close()
	var keys []string
	for n := 0; ; {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return ListResult{}, err
			}
		}
		key, ok, err := w.next()
		if err != nil {
			return ListResult{}, fmt.Errorf("list %s: %w", bucket, err)
		}
		if !ok {
			break
		}
		item, isPrefix := key, false
		if opts.Delimiter != "" {
			if i := strings.Index(key[len(opts.Prefix):], opts.Delimiter); i >= 0 {
				item, isPrefix = key[:len(opts.Prefix)+i+len(opts.Delimiter)], true
				w.skipPrefix(item)
				if item <= opts.StartAfter {
					continue
				}
			}
		}
		if n == limit {
			res.IsTruncated = true
			break
		}
		n++
		res.NextStartAfter = item
		if isPrefix {
			res.CommonPrefixes = append(res.CommonPrefixes, item)
		} else {
			keys = append(keys, key)
		}
	}
	res.Objects = make([]ObjectInfo, 0, len(keys))
	data, meta := dirCursor{base: bfd, fd: -1}, dirCursor{base: s.metaFD, fd: -1}
	defer data.close()
	defer meta.close()
	for _, k := range keys {
		info, err := s.statListed(&data, &meta, bucket, k)
		if err != nil {
			continue // deleted since it was listed
		}
		res.Objects = append(res.Objects, info)
	}
	return res, nil
}

// statListed describes a key found by a listing. Keys of a page come
// grouped by directory, so the cursors keep the current data and metadata
// directories open, and the data file itself is not opened when the stored
// metadata matches it.
func (s *Store) statListed(data, meta *dirCursor, bucket, key string) (ObjectInfo, error) {
	kp, err := parseKey(key)
	if err != nil {
		return ObjectInfo{}, err
	}
	dir, err := data.open(kp.dirs)
	if err != nil {
		return ObjectInfo{}, err
	}
	mu := s.keyLock(bucket, key)
	mu.RLock()
	var st unix.Stat_t
	err = unix.Fstatat(dir, kp.base, &st, unix.AT_SYMLINK_NOFOLLOW)
	var doc metaDoc
	ok := false
	if err == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
		id := statIdentity(&st)
		if doc, ok = s.cache.get(bucket, key, id); !ok {
			if mdir, err := meta.open(kp.under(bucket)[:len(kp.dirs)+1]); err == nil {
				doc, ok = readMetaIn(mdir, kp.base)
				if ok = ok && doc.File == id; ok {
					s.cache.put(bucket, key, doc)
				}
			}
		}
	}
	mu.RUnlock()
	if ok {
		return ObjectInfo{
			Bucket: bucket, Key: key, Size: st.Size, ETag: doc.ETag,
			LastModified: timeOfStat(&st), PartsCount: doc.Parts, Metadata: doc.Metadata,
		}, nil
	}
	return s.Stat(context.Background(), bucket, key)
}

// dirCursor keeps the last directory opened below base.
type dirCursor struct {
	base int
	path string
	fd   int
}

func (c *dirCursor) open(segs []string) (int, error) {
	path := strings.Join(segs, "/")
	if c.fd >= 0 && c.path == path {
		return c.fd, nil
	}
	c.close()
	fd, err := walkDirs(c.base, segs)
	if err != nil {
		return -1, err
	}
	c.fd, c.path = fd, path
	return fd, nil
}

func (c *dirCursor) close() {
	if c.fd >= 0 {
		unix.Close(c.fd)
		c.fd = -1
	}
}

// walker yields the keys of a bucket in S3 order, depth first over a stack
// of directory listings, each sorted by the key its entries stand for: a
// file "x" for "x", a directory "x" for "x/..." and the folder marker for the
// directory's own key. These sort keys keep every directory's keys
// contiguous and in place among its siblings.
type walker struct {
	bfd    int
	prefix string
	after  string
	stack  []frame
}

type frame struct {
	entries []dirEntry
	i       int
	prefix  string // the key prefix of this directory: "" or "a/b/"
}

type dirEntry struct {
	key string // the file's key, or for a directory its prefix "a/b/"
	dir bool
}

// newWalker lists the keys with the given prefix that sort after after. It
// starts in the deepest directory the prefix names; a prefix that cannot be
// a path (it has "..", "//", ...) matches nothing.
func newWalker(bfd int, prefix, after string) *walker {
	w := &walker{bfd: -1, prefix: prefix, after: after}
	fd, err := unix.Dup(bfd)
	if err != nil {
		return w
	}
	w.bfd = fd
	start := prefix[:strings.LastIndexByte(prefix, '/')+1]
	if start != "" {
		for _, s := range strings.Split(strings.TrimSuffix(start, "/"), "/") {
			if !validSegment(s) {
				return w
			}
		}
	}
	w.push(start)
	return w
}

func (w *walker) close() {
	if w.bfd >= 0 {
		unix.Close(w.bfd)
		w.bfd = -1
	}
}

// push reads the directory for key prefix dir ("" or ending in "/") and puts
// the entries that can hold wanted keys on the stack. A directory that has
// vanished or is not a directory contributes nothing.
func (w *walker) push(dir string) error {
	var segs []string
	if dir != "" {
		segs = strings.Split(strings.TrimSuffix(dir, "/"), "/")
	}
	fd, err := walkDirs(w.bfd, segs)
	if err != nil {
		return nil
	}
	f := os.NewFile(uintptr(fd), dir)
	names, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return err
	}
	fr := frame{prefix: dir, entries: make([]dirEntry, 0, len(names))}
	for _, e := range names {
		name := e.Name()
		switch t := e.Type(); {
		case t.IsRegular() && name == folderName && dir != "":
			fr.add(dirEntry{key: dir}, w.prefix, w.after)
		case !validSegment(name):
		case t.IsRegular():
			fr.add(dirEntry{key: dir + name}, w.prefix, w.after)
		case t.IsDir():
			fr.add(dirEntry{key: dir + name + "/", dir: true}, w.prefix, w.after)
		}
	}
	slices.SortFunc(fr.entries, func(a, b dirEntry) int { return strings.Compare(a.key, b.key) })
	w.stack = append(w.stack, fr)
	return nil
}

// add keeps e if it can hold keys with the prefix that sort after after.
func (fr *frame) add(e dirEntry, prefix, after string) {
	if !e.dir {
		if strings.HasPrefix(e.key, prefix) && e.key > after {
			fr.entries = append(fr.entries, e)
		}
		return
	}
	if !strings.HasPrefix(e.key, prefix) && !strings.HasPrefix(prefix, e.key) {
		return
	}
	// Every key in the directory starts with e.key. If after is beyond
	// e.key without starting with it, it is beyond all of them.
	if after > e.key && !strings.HasPrefix(after, e.key) {
		return
	}
	fr.entries = append(fr.entries, e)
}

// next returns the next key, or ok=false at the end.
func (w *walker) next() (key string, ok bool, err error) {
	for len(w.stack) > 0 {
		top := &w.stack[len(w.stack)-1]
		if top.i == len(top.entries) {
			w.stack = w.stack[:len(w.stack)-1]
			continue
		}
		e := top.entries[top.i]
		top.i++
		if !e.dir {
			return e.key, true, nil
		}
		if err := w.push(e.key); err != nil {
			return "", false, err
		}
	}
	return "", false, nil
}

// skipPrefix drops every remaining key that starts with p. Such keys come
// next in order, so they are the leading entries of the innermost frames.
func (w *walker) skipPrefix(p string) {
	for len(w.stack) > 0 {
		top := &w.stack[len(w.stack)-1]
		if strings.HasPrefix(top.prefix, p) {
			w.stack = w.stack[:len(w.stack)-1]
			continue
		}
		for top.i < len(top.entries) && strings.HasPrefix(top.entries[top.i].key, p) {
			top.i++
		}
		return
	}
}
