package objstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// BucketInfo describes a bucket.
type BucketInfo struct {
	Name    string
	Created time.Time
	Region  string // empty when created without one (S3: us-east-1)
}

// BucketOptions are the settings of CreateBucket.
type BucketOptions struct {
	Region string // LocationConstraint, recorded and returned
}

type bucketDoc struct {
	Created time.Time `json:"created"`
	Region  string    `json:"region,omitempty"`
}

func (s *Store) bucketDocPath(name string) string {
	return filepath.Join(s.root, bucketsDir, name+".json")
}

func (s *Store) policyPath(name string) string {
	return filepath.Join(s.root, bucketsDir, name+".policy")
}

// CreateBucket makes an empty bucket. It fails with ErrBucketExists if the
// bucket is there already.
func (s *Store) CreateBucket(ctx context.Context, name string, opts BucketOptions) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := ValidateBucketName(name); err != nil {
		return err
	}
	s.lifecycle.Lock()
	defer s.lifecycle.Unlock()
	if _, err := os.Lstat(filepath.Join(s.root, name)); err == nil {
		return fmt.Errorf("%w: %s", ErrBucketExists, name)
	}
	// The record goes first: a bucket exists once its directory does, and a
	// record without a directory (a crash in between) is simply overwritten.
	b, _ := json.Marshal(bucketDoc{Created: s.opts.Now().UTC(), Region: opts.Region})
	if err := s.writeSmallFile(s.bucketDocPath(name), b); err != nil {
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	_ = os.Remove(s.policyPath(name)) // left by a bucket deleted during a crash
	if err := unix.Mkdirat(s.rootFD, name, 0o755); err != nil {
		if err == unix.EEXIST {
			return fmt.Errorf("%w: %s", ErrBucketExists, name)
		}
		return fmt.Errorf("create bucket %s: %w", name, err)
	}
	s.syncDir(s.rootFD)
	return nil
}

// BucketInfo describes a bucket (S3 HeadBucket, GetBucketLocation). A
// directory created by hand under the root is a bucket too; its creation
// date is then the directory's modification time.
func (s *Store) BucketInfo(ctx context.Context, name string) (BucketInfo, error) {
	if err := ctx.Err(); err != nil {
		return BucketInfo{}, err
	}
	if err := ValidateBucketName(name); err != nil {
		return BucketInfo{}, err
	}
	fi, err := os.Lstat(filepath.Join(s.root, name))
	if err != nil || !fi.IsDir() {
		return BucketInfo{}, fmt.Errorf("%w: %s", ErrNoSuchBucket, name)
	}
	return s.bucketInfo(name, fi), nil
}

func (s *Store) bucketInfo(name string, fi fs.FileInfo) BucketInfo {
	info := BucketInfo{Name: name, Created: fi.ModTime().UTC()}
	if b, err := os.ReadFile(s.bucketDocPath(name)); err == nil {
		var doc bucketDoc
		if json.Unmarshal(b, &doc) == nil {
			info.Created, info.Region = doc.Created, doc.Region
		}
	}
	return info
}

// ListBuckets returns all buckets sorted by name.
func (s *Store) ListBuckets(ctx context.Context) ([]BucketInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(s.root)
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	var out []BucketInfo
	for _, e := range entries {
		if !e.IsDir() || ValidateBucketName(e.Name()) != nil {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, s.bucketInfo(e.Name(), fi))
	}
	slices.SortFunc(out, func(a, b BucketInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// DeleteBucket removes an empty bucket (ErrBucketNotEmpty otherwise), its
// policy and its unfinished multipart uploads. Files in the bucket's
// directory that are not objects (links, names no key can have) go with it.
func (s *Store) DeleteBucket(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.lifecycle.Lock()
	defer s.lifecycle.Unlock()
	bfd, err := s.bucketFD(name)
	if err != nil {
		return err
	}
	it, err := s.newWalker(bfd, name, "", "")
	found := false
	if err == nil {
		_, found, err = it.next()
	}
	it.close()
	unix.Close(bfd)
	if err != nil {
		return fmt.Errorf("delete bucket %s: %w", name, err)
	}
	if found {
		return fmt.Errorf("%w: %s", ErrBucketNotEmpty, name)
	}
	// Move the trees out of sight first so the bucket disappears at once,
	// then remove them at leisure.
	for _, dir := range []string{name, filepath.Join(metaDir, name), filepath.Join(uploadsDir, name)} {
		trash := filepath.Join(s.root, tmpDir, "del-"+rand.Text())
		if err := os.Rename(filepath.Join(s.root, dir), trash); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return fmt.Errorf("delete bucket %s: %w", name, err)
		}
		_ = os.RemoveAll(trash)
	}
	s.syncDir(s.rootFD)
	s.cache.forgetBucket(name)
	s.dirs.forgetBucket(name)
	_ = os.Remove(s.policyPath(name))
	_ = os.Remove(s.bucketDocPath(name))
	return nil
}

// maxPolicySize is S3's limit on a bucket policy document.
const maxPolicySize = 20 << 10

// PutBucketPolicy validates policy as an IAM-style JSON document and stores
// it verbatim.
func (s *Store) PutBucketPolicy(ctx context.Context, bucket string, policy []byte) error {
	if _, err := s.BucketInfo(ctx, bucket); err != nil {
		return err
	}
	if err := ValidatePolicy(policy); err != nil {
		return err
	}
	return s.writeSmallFile(s.policyPath(bucket), policy)
}

// GetBucketPolicy returns the policy exactly as it was put, or
// ErrNoSuchBucketPolicy.
func (s *Store) GetBucketPolicy(ctx context.Context, bucket string) ([]byte, error) {
	if _, err := s.BucketInfo(ctx, bucket); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(s.policyPath(bucket))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchBucketPolicy, bucket)
	}
	return b, err
}

// DeleteBucketPolicy removes the policy. It returns ErrNoSuchBucketPolicy when
// there was none; S3 answers 204 in that case, so the S3 layer may treat that
// error as success.
func (s *Store) DeleteBucketPolicy(ctx context.Context, bucket string) error {
	if _, err := s.BucketInfo(ctx, bucket); err != nil {
		return err
	}
	err := os.Remove(s.policyPath(bucket))
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNoSuchBucketPolicy, bucket)
	}
	return err
}

// ValidatePolicy checks the shape S3 checks before accepting a bucket policy:
// a JSON object of at most 20 KiB with a Statement (one object or a non-empty
// array) whose statements each have Effect Allow or Deny. It does not
// interpret principals, actions or resources.
func ValidatePolicy(policy []byte) error {
	bad := func(why string) error { return fmt.Errorf("%w: %s", ErrMalformedPolicy, why) }
	if len(policy) > maxPolicySize {
		return bad(fmt.Sprintf("policy is %d bytes, the limit is %d", len(policy), maxPolicySize))
	}
	var doc struct {
		Version   *string
		Statement json.RawMessage
	}
	if err := json.Unmarshal(policy, &doc); err != nil {
		return bad("policy is not a JSON object: " + err.Error())
	}
	if doc.Version != nil && *doc.Version != "2012-10-17" && *doc.Version != "2008-10-17" {
		return bad(fmt.Sprintf("Version %q is not 2012-10-17 or 2008-10-17", *doc.Version))
	}
	type statement struct{ Effect string }
	var stmts []statement
	raw := strings.TrimSpace(string(doc.Statement))
	switch {
	case raw == "" || raw == "null":
		return bad("policy has no Statement")
	case raw[0] == '{':
		var st statement
		if err := json.Unmarshal(doc.Statement, &st); err != nil {
			return bad("Statement is not an object: " + err.Error())
		}
		stmts = append(stmts, st)
	default:
		if err := json.Unmarshal(doc.Statement, &stmts); err != nil {
			return bad("Statement must be an object or an array of objects")
		}
		if len(stmts) == 0 {
			return bad("Statement is empty")
		}
	}
	for i, st := range stmts {
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return bad(fmt.Sprintf("statement %d has Effect %q, want Allow or Deny", i, st.Effect))
		}
	}
	return nil
}

// writeSmallFile replaces the file at path (in the store's own trees)
// atomically with b.
func (s *Store) writeSmallFile(path string, b []byte) error {
	f, err := s.stage("doc-", b)
	if err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		_ = s.sync(d)
		d.Close()
	}
	return nil
}
