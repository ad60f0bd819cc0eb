package objstore

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Multipart uploads live in <root>/.uploads/<bucket>/<upload id>/: the file
// "upload.json" (key, initiation time, metadata) and, per part, the bytes in
// "00001" and their description in "00001.json". The description records the
// part file's identity like object metadata does, so a part replaced midway
// is detected and rehashed rather than misdescribed.

// MaxParts is S3's highest part number.
const MaxParts = 10000

// Upload describes an unfinished multipart upload.
type Upload struct {
	Bucket    string
	Key       string
	UploadID  string
	Initiated time.Time
	Metadata  Metadata
}

// Part describes one uploaded part.
type Part struct {
	PartNumber   int
	ETag         string // hex MD5 of the part, without quotes
	Size         int64
	LastModified time.Time
}

// CompletePart names a part to assemble, as the client lists it in
// CompleteMultipartUpload. ETag may carry quotes.
type CompletePart struct {
	PartNumber int
	ETag       string
}

type uploadDoc struct {
	Key       string    `json:"key"`
	Initiated time.Time `json:"initiated"`
	Metadata  Metadata  `json:"meta"`
}

type partDoc struct {
	File fileIdentity `json:"file"`
	ETag string       `json:"etag"`
}

// validUploadID reports whether id has the form CreateMultipartUpload hands
// out (26 characters of base32), so it can name a directory safely.
func validUploadID(id string) bool {
	if len(id) != 26 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

func (s *Store) uploadDir(bucket, id string) string {
	return filepath.Join(s.root, uploadsDir, bucket, id)
}

// CreateMultipartUpload starts an upload of key and returns its id.
func (s *Store) CreateMultipartUpload(ctx context.Context, bucket, key string, meta Metadata) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if _, err := s.checkTarget(bucket, key); err != nil {
		return "", err
	}
	meta, err := meta.normalized()
	if err != nil {
		return "", err
	}
	if meta.ContentType == "" {
		meta.ContentType = typeByName(key)
	}
	id := rand.Text()
	dir := s.uploadDir(bucket, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create upload: %w", err)
	}
	b, _ := json.Marshal(uploadDoc{Key: key, Initiated: s.opts.Now().UTC(), Metadata: meta})
	if err := s.writeSmallFile(filepath.Join(dir, "upload.json"), b); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("create upload: %w", err)
	}
	return id, nil
}

// upload loads an upload of bucket/key, or fails with ErrNoSuchUpload.
func (s *Store) upload(bucket, key, id string) (Upload, error) {
	if err := ValidateBucketName(bucket); err != nil {
		return Upload{}, err
	}
	if _, err := parseKey(key); err != nil {
		return Upload{}, err
	}
	u, err := s.readUpload(bucket, id)
	if err == nil && u.Key != key {
		err = fmt.Errorf("%w: upload %s is for another key", ErrNoSuchUpload, id)
	}
	return u, err
}

func (s *Store) readUpload(bucket, id string) (Upload, error) {
	if !validUploadID(id) {
		return Upload{}, fmt.Errorf("%w: %q", ErrNoSuchUpload, truncate(id))
	}
	b, err := os.ReadFile(filepath.Join(s.uploadDir(bucket, id), "upload.json"))
	var doc uploadDoc
	if err != nil || json.Unmarshal(b, &doc) != nil {
		return Upload{}, fmt.Errorf("%w: %s", ErrNoSuchUpload, id)
	}
	return Upload{Bucket: bucket, Key: doc.Key, UploadID: id, Initiated: doc.Initiated, Metadata: doc.Metadata}, nil
}

func partName(n int) string { return fmt.Sprintf("%05d", n) }

// UploadPart stores part n of an upload, replacing an earlier part n.
// contentMD5 (base64, may be empty) is verified like Put's.
func (s *Store) UploadPart(ctx context.Context, bucket, key, uploadID string, n int, r io.Reader, size int64, contentMD5 string) (Part, error) {
	if n < 1 || n > MaxParts {
		return Part{}, fmt.Errorf("%w: %d", ErrInvalidPartNumber, n)
	}
	if _, err := s.upload(bucket, key, uploadID); err != nil {
		return Part{}, err
	}
	want, err := decodeMD5(contentMD5)
	if err != nil {
		return Part{}, err
	}
	f, sum, err := s.writeTemp(ctx, r, size, s.opts.MaxPartSize, md5.New())
	if err != nil {
		return Part{}, err
	}
	if want != nil && string(want) != string(sum) {
		discard(f)
		return Part{}, fmt.Errorf("%w: part %d", ErrBadDigest, n)
	}
	fi, err := f.Stat()
	f.Close()
	if err != nil {
		os.Remove(f.Name())
		return Part{}, err
	}
	doc := partDoc{File: identityOf(fi), ETag: hex.EncodeToString(sum)}
	dir := s.uploadDir(bucket, uploadID)
	mu := s.keyLock(uploadsDir+"/"+uploadID, partName(n))
	mu.Lock()
	defer mu.Unlock()
	if err := os.Rename(f.Name(), filepath.Join(dir, partName(n))); err != nil {
		os.Remove(f.Name())
		if errors.Is(err, fs.ErrNotExist) {
			return Part{}, fmt.Errorf("%w: %s (aborted or completed meanwhile)", ErrNoSuchUpload, uploadID)
		}
		return Part{}, fmt.Errorf("store part %d: %w", n, err)
	}
	b, _ := json.Marshal(doc)
	if err := s.writeSmallFile(filepath.Join(dir, partName(n)+".json"), b); err != nil {
		return Part{}, fmt.Errorf("store part %d: %w", n, err)
	}
	return Part{PartNumber: n, ETag: doc.ETag, Size: fi.Size(), LastModified: fi.ModTime()}, nil
}

// openPart opens part n and describes it, rehashing it if its description
// does not match the file.
func (s *Store) openPart(bucket, uploadID string, n int) (*os.File, Part, error) {
	dir := s.uploadDir(bucket, uploadID)
	f, err := os.Open(filepath.Join(dir, partName(n)))
	if err != nil {
		return nil, Part{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Part{}, err
	}
	p := Part{PartNumber: n, Size: fi.Size(), LastModified: fi.ModTime()}
	var doc partDoc
	b, err := os.ReadFile(filepath.Join(dir, partName(n)+".json"))
	if err == nil && json.Unmarshal(b, &doc) == nil && doc.File == identityOf(fi) {
		p.ETag = doc.ETag
		return f, p, nil
	}
	h := md5.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, fi.Size())); err != nil {
		f.Close()
		return nil, Part{}, err
	}
	p.ETag = hex.EncodeToString(h.Sum(nil))
	return f, p, nil
}

// ListPartsOptions page through ListParts.
type ListPartsOptions struct {
	PartNumberMarker int // list parts after this number
	MaxParts         int // 0 means 1000
}

// PartList is a page of ListParts.
type PartList struct {
	Upload               Upload
	Parts                []Part
	IsTruncated          bool
	NextPartNumberMarker int
}

// ListParts lists the parts uploaded so far, by part number.
func (s *Store) ListParts(ctx context.Context, bucket, key, uploadID string, opts ListPartsOptions) (PartList, error) {
	if err := ctx.Err(); err != nil {
		return PartList{}, err
	}
	u, err := s.upload(bucket, key, uploadID)
	if err != nil {
		return PartList{}, err
	}
	limit := opts.MaxParts
	if limit <= 0 {
		limit = 1000
	}
	nums, err := s.partNumbers(bucket, uploadID)
	if err != nil {
		return PartList{}, err
	}
	res := PartList{Upload: u}
	for _, n := range nums {
		if n <= opts.PartNumberMarker {
			continue
		}
		if len(res.Parts) == limit {
			res.IsTruncated = true
			break
		}
		f, p, err := s.openPart(bucket, uploadID, n)
		if err != nil {
			continue // replaced or aborted meanwhile
		}
		f.Close()
		res.Parts = append(res.Parts, p)
		res.NextPartNumberMarker = n
	}
	return res, nil
}

func (s *Store) partNumbers(bucket, uploadID string) ([]int, error) {
	entries, err := os.ReadDir(s.uploadDir(bucket, uploadID))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchUpload, uploadID)
	}
	var nums []int
	for _, e := range entries {
		if len(e.Name()) != 5 {
			continue
		}
		if n, err := strconv.Atoi(e.Name()); err == nil && n >= 1 && n <= MaxParts {
			nums = append(nums, n)
		}
	}
	return nums, nil // ReadDir sorts by name, and names are zero-padded
}

// AbortMultipartUpload discards an upload and its parts.
func (s *Store) AbortMultipartUpload(ctx context.Context, bucket, key, uploadID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.upload(bucket, key, uploadID); err != nil {
		return err
	}
	return s.removeUpload(bucket, uploadID)
}

func (s *Store) removeUpload(bucket, uploadID string) error {
	trash := filepath.Join(s.root, tmpDir, "del-"+rand.Text())
	if err := os.Rename(s.uploadDir(bucket, uploadID), trash); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: %s", ErrNoSuchUpload, uploadID)
		}
		return err
	}
	return os.RemoveAll(trash)
}

// CompleteMultipartUpload assembles the listed parts, in order, into the
// object and ends the upload. Parts must be listed in ascending order
// (ErrInvalidPartOrder), exist with the given ETags (ErrInvalidPart), and all
// but the last be at least MinPartSize (ErrEntityTooSmall). The object's ETag
// is S3's: the MD5 of the concatenated binary part MD5s, then "-" and the
// number of parts.
func (s *Store) CompleteMultipartUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletePart) (ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return ObjectInfo{}, err
	}
	u, err := s.upload(bucket, key, uploadID)
	if err != nil {
		return ObjectInfo{}, err
	}
	kp, err := s.checkTarget(bucket, key)
	if err != nil {
		return ObjectInfo{}, err
	}
	if len(parts) == 0 {
		return ObjectInfo{}, fmt.Errorf("%w: the part list is empty", ErrInvalidPart)
	}
	files := make([]*os.File, 0, len(parts))
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	whole := md5.New()
	for i, cp := range parts {
		if i > 0 && cp.PartNumber <= parts[i-1].PartNumber {
			return ObjectInfo{}, fmt.Errorf("%w: part %d follows part %d", ErrInvalidPartOrder, cp.PartNumber, parts[i-1].PartNumber)
		}
		if cp.PartNumber < 1 || cp.PartNumber > MaxParts {
			return ObjectInfo{}, fmt.Errorf("%w: part number %d", ErrInvalidPart, cp.PartNumber)
		}
	}
	for i, cp := range parts {
		f, p, err := s.openPart(bucket, uploadID, cp.PartNumber)
		if err != nil {
			return ObjectInfo{}, fmt.Errorf("%w: part %d was not uploaded", ErrInvalidPart, cp.PartNumber)
		}
		files = append(files, f)
		if !strings.EqualFold(strings.Trim(cp.ETag, `"`), p.ETag) {
			return ObjectInfo{}, fmt.Errorf("%w: part %d has ETag %q, not %q", ErrInvalidPart, cp.PartNumber, p.ETag, cp.ETag)
		}
		if i < len(parts)-1 && p.Size < s.opts.MinPartSize {
			return ObjectInfo{}, fmt.Errorf("%w: part %d is %d bytes, the minimum is %d", ErrEntityTooSmall, cp.PartNumber, p.Size, s.opts.MinPartSize)
		}
		sum, _ := hex.DecodeString(p.ETag)
		whole.Write(sum)
	}
	f, err := s.assemble(ctx, files)
	if err != nil {
		return ObjectInfo{}, err
	}
	etag := fmt.Sprintf("%s-%d", hex.EncodeToString(whole.Sum(nil)), len(parts))
	info, err := s.commit(bucket, key, kp, f, metaDoc{ETag: etag, Parts: len(parts), Metadata: u.Metadata}, nil)
	if err != nil {
		return ObjectInfo{}, err
	}
	_ = s.removeUpload(bucket, uploadID)
	return info, nil
}

// assemble concatenates the part files into a new temporary file. Copying
// file to file lets the kernel move the bytes (copy_file_range); the MD5s
// are already known, so nothing is hashed again.
func (s *Store) assemble(ctx context.Context, parts []*os.File) (*os.File, error) {
	f, err := s.createTemp("mpu-")
	if err != nil {
		return nil, err
	}
	for _, p := range parts {
		if err := ctx.Err(); err != nil {
			discard(f)
			return nil, err
		}
		if _, err := io.Copy(f, p); err != nil {
			discard(f)
			return nil, fmt.Errorf("assemble parts: %w", err)
		}
	}
	if err := s.finishTemp(f); err != nil {
		return nil, err
	}
	return f, nil
}

// UploadPartCopy stores bytes first..last (inclusive) of an existing object
// as part n of an upload (S3 UploadPartCopy, which the aws CLI uses to copy
// large objects between buckets). last < 0 copies to the end of the object.
func (s *Store) UploadPartCopy(ctx context.Context, bucket, key, uploadID string, n int, srcBucket, srcKey string, first, last int64) (Part, error) {
	src, info, err := s.Open(ctx, srcBucket, srcKey)
	if err != nil {
		return Part{}, err
	}
	defer src.Close()
	if last < 0 {
		last = info.Size - 1
	}
	if first < 0 || first > last+1 || last >= info.Size {
		return Part{}, fmt.Errorf("%w: range %d-%d of a %d-byte object", ErrInvalidArgument, first, last, info.Size)
	}
	size := last - first + 1
	if size == 0 {
		return s.UploadPart(ctx, bucket, key, uploadID, n, strings.NewReader(""), 0, "")
	}
	return s.UploadPart(ctx, bucket, key, uploadID, n, io.NewSectionReader(src, first, size), size, "")
}
