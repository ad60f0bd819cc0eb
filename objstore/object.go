package objstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// PutOptions describe the body and metadata of a Put.
type PutOptions struct {
	// Size, when positive, is the declared length (Content-Length): a body of
	// another length is refused with ErrIncompleteBody.
	Size int64
	// ContentMD5 is the base64 Content-MD5 header; when set, the body's MD5
	// must match (ErrBadDigest).
	ContentMD5 string
	// IfNoneMatch "*" writes only if the key does not exist; IfMatch (an
	// ETag, quotes optional) only if the current object has that ETag (S3
	// conditional writes). Both are checked atomically with the write among
	// writers of this Store; a failed check is ErrPreconditionFailed.
	IfNoneMatch string
	IfMatch     string
	Metadata
}

// Put stores the bytes read from r as bucket/key, replacing any object there.
// The object appears complete or not at all. A missing ContentType is guessed
// from the key's extension (S3 would say binary/octet-stream; a type the
// edge can serve is more useful to everyone).
func (s *Store) Put(ctx context.Context, bucket, key string, r io.Reader, opts PutOptions) (ObjectInfo, error) {
	kp, err := s.checkTarget(bucket, key)
	if err != nil {
		return ObjectInfo{}, err
	}
	want, err := decodeMD5(opts.ContentMD5)
	if err != nil {
		return ObjectInfo{}, err
	}
	meta, err := opts.Metadata.normalized()
	if err != nil {
		return ObjectInfo{}, err
	}
	if meta.ContentType == "" {
		meta.ContentType = typeByName(key)
	}
	f, sum, err := s.writeTemp(ctx, r, opts.Size, s.opts.MaxObjectSize, md5.New())
	if err != nil {
		return ObjectInfo{}, err
	}
	if want != nil && !bytes.Equal(want, sum) {
		discard(f)
		return ObjectInfo{}, fmt.Errorf("%w: Content-MD5 %s, body MD5 %s", ErrBadDigest, opts.ContentMD5, base64.StdEncoding.EncodeToString(sum))
	}
	doc := metaDoc{ETag: hex.EncodeToString(sum), Metadata: meta}
	var check func() error
	if opts.IfNoneMatch != "" || opts.IfMatch != "" {
		check = func() error { return s.checkConditions(bucket, key, kp, opts.IfNoneMatch, opts.IfMatch) }
	}
	return s.commit(bucket, key, kp, f, doc, check)
}

// checkConditions evaluates a conditional write against the object now
// stored. The caller holds the key's write lock.
func (s *Store) checkConditions(bucket, key string, kp keyPath, ifNoneMatch, ifMatch string) error {
	etag, exists, err := s.currentETag(bucket, key, kp)
	if err != nil {
		return err
	}
	switch {
	case ifNoneMatch != "" && ifNoneMatch != "*":
		return fmt.Errorf("%w: If-None-Match on a write must be *", ErrInvalidArgument)
	case ifNoneMatch == "*" && exists:
		return fmt.Errorf("%w: %s/%s exists", ErrPreconditionFailed, bucket, truncate(key))
	case ifMatch != "" && !exists:
		return fmt.Errorf("%w: %s/%s does not exist", ErrNoSuchKey, bucket, truncate(key))
	case ifMatch != "" && ifMatch != "*" && strings.Trim(ifMatch, `"`) != etag:
		return fmt.Errorf("%w: %s/%s has ETag %q", ErrPreconditionFailed, bucket, truncate(key), etag)
	}
	return nil
}

// currentETag is the ETag of the object stored at key, hashing the file if
// its metadata does not match. It takes no lock (its caller holds one).
func (s *Store) currentETag(bucket, key string, kp keyPath) (string, bool, error) {
	f, st, err := s.openFile(s.rootFD, kp.under(bucket), key)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || isConflict(err) {
			return "", false, nil
		}
		return "", false, errPath("open", bucket, key, err)
	}
	defer f.Close()
	if info, ok := s.describe(bucket, key, kp, &st); ok {
		return info.ETag, true, nil
	}
	h := md5.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, st.Size)); err != nil {
		return "", false, errPath("read", bucket, key, err)
	}
	return hex.EncodeToString(h.Sum(nil)), true, nil
}

// checkTarget validates the names of an object to be written and makes sure
// the bucket exists, so a bad request fails before its body is read.
func (s *Store) checkTarget(bucket, key string) (keyPath, error) {
	kp, err := parseKey(key)
	if err != nil {
		return kp, err
	}
	fd, err := s.bucketFD(bucket)
	if err != nil {
		return kp, err
	}
	unix.Close(fd)
	return kp, nil
}

func decodeMD5(b64 string) ([]byte, error) {
	if b64 == "" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(b) != md5.Size {
		return nil, fmt.Errorf("%w: %q", ErrInvalidDigest, truncate(b64))
	}
	return b, nil
}

// writeTemp copies r into a new temporary file, hashing it with h, and
// checks the declared size and the limit. The file comes back synced, with
// its mtime set to now, ready to be renamed into place.
func (s *Store) writeTemp(ctx context.Context, r io.Reader, size, limit int64, h hash.Hash) (*os.File, []byte, error) {
	if size > limit {
		return nil, nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrEntityTooLarge, size, limit)
	}
	f, err := s.createTemp("obj-")
	if err != nil {
		return nil, nil, err
	}
	// Large buffers mean few system calls for big bodies; they are pooled
	// so small bodies do not pay for allocating one.
	buf := s.copyBufs.Get().(*[]byte)
	n, err := io.CopyBuffer(io.MultiWriter(f, h), io.LimitReader(ctxReader{ctx, r}, limit+1), *buf)
	s.copyBufs.Put(buf)
	switch {
	case err != nil:
		discard(f)
		return nil, nil, fmt.Errorf("read body: %w", err)
	case n > limit:
		discard(f)
		return nil, nil, fmt.Errorf("%w: body exceeds %d bytes", ErrEntityTooLarge, limit)
	case size > 0 && n != size:
		discard(f)
		return nil, nil, fmt.Errorf("%w: declared %d bytes, received %d", ErrIncompleteBody, size, n)
	}
	if err := s.finishTemp(f); err != nil {
		return nil, nil, err
	}
	return f, h.Sum(nil), nil
}

// finishTemp stamps a written temporary file with the current time (which
// becomes LastModified and part of the identity its metadata records) and
// syncs it. On failure it discards f.
func (s *Store) finishTemp(f *os.File) error {
	now := unix.NsecToTimespec(s.opts.Now().UnixNano())
	if err := unix.UtimesNanoAt(s.tmpFD, filepath.Base(f.Name()), []unix.Timespec{now, now}, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		discard(f)
		return err
	}
	if err := s.sync(f); err != nil {
		discard(f)
		return err
	}
	return nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// commit renames the finished temporary file f to bucket/key and then stores
// its metadata. It closes f. Writers of one key hold the key's lock across
// both renames so the last data written is described by the last metadata.
func (s *Store) commit(bucket, key string, kp keyPath, f *os.File, doc metaDoc, check func() error) (ObjectInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		discard(f)
		return ObjectInfo{}, err
	}
	f.Close()
	doc.File = identityOf(fi)

	mu := s.keyLock(bucket, key)
	mu.Lock()
	defer mu.Unlock()
	s.lifecycle.RLock()
	defer s.lifecycle.RUnlock()
	if check != nil {
		if err := check(); err != nil {
			os.Remove(f.Name())
			return ObjectInfo{}, err
		}
	}
	err = s.placeData(bucket, key, kp, f)
	s.dirs.touch(bucket, key) // directories may have been made even on failure
	if err != nil {
		os.Remove(f.Name())
		return ObjectInfo{}, err
	}
	if err := s.writeMeta(bucket, kp, doc); err != nil {
		return ObjectInfo{}, err
	}
	s.cache.put(bucket, key, doc)
	return ObjectInfo{
		Bucket: bucket, Key: key, Size: fi.Size(), ETag: doc.ETag,
		LastModified: fi.ModTime(), PartsCount: doc.Parts, Metadata: doc.Metadata,
	}, nil
}

// placeData renames f to the key's path, creating directories on the way. A
// concurrent Delete may remove an emptied directory between the walk and the
// rename; then the walk is repeated.
func (s *Store) placeData(bucket, key string, kp keyPath, f *os.File) error {
	bfd, err := s.bucketFD(bucket)
	if err != nil {
		return err
	}
	defer unix.Close(bfd)
	s.prune.RLock()
	defer s.prune.RUnlock()
	for attempt := 0; ; attempt++ {
		dir, err := s.makeDirs(bfd, kp.dirs)
		if err == unix.ENOENT && attempt < 5 {
			continue
		}
		if err != nil {
			if isConflict(err) {
				return fmt.Errorf("%w: a prefix of %q is stored as an object (or is a link)", ErrKeyConflict, truncate(key))
			}
			return errPath("create directories for", bucket, key, err)
		}
		err = s.renameIn(f, dir, kp.base)
		if err == nil {
			s.syncDir(dir)
		}
		unix.Close(dir)
		switch {
		case err == nil:
			return nil
		case err == unix.ENOENT && attempt < 5:
			continue
		case isConflict(err):
			return fmt.Errorf("%w: objects with prefix %q/ exist", ErrKeyConflict, truncate(key))
		default:
			return errPath("store", bucket, key, err)
		}
	}
}

// Open opens an object for reading. The caller closes the file. The file is
// a plain file holding exactly the object's bytes, so it can be served with
// http.ServeContent or sendfile; info describes exactly these bytes even if
// the key is overwritten while the file is open.
func (s *Store) Open(ctx context.Context, bucket, key string) (*os.File, ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, ObjectInfo{}, err
	}
	if err := ValidateBucketName(bucket); err != nil {
		return nil, ObjectInfo{}, err
	}
	kp, err := parseKey(key)
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	// Writers in this process hold the key's lock across both renames, so
	// under the read lock data and metadata match unless something outside
	// the store changed them (a crash between the renames, another process,
	// a hand edit). Look twice, in case another process was mid-write, then
	// recompute.
	mu := s.keyLock(bucket, key)
	for attempt := 1; ; attempt++ {
		mu.RLock()
		f, st, err := s.openFile(s.rootFD, kp.under(bucket), bucket+"/"+key)
		if err != nil {
			mu.RUnlock()
			return nil, ObjectInfo{}, s.openErr(bucket, key, err)
		}
		info, ok := s.describe(bucket, key, kp, &st)
		mu.RUnlock()
		if ok {
			return f, info, nil
		}
		if attempt == 2 {
			info, err := s.recompute(bucket, key, kp, f, &st)
			if err != nil {
				f.Close()
				return nil, ObjectInfo{}, err
			}
			return f, info, nil
		}
		f.Close()
	}
}

func (s *Store) openErr(bucket, key string, err error) error {
	if errors.Is(err, unix.ENOENT) || isConflict(err) {
		// Tell a missing (or linked) bucket from a missing key.
		if st, serr := os.Lstat(filepath.Join(s.root, bucket)); serr != nil || !st.IsDir() {
			return fmt.Errorf("%w: %s", ErrNoSuchBucket, bucket)
		}
		return fmt.Errorf("%w: %s/%s", ErrNoSuchKey, bucket, truncate(key))
	}
	return errPath("open", bucket, key, err)
}

// Stat describes an object without returning its bytes (S3 HeadObject).
func (s *Store) Stat(ctx context.Context, bucket, key string) (ObjectInfo, error) {
	f, info, err := s.Open(ctx, bucket, key)
	if err != nil {
		return ObjectInfo{}, err
	}
	f.Close()
	return info, nil
}

// Delete removes an object. Like S3 it succeeds when the key does not exist;
// it fails only for a missing bucket or an invalid key. Directories the
// object leaves empty are removed.
func (s *Store) Delete(ctx context.Context, bucket, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	kp, err := parseKey(key)
	if err != nil {
		return err
	}
	mu := s.keyLock(bucket, key)
	mu.Lock()
	defer mu.Unlock()
	bfd, err := s.bucketFD(bucket)
	if err != nil {
		return err
	}
	defer unix.Close(bfd)
	dir, err := walkDirs(bfd, kp.dirs)
	if err != nil {
		return nil // no directory, no object
	}
	err = unix.Unlinkat(dir, kp.base, 0)
	if err == nil {
		s.syncDir(dir)
	}
	unix.Close(dir)
	if err != nil && err != unix.ENOENT && !isConflict(err) {
		return errPath("delete", bucket, key, err)
	}
	s.removeMeta(bucket, kp)
	s.cache.forget(bucket, key)
	defer s.dirs.touch(bucket, key)
	s.prune.Lock()
	removeEmptyDirs(bfd, kp.dirs)
	s.prune.Unlock()
	return nil
}

// DeleteResult is the outcome for one key of DeleteMany.
type DeleteResult struct {
	Key string
	Err error // nil when deleted or absent
}

// DeleteMany deletes keys one by one (S3 DeleteObjects) and reports each.
func (s *Store) DeleteMany(ctx context.Context, bucket string, keys []string) ([]DeleteResult, error) {
	if fd, err := s.bucketFD(bucket); err != nil {
		return nil, err
	} else {
		unix.Close(fd)
	}
	out := make([]DeleteResult, 0, len(keys))
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		out = append(out, DeleteResult{Key: k, Err: s.Delete(ctx, bucket, k)})
	}
	return out, nil
}

// CopyOptions choose the metadata of a copy.
type CopyOptions struct {
	// ReplaceMetadata uses Metadata instead of the source's (S3
	// x-amz-metadata-directive: REPLACE). Copying an object onto itself
	// requires it.
	ReplaceMetadata bool
	Metadata
}

// Copy copies an object within or between buckets. As in S3 the copy is a
// single-part object: its ETag is the MD5 of its bytes even when the source
// was assembled from parts.
func (s *Store) Copy(ctx context.Context, srcBucket, srcKey, dstBucket, dstKey string, opts CopyOptions) (ObjectInfo, error) {
	if srcBucket == dstBucket && srcKey == dstKey && !opts.ReplaceMetadata {
		return ObjectInfo{}, ErrInvalidCopy
	}
	kp, err := s.checkTarget(dstBucket, dstKey)
	if err != nil {
		return ObjectInfo{}, err
	}
	src, info, err := s.Open(ctx, srcBucket, srcKey)
	if err != nil {
		return ObjectInfo{}, err
	}
	defer src.Close()
	meta := info.Metadata
	if opts.ReplaceMetadata {
		if meta, err = opts.Metadata.normalized(); err != nil {
			return ObjectInfo{}, err
		}
		if meta.ContentType == "" {
			meta.ContentType = typeByName(dstKey)
		}
	}
	f, sum, err := s.writeTemp(ctx, io.NewSectionReader(src, 0, info.Size), info.Size, s.opts.MaxObjectSize, md5.New())
	if err != nil {
		return ObjectInfo{}, err
	}
	return s.commit(dstBucket, dstKey, kp, f, metaDoc{ETag: hex.EncodeToString(sum), Metadata: meta}, nil)
}
