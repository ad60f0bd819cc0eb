package remote

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	s3api "github.com/edgecd/edgecd/awsapi/s3"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/objstore"
)

const (
	testKeyID  = "AKIAEDGECDREMOTE0001"
	testSecret = "remotetestsecretremotetestsecret00000000"
)

// testKeys holds one administrator key.
var testKeys = iam.Keys(iam.Key{AccessKeyID: testKeyID, SecretAccessKey: testSecret, UserName: "tester", Account: "000000000000",
	Policies: []iam.Policy{iam.AdminPolicy()}})

// seen is one request the origin answered.
type seen struct {
	method, path, ifNoneMatch, query string
	status                           int
}

// origin is edgecd's real S3 API behind SigV4 verification, served in
// process, recording what it answers. hold, when set, makes GETs of objects
// wait for it to close; mangle, when set, rewrites an object body on the
// wire; down, when set, is the status every object GET gets (an origin
// failing).
type origin struct {
	url    string
	client *s3.Client

	mu     sync.Mutex
	log    []seen
	hold   chan struct{}
	mangle func([]byte) []byte
	down   int
}

func newOrigin(t testing.TB) *origin {
	t.Helper()
	objs, err := objstore.OpenWith(t.TempDir(), objstore.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { objs.Close() })
	h := s3api.New(objs, s3api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	o := &origin{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := iam.Verify(r.Context(), r, testKeys, time.Now())
		if err != nil {
			http.Error(w, err.Error(), http.StatusForbidden)
			return
		}
		o.mu.Lock()
		hold, mangle, down := o.hold, o.mangle, o.down
		o.mu.Unlock()
		isObjectGet := objectGet(r.Method, r.URL.Path, r.URL.RawQuery)
		if isObjectGet && down != 0 {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(down)
			fmt.Fprintf(w, "<Error><Code>ServiceUnavailable</Code><Message>the origin is down</Message></Error>")
			o.mu.Lock()
			o.log = append(o.log, seen{r.Method, r.URL.Path, r.Header.Get("If-None-Match"), r.URL.RawQuery, down})
			o.mu.Unlock()
			return
		}
		if isObjectGet && hold != nil {
			<-hold
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		var out http.ResponseWriter = rec
		var buf *bufferedWriter
		if isObjectGet && mangle != nil {
			buf = &bufferedWriter{header: http.Header{}, status: http.StatusOK}
			out = buf
		}
		h.ServeHTTP(out, r.WithContext(iam.WithPrincipal(r.Context(), p)))
		if buf != nil {
			for k, v := range buf.header {
				w.Header()[k] = v
			}
			rec.WriteHeader(buf.status)
			rec.Write(mangle(buf.body.Bytes()))
		}
		o.mu.Lock()
		o.log = append(o.log, seen{r.Method, r.URL.Path, r.Header.Get("If-None-Match"), r.URL.RawQuery, rec.status})
		o.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	o.url = srv.URL
	env(t)
	c, err := NewClient(context.Background(), srv.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	o.client = c
	return o
}

// env points the standard AWS configuration chain at the test key only:
// the machine's own AWS_* settings (an endpoint, FIPS, a CA bundle) are
// unset for the test first.
func env(t testing.TB) {
	dir := t.TempDir()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "") // restores the value after the test
			os.Unsetenv(k)
		}
	}
	t.Setenv("AWS_ACCESS_KEY_ID", testKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", testSecret)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header         { return b.header }
func (b *bufferedWriter) WriteHeader(code int)        { b.status = code }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.body.Write(p) }

// objectGet says whether a request is a GetObject (the SDK adds
// x-id=GetObject to it).
func objectGet(method, path, query string) bool {
	return method == http.MethodGet && strings.Count(strings.Trim(path, "/"), "/") >= 1 && (query == "" || query == "x-id=GetObject")
}

// gets are the object GETs the origin answered, in order.
func (o *origin) gets() []seen {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []seen
	for _, s := range o.log {
		if objectGet(s.method, s.path, s.query) {
			out = append(out, s)
		}
	}
	return out
}

// policyGets counts the GetBucketPolicy requests the origin answered.
func (o *origin) policyGets() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, s := range o.log {
		if s.method == http.MethodGet && (s.query == "policy" || s.query == "policy=" || strings.HasPrefix(s.query, "policy=&")) {
			n++
		}
	}
	return n
}

func (o *origin) mkBucket(t testing.TB, bucket string) {
	t.Helper()
	if _, err := o.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
}

func (o *origin) put(t testing.TB, bucket, key, body string, edit ...func(*s3.PutObjectInput)) {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body), ContentType: aws.String("text/html")}
	for _, e := range edit {
		e(in)
	}
	if _, err := o.client.PutObject(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

func newBuckets(t testing.TB, o *origin, opts Options) *Buckets {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = filepath.Join(t.TempDir(), "origin-cache")
	}
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	b, err := New(o.client, opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// read opens bucket/key through b and returns its bytes.
func read(t *testing.T, b *Buckets, bucket, key string) (string, objstore.ObjectInfo) {
	t.Helper()
	f, info, err := b.Open(context.Background(), bucket, key)
	if err != nil {
		t.Fatalf("Open %s/%s: %v", bucket, key, err)
	}
	defer f.Close()
	body, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(body)) != info.Size {
		t.Fatalf("Open %s/%s: file has %d bytes, info says %d", bucket, key, len(body), info.Size)
	}
	return string(body), info
}
