package objstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newStore(t testing.TB, opts Options) *Store {
	t.Helper()
	opts.NoSync = true
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := OpenWith(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newBucket(t testing.TB, s *Store, name string) {
	t.Helper()
	if err := s.CreateBucket(context.Background(), name, BucketOptions{}); err != nil {
		t.Fatal(err)
	}
}

func put(t testing.TB, s *Store, bucket, key, body string) ObjectInfo {
	t.Helper()
	info, err := s.Put(context.Background(), bucket, key, strings.NewReader(body), PutOptions{})
	if err != nil {
		t.Fatalf("Put %s/%s: %v", bucket, key, err)
	}
	return info
}

func read(t testing.TB, s *Store, bucket, key string) (string, ObjectInfo) {
	t.Helper()
	f, info, err := s.Open(context.Background(), bucket, key)
	if err != nil {
		t.Fatalf("Open %s/%s: %v", bucket, key, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), info
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestPutThenOpenReturnsBytesAndMetadata(t *testing.T) {
	s := newStore(t, Options{})
	ctx := context.Background()
	newBucket(t, s, "site")
	meta := Metadata{
		ContentType: "text/html", CacheControl: "max-age=60", ContentEncoding: "identity",
		ContentDisposition: "inline", ContentLanguage: "en", Expires: "Thu, 01 Dec 2094 16:00:00 GMT",
		User: map[string]string{"X-Amz-Meta-Build": "42", "Owner": "web"},
	}
	body := "<h1>v1 App</h1>"
	sum := md5.Sum([]byte(body))
	info, err := s.Put(ctx, "site", "1.0.0/index.html", strings.NewReader(body), PutOptions{
		Size: int64(len(body)), ContentMD5: base64.StdEncoding.EncodeToString(sum[:]), Metadata: meta,
	})
	if err != nil {
		t.Fatal(err)
	}
	if info.ETag != md5hex(body) || info.QuotedETag() != `"`+md5hex(body)+`"` {
		t.Fatalf("ETag = %q / %q", info.ETag, info.QuotedETag())
	}
	got, ginfo := read(t, s, "site", "1.0.0/index.html")
	if got != body {
		t.Fatalf("body = %q", got)
	}
	if ginfo.ETag != info.ETag || ginfo.Size != int64(len(body)) || !ginfo.LastModified.Equal(info.LastModified) || ginfo.Recomputed {
		t.Fatalf("info = %+v, put returned %+v", ginfo, info)
	}
	want := meta
	want.User = map[string]string{"build": "42", "owner": "web"}
	if ginfo.ContentType != want.ContentType || ginfo.CacheControl != want.CacheControl ||
		ginfo.ContentEncoding != want.ContentEncoding || ginfo.ContentDisposition != want.ContentDisposition ||
		ginfo.ContentLanguage != want.ContentLanguage || ginfo.Expires != want.Expires ||
		len(ginfo.User) != 2 || ginfo.User["build"] != "42" || ginfo.User["owner"] != "web" {
		t.Fatalf("metadata = %+v, want %+v", ginfo.Metadata, want)
	}
	// The object is a plain file holding exactly the bytes.
	raw, err := os.ReadFile(filepath.Join(s.Root(), "site", "1.0.0", "index.html"))
	if err != nil || string(raw) != body {
		t.Fatalf("file on disk = %q, %v", raw, err)
	}
}

func TestPutGuessesContentType(t *testing.T) {
	s := newStore(t, Options{})
	newBucket(t, s, "site")
	for key, want := range map[string]string{
		"a.css": "text/css; charset=utf-8", "b.JS": "text/javascript; charset=utf-8",
		"c.png": "image/png", "noext": defaultType,
	} {
		if info := put(t, s, "site", key, "x"); info.ContentType != want {
			t.Errorf("%s: ContentType = %q, want %q", key, info.ContentType, want)
		}
	}
}

func TestPutRefusesBadBodies(t *testing.T) {
	s := newStore(t, Options{MaxObjectSize: 10})
	ctx := context.Background()
	newBucket(t, s, "b1b")
	wrong := md5.Sum([]byte("other"))
	tests := []struct {
		name string
		body string
		opts PutOptions
		want error
	}{
		{"wrong Content-MD5", "hello", PutOptions{ContentMD5: base64.StdEncoding.EncodeToString(wrong[:])}, ErrBadDigest},
		{"malformed Content-MD5", "hello", PutOptions{ContentMD5: "not-base64"}, ErrInvalidDigest},
		{"short MD5", "hello", PutOptions{ContentMD5: base64.StdEncoding.EncodeToString([]byte("abc"))}, ErrInvalidDigest},
		{"truncated body", "hel", PutOptions{Size: 5}, ErrIncompleteBody},
		{"declared too large", "hello", PutOptions{Size: 11}, ErrEntityTooLarge},
		{"streamed too large", "hello world!", PutOptions{}, ErrEntityTooLarge},
		{"too much metadata", "x", PutOptions{Metadata: Metadata{User: map[string]string{"k": strings.Repeat("v", 3000)}}}, ErrMetadataTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Put(ctx, "b1b", "k", strings.NewReader(tt.body), tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Put = %v, want %v", err, tt.want)
			}
			if _, err := s.Stat(ctx, "b1b", "k"); !errors.Is(err, ErrNoSuchKey) {
				t.Fatalf("after refused Put, Stat = %v, want ErrNoSuchKey", err)
			}
		})
	}
	if left, _ := os.ReadDir(filepath.Join(s.Root(), tmpDir)); len(left) != 0 {
		t.Fatalf("temporary files left behind: %v", left)
	}
}

func TestPutCancelledContext(t *testing.T) {
	s := newStore(t, Options{})
	newBucket(t, s, "b1b")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Put(ctx, "b1b", "k", strings.NewReader("x"), PutOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put = %v, want context.Canceled", err)
	}
}

func TestObjectErrors(t *testing.T) {
	s := newStore(t, Options{})
	ctx := context.Background()
	newBucket(t, s, "b1b")
	put(t, s, "b1b", "a", "file a")
	put(t, s, "b1b", "d/x", "file d/x")
	tests := []struct {
		name   string
		bucket string
		key    string
		want   error
	}{
		{"missing bucket", "nope", "k", ErrNoSuchBucket},
		{"bad bucket", "Bad", "k", ErrInvalidBucketName},
		{"traversal", "b1b", "../b1b/a", ErrInvalidKey},
		{"file where a directory is needed", "b1b", "a/b", ErrKeyConflict},
		{"folder marker under a file", "b1b", "a/", ErrKeyConflict},
		{"directory where a file is needed", "b1b", "d", ErrKeyConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Put(ctx, tt.bucket, tt.key, strings.NewReader("x"), PutOptions{}); !errors.Is(err, tt.want) {
				t.Fatalf("Put = %v, want %v", err, tt.want)
			}
		})
	}
	for _, key := range []string{"missing", "a/b", "d", "d/", "d/x/y"} {
		if _, _, err := s.Open(ctx, "b1b", key); !errors.Is(err, ErrNoSuchKey) {
			t.Errorf("Open %q = %v, want ErrNoSuchKey", key, err)
		}
	}
	if body, _ := read(t, s, "b1b", "a"); body != "file a" {
		t.Fatalf("refused writes changed a: %q", body)
	}
}

func TestFolderMarkerCoexistsWithChildren(t *testing.T) {
	s := newStore(t, Options{})
	ctx := context.Background()
	newBucket(t, s, "b1b")
	put(t, s, "b1b", "photos/", "")
	put(t, s, "b1b", "photos/a.jpg", "jpeg")
	put(t, s, "b1b", "photos/2024/", "marker with content")
	if body, info := read(t, s, "b1b", "photos/2024/"); body != "marker with content" || info.Key != "photos/2024/" {
		t.Fatalf("marker = %q %+v", body, info)
	}
	res, err := s.List(ctx, "b1b", ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(res); strings.Join(got, ",") != "photos/,photos/2024/,photos/a.jpg" {
		t.Fatalf("List = %v", got)
	}
	if err := s.Delete(ctx, "b1b", "photos/"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, "b1b", "photos/"); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("deleted marker: %v", err)
	}
	if body, _ := read(t, s, "b1b", "photos/a.jpg"); body != "jpeg" {
		t.Fatal("deleting the marker removed a child")
	}
}

func TestDeleteRemovesEmptyDirectories(t *testing.T) {
	s := newStore(t, Options{})
	ctx := context.Background()
	newBucket(t, s, "b1b")
	put(t, s, "b1b", "a/b/c/d.txt", "x")
	put(t, s, "b1b", "a/keep.txt", "y")
	if err := s.Delete(ctx, "b1b", "a/b/c/d.txt"); err != nil {
		t.Fatal(err)
	}
	for _, tree := range []string{"b1b", filepath.Join(metaDir, "b1b")} {
		if _, err := os.Lstat(filepath.Join(s.Root(), tree, "a", "b")); !os.IsNotExist(err) {
			t.Fatalf("%s/a/b still exists: %v", tree, err)
		}
		if _, err := os.Lstat(filepath.Join(s.Root(), tree, "a")); err != nil {
			t.Fatalf("%s/a was removed though not empty: %v", tree, err)
		}
	}
	// Deleting what is not there is not an error, as in S3.
	for _, key := range []string{"a/b/c/d.txt", "never", "a/keep.txt/x", "a"} {
		if err := s.Delete(ctx, "b1b", key); err != nil {
			t.Fatalf("Delete %q = %v", key, err)
		}
	}
	if body, _ := read(t, s, "b1b", "a/keep.txt"); body != "y" {
		t.Fatal("a/keep.txt lost")
	}
	if err := s.Delete(ctx, "nope", "k"); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("Delete in missing bucket = %v", err)
	}
}

func TestDeleteMany(t *testing.T) {
	s := newStore(t, Options{})
	ctx := context.Background()
	newBucket(t, s, "b1b")
	put(t, s, "b1b", "x", "1")
	put(t, s, "b1b", "y/z", "2")
	res, err := s.DeleteMany(ctx, "b1b", []string{"x", "y/z", "missing", "../bad"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 4 || res[0].Err != nil || res[1].Err != nil || res[2].Err != nil || !errors.Is(res[3].Err, ErrInvalidKey) {
		t.Fatalf("DeleteMany = %+v", res)
	}
	if l, _ := s.List(ctx, "b1b", ListOptions{}); len(l.Objects) != 0 {
		t.Fatalf("left: %v", keysOf(l))
	}
}

func TestCopy(t *testing.T) {
	s := newStore(t, Options{})
	ctx := context.Background()
	newBucket(t, s, "src")
	newBucket(t, s, "dst")
	_, err := s.Put(ctx, "src", "a.txt", strings.NewReader("payload"), PutOptions{Metadata: Metadata{
		ContentType: "text/x-custom", User: map[string]string{"v": "1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Copy(ctx, "src", "a.txt", "dst", "b/c.txt", CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if body, got := read(t, s, "dst", "b/c.txt"); body != "payload" || got.ContentType != "text/x-custom" ||
		got.User["v"] != "1" || got.ETag != md5hex("payload") || info.ETag != got.ETag {
		t.Fatalf("copy = %q %+v", body, got)
	}
	if _, err := s.Copy(ctx, "src", "a.txt", "src", "a.txt", CopyOptions{}); !errors.Is(err, ErrInvalidCopy) {
		t.Fatalf("self copy without REPLACE = %v", err)
	}
	if _, err := s.Copy(ctx, "src", "a.txt", "src", "a.txt", CopyOptions{ReplaceMetadata: true, Metadata: Metadata{CacheControl: "no-cache"}}); err != nil {
		t.Fatal(err)
	}
	if body, got := read(t, s, "src", "a.txt"); body != "payload" || got.CacheControl != "no-cache" || got.User != nil || got.ContentType != "text/plain; charset=utf-8" {
		t.Fatalf("self copy with REPLACE = %q %+v", body, got)
	}
	if _, err := s.Copy(ctx, "src", "missing", "dst", "x", CopyOptions{}); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("copy of missing = %v", err)
	}
	if _, err := s.Copy(ctx, "src", "a.txt", "nope", "x", CopyOptions{}); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("copy to missing bucket = %v", err)
	}
}

func TestBuckets(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := newStore(t, Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	if err := s.CreateBucket(ctx, "zeta", BucketOptions{Region: "eu-west-1"}); err != nil {
		t.Fatal(err)
	}
	newBucket(t, s, "alpha")
	if err := s.CreateBucket(ctx, "alpha", BucketOptions{}); !errors.Is(err, ErrBucketExists) {
		t.Fatalf("second create = %v", err)
	}
	if err := s.CreateBucket(ctx, "Bad_Name", BucketOptions{}); !errors.Is(err, ErrInvalidBucketName) {
		t.Fatalf("bad name = %v", err)
	}
	// A directory made by hand is a bucket too.
	if err := os.Mkdir(filepath.Join(s.Root(), "manual"), 0o755); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListBuckets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range list {
		names = append(names, b.Name)
	}
	if strings.Join(names, ",") != "alpha,manual,zeta" {
		t.Fatalf("ListBuckets = %v", names)
	}
	info, err := s.BucketInfo(ctx, "zeta")
	if err != nil || info.Region != "eu-west-1" || !info.Created.Equal(now) {
		t.Fatalf("BucketInfo = %+v, %v", info, err)
	}
	if _, err := s.BucketInfo(ctx, "nope"); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("BucketInfo(nope) = %v", err)
	}

	put(t, s, "alpha", "dir/file", "x")
	if err := s.DeleteBucket(ctx, "alpha"); !errors.Is(err, ErrBucketNotEmpty) {
		t.Fatalf("DeleteBucket non-empty = %v", err)
	}
	if err := s.Delete(ctx, "alpha", "dir/file"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateMultipartUpload(ctx, "alpha", "big", Metadata{}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBucketPolicy(ctx, "alpha", []byte(`{"Statement":[{"Effect":"Allow"}]}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(ctx, "alpha"); err != nil {
		t.Fatalf("DeleteBucket empty = %v", err)
	}
	if err := s.DeleteBucket(ctx, "alpha"); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("DeleteBucket twice = %v", err)
	}
	// Re-creating starts from nothing: no policy, no uploads.
	newBucket(t, s, "alpha")
	if _, err := s.GetBucketPolicy(ctx, "alpha"); !errors.Is(err, ErrNoSuchBucketPolicy) {
		t.Fatalf("policy survived the bucket: %v", err)
	}
	if ups, err := s.ListMultipartUploads(ctx, "alpha", UploadListOptions{}); err != nil || len(ups.Uploads) != 0 {
		t.Fatalf("uploads survived the bucket: %+v %v", ups, err)
	}
}

func TestBucketPolicyStoredVerbatim(t *testing.T) {
	s := newStore(t, Options{})
	ctx := context.Background()
	newBucket(t, s, "b1b")
	if _, err := s.GetBucketPolicy(ctx, "b1b"); !errors.Is(err, ErrNoSuchBucketPolicy) {
		t.Fatalf("Get before Put = %v", err)
	}
	policy := []byte("{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [ {\"Effect\": \"Allow\", \"Principal\": \"*\"} ]\n}\n")
	if err := s.PutBucketPolicy(ctx, "b1b", policy); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetBucketPolicy(ctx, "b1b")
	if err != nil || !bytes.Equal(got, policy) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if err := s.PutBucketPolicy(ctx, "b1b", []byte("{oops")); !errors.Is(err, ErrMalformedPolicy) {
		t.Fatalf("malformed Put = %v", err)
	}
	if got, _ := s.GetBucketPolicy(ctx, "b1b"); !bytes.Equal(got, policy) {
		t.Fatal("a refused policy replaced the stored one")
	}
	if err := s.DeleteBucketPolicy(ctx, "b1b"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucketPolicy(ctx, "b1b"); !errors.Is(err, ErrNoSuchBucketPolicy) {
		t.Fatalf("second delete = %v", err)
	}
	if err := s.PutBucketPolicy(ctx, "nope", policy); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("Put on missing bucket = %v", err)
	}
}

func keysOf(r ListResult) []string {
	var out []string
	for _, o := range r.Objects {
		out = append(out, o.Key)
	}
	return out
}

func mkdirAll(t testing.TB, path string) {
	t.Helper()
	if err := os.MkdirAll(path, 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestConditionalPut(t *testing.T) {
	s := newStore(t, Options{})
	ctx := context.Background()
	newBucket(t, s, "b1b")
	putIf := func(body string, o PutOptions) error {
		_, err := s.Put(ctx, "b1b", "k", strings.NewReader(body), o)
		return err
	}
	if err := putIf("v1", PutOptions{IfMatch: md5hex("x")}); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("If-Match on a missing key = %v", err)
	}
	if err := putIf("v1", PutOptions{IfNoneMatch: "*"}); err != nil {
		t.Fatalf("If-None-Match * on a missing key = %v", err)
	}
	if err := putIf("v2", PutOptions{IfNoneMatch: "*"}); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("If-None-Match * on an existing key = %v", err)
	}
	if err := putIf("v2", PutOptions{IfMatch: md5hex("other")}); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("If-Match with a stale ETag = %v", err)
	}
	if err := putIf("v2", PutOptions{IfMatch: `"` + md5hex("v1") + `"`}); err != nil {
		t.Fatalf("If-Match with the current ETag = %v", err)
	}
	if body, _ := read(t, s, "b1b", "k"); body != "v2" {
		t.Fatalf("body = %q", body)
	}
	if left, _ := os.ReadDir(filepath.Join(s.Root(), tmpDir)); len(left) != 0 {
		t.Fatalf("refused writes left temporary files: %v", left)
	}
	// Of many concurrent create-only writers exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Put(ctx, "b1b", "once", strings.NewReader(fmt.Sprint(i)), PutOptions{IfNoneMatch: "*"})
			if err == nil {
				wins.Add(1)
			} else if !errors.Is(err, ErrPreconditionFailed) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d create-only writers won", wins.Load())
	}
}
