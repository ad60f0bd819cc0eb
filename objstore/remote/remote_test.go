package remote

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/edgecd/edgecd/objstore"
)

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestOpenDownloadsThenRevalidatesWith304(t *testing.T) {
	o := newOrigin(t)
	o.mkBucket(t, "site")
	o.put(t, "site", "index.html", "<h1>v1</h1>", func(in *s3.PutObjectInput) {
		in.CacheControl = aws.String("max-age=60")
		in.Metadata = map[string]string{"release": "1.0.0"}
	})
	b := newBuckets(t, o, Options{})

	body, info := read(t, b, "site", "index.html")
	if body != "<h1>v1</h1>" {
		t.Fatalf("first Open: %q", body)
	}
	want := objstore.ObjectInfo{Bucket: "site", Key: "index.html", Size: 11, ETag: md5hex("<h1>v1</h1>")}
	if info.Bucket != want.Bucket || info.Key != want.Key || info.Size != want.Size || info.ETag != want.ETag {
		t.Errorf("info = %+v, want %+v", info, want)
	}
	if info.ContentType != "text/html" || info.CacheControl != "max-age=60" || info.User["release"] != "1.0.0" || info.LastModified.IsZero() {
		t.Errorf("headers not carried over: %+v", info)
	}

	body2, info2 := read(t, b, "site", "index.html")
	if body2 != body || info2.ETag != info.ETag || info2.ContentType != "text/html" {
		t.Fatalf("second Open: %q %+v", body2, info2)
	}
	gets := o.gets()
	if len(gets) != 2 {
		t.Fatalf("origin saw %d GETs, want 2: %+v", len(gets), gets)
	}
	if gets[0].ifNoneMatch != "" || gets[0].status != http.StatusOK {
		t.Errorf("first GET = %+v, want unconditional 200", gets[0])
	}
	if gets[1].ifNoneMatch != `"`+info.ETag+`"` || gets[1].status != http.StatusNotModified {
		t.Errorf("second GET = %+v, want If-None-Match %q answered 304", gets[1], info.ETag)
	}
}

func TestOpenServesOverwrittenObject(t *testing.T) {
	o := newOrigin(t)
	o.mkBucket(t, "site")
	o.put(t, "site", "index.html", "old")
	b := newBuckets(t, o, Options{})
	if body, _ := read(t, b, "site", "index.html"); body != "old" {
		t.Fatalf("got %q", body)
	}
	o.put(t, "site", "index.html", "the new release")
	body, info := read(t, b, "site", "index.html")
	if body != "the new release" || info.ETag != md5hex("the new release") || info.Size != 15 {
		t.Fatalf("after overwrite: %q %+v", body, info)
	}
	if got := b.CachedBytes(); got != 15 {
		t.Errorf("CachedBytes = %d, want 15 (the old copy replaced)", got)
	}
	if g := o.gets(); g[1].ifNoneMatch == "" || g[1].status != http.StatusOK {
		t.Errorf("revalidation = %+v, want conditional 200", g[1])
	}
}

func TestOpenMissingObjectsGiveObjstoreErrors(t *testing.T) {
	o := newOrigin(t)
	o.mkBucket(t, "site")
	o.put(t, "site", "gone.html", "soon gone")
	b := newBuckets(t, o, Options{})
	read(t, b, "site", "gone.html")
	if _, err := o.client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("site"), Key: aws.String("gone.html")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		bucket, key string
		want        error
	}{
		{"deleted object", "site", "gone.html", objstore.ErrNoSuchKey},
		{"never written", "site", "nope.html", objstore.ErrNoSuchKey},
		{"missing bucket", "nobucket", "index.html", objstore.ErrNoSuchBucket},
		{"empty key", "site", "", objstore.ErrInvalidKey},
		{"key too long", "site", strings.Repeat("k", 1025), objstore.ErrKeyTooLong},
		{"bad bucket name", "Bad_Bucket", "index.html", objstore.ErrInvalidBucketName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, err := b.Open(context.Background(), tt.bucket, tt.key)
			if f != nil {
				f.Close()
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open = %v, want %v", err, tt.want)
			}
		})
	}
	if got := b.CachedBytes(); got != 0 {
		t.Errorf("CachedBytes = %d after the only object was deleted, want 0", got)
	}
}

func TestConcurrentOpensShareOneDownload(t *testing.T) {
	o := newOrigin(t)
	o.mkBucket(t, "site")
	o.put(t, "site", "app.js", "console.log(1)")
	b := newBuckets(t, o, Options{})
	hold := make(chan struct{})
	o.mu.Lock()
	o.hold = hold
	o.mu.Unlock()

	const n = 8
	var wg sync.WaitGroup
	bodies := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			f, _, err := b.Open(context.Background(), "site", "app.js")
			if err != nil {
				errs[i] = err
				return
			}
			defer f.Close()
			got, err := io.ReadAll(f)
			bodies[i], errs[i] = string(got), err
		})
	}
	// Release the origin only once all n share the one request.
	name := cacheName("site", "app.js")
	deadline := time.Now().Add(20 * time.Second)
	for b.fetches.waiting(name) != n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d Opens joined the download", b.fetches.waiting(name), n)
		}
		time.Sleep(time.Millisecond)
	}
	close(hold)
	wg.Wait()
	for i := range n {
		if errs[i] != nil || bodies[i] != "console.log(1)" {
			t.Fatalf("Open %d: %q %v", i, bodies[i], errs[i])
		}
	}
	if g := o.gets(); len(g) != 1 {
		t.Fatalf("origin saw %d GETs for %d concurrent Opens, want 1", len(g), n)
	}
}

func TestEvictionKeepsTotalUnderBound(t *testing.T) {
	o := newOrigin(t)
	o.mkBucket(t, "site")
	body := func(i int) string { return strings.Repeat(string(rune('a'+i)), 1000) }
	for i := range 5 {
		o.put(t, "site", "f"+string(rune('0'+i)), body(i))
	}
	dir := filepath.Join(t.TempDir(), "cache")
	b := newBuckets(t, o, Options{Dir: dir, MaxBytes: 2500})

	// Keep the first file open across its eviction: Linux keeps unlinked
	// files readable, which is why eviction may remove files in use.
	first, _, err := b.Open(context.Background(), "site", "f0")
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	for i := 1; i < 5; i++ {
		read(t, b, "site", "f"+string(rune('0'+i)))
		if got := b.CachedBytes(); got > 2500 {
			t.Fatalf("after %d objects CachedBytes = %d, over the 2500 bound", i+1, got)
		}
	}
	if got := dirBytes(t, dir); got != b.CachedBytes() || got > 2500 {
		t.Fatalf("cache directory holds %d bytes, CachedBytes %d, bound 2500", got, b.CachedBytes())
	}
	if got, err := io.ReadAll(first); err != nil || string(got) != body(0) {
		t.Fatalf("open file after eviction: %d bytes, %v", len(got), err)
	}
	// f4 and f3 are the most recent; f0 was evicted, so it is downloaded
	// again (200), not revalidated.
	before := len(o.gets())
	read(t, b, "site", "f4")
	read(t, b, "site", "f0")
	g := o.gets()[before:]
	if g[0].status != http.StatusNotModified || g[1].ifNoneMatch != "" || g[1].status != http.StatusOK {
		t.Errorf("after eviction: %+v, want f4 304 and f0 an unconditional 200", g)
	}
}

func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, de := range des {
		fi, err := de.Info()
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

func TestObjectLargerThanCacheIsServedUncached(t *testing.T) {
	o := newOrigin(t)
	o.mkBucket(t, "site")
	big := strings.Repeat("x", 5000)
	o.put(t, "site", "big.bin", big)
	dir := filepath.Join(t.TempDir(), "cache")
	b := newBuckets(t, o, Options{Dir: dir, MaxBytes: 1000})
	for range 2 {
		if got, _ := read(t, b, "site", "big.bin"); got != big {
			t.Fatalf("got %d bytes, want %d", len(got), len(big))
		}
	}
	if b.CachedBytes() != 0 || dirBytes(t, dir) != 0 {
		t.Fatalf("an object larger than the cache was kept: %d bytes", dirBytes(t, dir))
	}
}

func TestKeysStayInsideCacheDir(t *testing.T) {
	o := newOrigin(t)
	o.mkBucket(t, "site")
	root := t.TempDir()
	dir := filepath.Join(root, "a", "b", "cache")
	b := newBuckets(t, o, Options{Dir: dir})
	keys := []string{"../../etc/passwd", "../../../x", "a/../../../y", "/abs", "..", "dir/./z", "nul\x00byte", "back\\..\\slash"}
	for _, k := range keys {
		o.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("site"), Key: aws.String(k), Body: strings.NewReader("k=" + k)}) // some the origin refuses
		f, _, err := b.Open(context.Background(), "site", k)
		if err == nil {
			f.Close()
		}
	}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if filepath.Dir(p) != dir || !isCacheName(d.Name()) {
			t.Errorf("file outside the cache or not named by hash: %s", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func FuzzCacheName(f *testing.F) {
	f.Add("site", "../../etc/passwd")
	f.Add("a", "")
	f.Add("b", "x/../../y\x00")
	f.Fuzz(func(t *testing.T, bucket, key string) {
		const dir = "/var/cache/edgecd"
		n := cacheName(bucket, key)
		if p := filepath.Join(dir, n); filepath.Dir(p) != dir || !isCacheName(n) {
			t.Fatalf("cacheName(%q, %q) = %q escapes %s", bucket, key, n, dir)
		}
	})
}

func TestPartialOrCorruptDownloadIsNeverServed(t *testing.T) {
	o := newOrigin(t)
	o.mkBucket(t, "site")
	o.put(t, "site", "index.html", "0123456789")
	dir := filepath.Join(t.TempDir(), "cache")
	b := newBuckets(t, o, Options{Dir: dir})
	tests := []struct {
		name   string
		mangle func([]byte) []byte
	}{
		{"same length, other bytes", func(p []byte) []byte { return bytes.ToUpper(bytes.ReplaceAll(p, []byte("5"), []byte("X"))) }},
		{"truncated body", func(p []byte) []byte { return p[:len(p)/2] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o.mu.Lock()
			o.mangle = tt.mangle
			o.mu.Unlock()
			f, _, err := b.Open(context.Background(), "site", "index.html")
			if err == nil {
				f.Close()
				t.Fatal("Open served a damaged download")
			}
			if b.CachedBytes() != 0 || dirBytes(t, dir) != 0 {
				t.Fatalf("a damaged download was kept (%d bytes)", dirBytes(t, dir))
			}
		})
	}
	o.mu.Lock()
	o.mangle = nil
	o.mu.Unlock()
	if body, _ := read(t, b, "site", "index.html"); body != "0123456789" {
		t.Fatalf("after the origin recovered: %q", body)
	}
}

func TestFailingOriginServesTheCachedCopy(t *testing.T) {
	o := newOrigin(t)
	o.mkBucket(t, "site")
	o.put(t, "site", "index.html", "v1")
	o.put(t, "site", "never-read.html", "x")
	b := newBuckets(t, o, Options{})
	if body, _ := read(t, b, "site", "index.html"); body != "v1" {
		t.Fatalf("got %q", body)
	}
	o.mu.Lock()
	o.down = http.StatusServiceUnavailable
	o.mu.Unlock()
	if body, info := read(t, b, "site", "index.html"); body != "v1" || info.ETag != md5hex("v1") {
		t.Fatalf("with the origin down: %q %+v, want the cached v1", body, info)
	}
	if g := o.gets(); g[len(g)-1].status != http.StatusServiceUnavailable {
		t.Fatalf("the origin was not asked (last GET %+v): the test proves nothing", g[len(g)-1])
	}
	f, _, err := b.Open(context.Background(), "site", "never-read.html")
	if err == nil {
		f.Close()
		t.Fatal("an object never cached was served while the origin is down")
	}
	if errors.Is(err, objstore.ErrNoSuchKey) {
		t.Fatalf("an origin failure reads as a missing key: %v", err)
	}
	o.mu.Lock()
	o.down = 0
	o.mu.Unlock()
	o.put(t, "site", "index.html", "v2")
	if body, _ := read(t, b, "site", "index.html"); body != "v2" {
		t.Fatalf("after the origin recovered: %q", body)
	}
}

func TestContentEncodedObjectIsKeptAsStored(t *testing.T) {
	o := newOrigin(t)
	o.mkBucket(t, "site")
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	io.WriteString(w, strings.Repeat("compress me ", 100))
	w.Close()
	o.put(t, "site", "app.js", gz.String(), func(in *s3.PutObjectInput) { in.ContentEncoding = aws.String("gzip") })
	b := newBuckets(t, o, Options{})
	body, info := read(t, b, "site", "app.js")
	if body != gz.String() || info.ContentEncoding != "gzip" {
		t.Fatalf("got %d bytes (want the %d stored), Content-Encoding %q", len(body), gz.Len(), info.ContentEncoding)
	}
}

func TestNewClearsFilesOfEarlierRun(t *testing.T) {
	o := newOrigin(t)
	dir := t.TempDir()
	stale := filepath.Join(dir, cacheName("site", "old"))
	tmp := filepath.Join(dir, tempPrefix+"123")
	keep := filepath.Join(dir, "README")
	for _, p := range []string{stale, tmp, keep} {
		os.WriteFile(p, []byte("x"), 0o600)
	}
	newBuckets(t, o, Options{Dir: dir})
	for p, want := range map[string]bool{stale: false, tmp: false, keep: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}
