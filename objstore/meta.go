package objstore

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Metadata is what a writer says about an object besides its bytes: the
// headers S3 stores and returns, and user metadata (x-amz-meta-*).
type Metadata struct {
	ContentType        string `json:"content_type,omitempty"`
	CacheControl       string `json:"cache_control,omitempty"`
	ContentEncoding    string `json:"content_encoding,omitempty"`
	ContentDisposition string `json:"content_disposition,omitempty"`
	ContentLanguage    string `json:"content_language,omitempty"`
	Expires            string `json:"expires,omitempty"` // kept verbatim, as S3 does
	// User holds x-amz-meta-* headers without the prefix, names lowercased.
	User map[string]string `json:"user,omitempty"`
}

// maxUserMetadata is S3's limit on the size of user metadata (names and
// values together).
const maxUserMetadata = 2048

func (m Metadata) normalized() (Metadata, error) {
	total := 0
	if len(m.User) > 0 {
		u := make(map[string]string, len(m.User))
		for k, v := range m.User {
			k = strings.ToLower(strings.TrimPrefix(strings.ToLower(k), "x-amz-meta-"))
			total += len(k) + len(v)
			u[k] = v
		}
		m.User = u
	}
	if total > maxUserMetadata {
		return m, fmt.Errorf("%w: user metadata is %d bytes, the limit is %d", ErrMetadataTooLarge, total, maxUserMetadata)
	}
	return m, nil
}

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Bucket string
	Key    string
	Size   int64
	// ETag is the hex MD5 of the bytes, or for an object assembled from N
	// multipart parts "<hex MD5 of the parts' binary MD5s>-N". It is stored
	// and returned without the quotes HTTP puts around it; see QuotedETag.
	ETag string
	// LastModified is the data file's modification time, set by the store
	// when the object is written.
	LastModified time.Time
	// PartsCount is the number of parts of a multipart object, else 0.
	PartsCount int
	// Recomputed says the metadata beside the object was missing or did not
	// belong to these bytes (a crash between the two renames, or a file
	// replaced by hand), so ETag and ContentType were derived from the bytes
	// and the file name, and the writer's other metadata is absent.
	Recomputed bool
	Metadata
}

// QuotedETag is the ETag as HTTP and S3 show it: "d41d8cd98f00b204e9800998ecf8427e".
func (o ObjectInfo) QuotedETag() string { return `"` + o.ETag + `"` }

// metaDoc is the JSON document stored at <root>/.meta/<bucket>/<key path>.
// File records which data file it describes.
type metaDoc struct {
	V     int          `json:"v"`
	File  fileIdentity `json:"file"`
	ETag  string       `json:"etag"`
	Parts int          `json:"parts,omitempty"`
	Metadata
}

// readMeta reads the metadata document of kp, or returns ok=false when it is
// missing or unreadable (both mean: recompute).
func (s *Store) readMeta(bucket string, kp keyPath) (metaDoc, bool) {
	fd, err := s.openBeneath(s.metaFD, kp.under(bucket), fileFlags)
	if err != nil {
		return metaDoc{}, false
	}
	return decodeMetaFD(fd)
}

// readMetaIn reads the metadata document name in the open directory dir.
func readMetaIn(dir int, name string) (metaDoc, bool) {
	fd, err := unix.Openat(dir, name, fileFlags, 0)
	if err != nil {
		return metaDoc{}, false
	}
	return decodeMetaFD(fd)
}

// decodeMetaFD reads and closes fd. It uses bare system calls: listings
// read one document per key, and an os.File would add three calls to each.
func decodeMetaFD(fd int) (metaDoc, bool) {
	defer unix.Close(fd)
	var doc metaDoc
	buf := make([]byte, 1024)
	n := 0
	for {
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return doc, false
		}
		n += m
		if m < len(buf)-(n-m) {
			break // a short read of a regular file is its end
		}
		if n == len(buf) {
			if n >= 64<<10 {
				return doc, false // not a document this store wrote
			}
			buf = append(buf, make([]byte, len(buf))...)
		}
	}
	if json.Unmarshal(buf[:n], &doc) != nil || doc.V != 1 {
		return metaDoc{}, false
	}
	return doc, true
}

// writeMeta stores doc as the metadata of kp, atomically. Entries in the
// metadata tree that stand in the way (left by objects removed by hand) are
// cleared: the tree holds nothing but derived data.
func (s *Store) writeMeta(bucket string, kp keyPath, doc metaDoc) error {
	doc.V = 1
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	f, err := s.stage("meta-", b)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		err = s.placeMeta(bucket, kp, f)
		if err == nil || attempt == 5 {
			break
		}
		if isConflict(err) || errors.Is(err, unix.ENOENT) {
			s.clearMetaObstacle(bucket, kp)
			continue
		}
		break
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("store metadata of %s/%s: %w", bucket, truncate(kp.rel()), err)
	}
	return nil
}

func (s *Store) placeMeta(bucket string, kp keyPath, f *os.File) error {
	s.prune.RLock()
	defer s.prune.RUnlock()
	segs := kp.under(bucket)
	dir, err := s.makeDirs(s.metaFD, segs[:len(segs)-1])
	if err != nil {
		return err
	}
	defer unix.Close(dir)
	if err := s.renameIn(f, dir, kp.base); err != nil {
		return err
	}
	s.syncDir(dir)
	return nil
}

// clearMetaObstacle removes metadata entries that have the wrong type for kp:
// a file where kp needs a directory, or a directory where kp's document goes.
func (s *Store) clearMetaObstacle(bucket string, kp keyPath) {
	base := []string{s.root, metaDir, bucket}
	p := strings.Join(base, "/")
	for _, d := range kp.dirs {
		p += "/" + d
		if fi, err := os.Lstat(p); err == nil && !fi.IsDir() {
			os.Remove(p)
			return
		}
	}
	p += "/" + kp.base
	if fi, err := os.Lstat(p); err == nil && fi.IsDir() {
		os.RemoveAll(p)
	}
}

// removeMeta deletes the metadata of kp and the directories it leaves empty.
func (s *Store) removeMeta(bucket string, kp keyPath) {
	mfd, err := s.bucketMetaFD(bucket)
	if err != nil {
		return
	}
	defer unix.Close(mfd)
	if dir, err := walkDirs(mfd, kp.dirs); err == nil {
		_ = unix.Unlinkat(dir, kp.base, 0)
		unix.Close(dir)
		s.prune.Lock()
		removeEmptyDirs(mfd, kp.dirs)
		s.prune.Unlock()
	}
}

// describe builds the ObjectInfo of the open data file f from the stored
// metadata if that was written for exactly this file (same inode, size and
// mtime), else it returns ok=false. Callers hold the key's read lock, so no
// writer in this process is between its two renames.
func (s *Store) describe(bucket, key string, kp keyPath, st *unix.Stat_t) (info ObjectInfo, ok bool) {
	info = ObjectInfo{Bucket: bucket, Key: key, Size: st.Size, LastModified: timeOfStat(st)}
	id := statIdentity(st)
	doc, found := s.cache.get(bucket, key, id)
	if !found {
		doc, found = s.readMeta(bucket, kp)
		found = found && doc.File == id
		if found {
			s.cache.put(bucket, key, doc)
		}
	}
	if found {
		info.ETag, info.PartsCount, info.Metadata = doc.ETag, doc.Parts, doc.Metadata
	}
	return info, found
}

// recompute describes the open data file f from its bytes and name alone,
// for a file whose metadata is missing or belongs to other bytes, and stores
// the result so the next reader need not hash the file again.
func (s *Store) recompute(bucket, key string, kp keyPath, f *os.File, st *unix.Stat_t) (ObjectInfo, error) {
	info := ObjectInfo{Bucket: bucket, Key: key, Size: st.Size, LastModified: timeOfStat(st), Recomputed: true}
	h := md5.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, st.Size)); err != nil {
		return ObjectInfo{}, fmt.Errorf("read %s/%s: %w", bucket, truncate(key), err)
	}
	info.ETag = hex.EncodeToString(h.Sum(nil))
	info.ContentType = typeByName(key)
	s.log.Warn("object metadata missing or stale; recomputed from content",
		"bucket", bucket, "key", key, "etag", info.ETag)
	id := statIdentity(st)
	s.repairMeta(bucket, key, kp, id, metaDoc{File: id, ETag: info.ETag, Metadata: info.Metadata})
	return info, nil
}

// repairMeta stores recomputed metadata if the data file is still the one it
// was computed from, so the next reader need not hash it again.
func (s *Store) repairMeta(bucket, key string, kp keyPath, id fileIdentity, doc metaDoc) {
	mu := s.keyLock(bucket, key)
	mu.Lock()
	defer mu.Unlock()
	bfd, err := s.bucketFD(bucket)
	if err != nil {
		return
	}
	defer unix.Close(bfd)
	dir, err := walkDirs(bfd, kp.dirs)
	if err != nil {
		return
	}
	var st unix.Stat_t
	err = unix.Fstatat(dir, kp.base, &st, unix.AT_SYMLINK_NOFOLLOW)
	unix.Close(dir)
	if err != nil || statIdentity(&st) != id {
		return
	}
	if err := s.writeMeta(bucket, kp, doc); err == nil {
		s.cache.put(bucket, key, doc)
	} else {
		s.log.Warn("repairing object metadata failed", "bucket", bucket, "key", key, "err", err)
	}
}
