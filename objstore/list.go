package objstore

import (
	"context"
	"fmt"
	"iter"
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
	w, err := s.newWalker(bfd, bucket, opts.Prefix, opts.StartAfter)
	defer w.close()
	if err != nil {
		return res, fmt.Errorf("list %s: %w", bucket, err)
	}
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
		if cp := commonPrefix(key, opts.Prefix, opts.Delimiter); cp != "" {
			item, isPrefix = cp, true
			w.skipPrefix(item)
			if item <= opts.StartAfter {
				continue
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
		info, err := s.statListed(ctx, &data, &meta, bucket, k)
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
func (s *Store) statListed(ctx context.Context, data, meta *dirCursor, bucket, key string) (ObjectInfo, error) {
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
	return s.Stat(ctx, bucket, key)
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

// Objects iterates over every object whose key starts with prefix, in S3
// order, one List page at a time (for in-process callers such as a deploy
// step comparing a bucket prefix with local files). It stops at the first
// error, which it yields.
func (s *Store) Objects(ctx context.Context, bucket, prefix string) iter.Seq2[ObjectInfo, error] {
	return func(yield func(ObjectInfo, error) bool) {
		opts := ListOptions{Prefix: prefix, MaxKeys: s.objectsPage}
		for {
			res, err := s.List(ctx, bucket, opts)
			if err != nil {
				yield(ObjectInfo{}, err)
				return
			}
			for _, o := range res.Objects {
				if !yield(o, nil) {
					return
				}
			}
			if !res.IsTruncated {
				return
			}
			opts.StartAfter = res.NextStartAfter
		}
	}
}

// commonPrefix returns the common prefix that key, listed under prefix,
// rolls up into: key up to and including the first delimiter after prefix,
// as S3's CommonPrefixes has it. It returns "" when key is listed as itself
// (no delimiter, or none after prefix). key must start with prefix.
func commonPrefix(key, prefix, delimiter string) string {
	if delimiter == "" {
		return ""
	}
	if i := strings.Index(key[len(prefix):], delimiter); i >= 0 {
		return key[:len(prefix)+i+len(delimiter)]
	}
	return ""
}
