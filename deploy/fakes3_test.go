package deploy

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// fakeS3 is the part of the S3 API a deploy of small files uses (list,
// put, batch delete) over one bucket, counting the objects it stores. It
// stores an object only once its whole body arrived, as S3 does, so a test
// can tell what "landed" before an interruption.
type fakeS3 struct {
	t        *testing.T
	mu       sync.Mutex
	objects  map[string]string // key -> ETag
	bodies   map[string][]byte // key -> content of multipart uploads
	puts     int
	pageSize int
	uploads  int
	parts    map[string]map[int][]byte // upload id -> part number -> body
	failPart int                       // UploadPart of this part number fails
	aborted  int
	// onPut, when set, runs before a PUT is stored (with the lock free).
	onPut func(key string)
	// active counts handlers running, so a test can wait until requests a
	// cancelled client left behind have finished landing (or not).
	active int
	quiet  *sync.Cond // on mu, signalled when active drops to 0
}

func newFakeS3(t *testing.T) (*fakeS3, *s3.Client) {
	f := &fakeS3{t: t, objects: map[string]string{}, bodies: map[string][]byte{}}
	f.quiet = sync.NewCond(&f.mu)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	client := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
	return f, client
}

func (f *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.active++
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		if f.active--; f.active == 0 {
			f.quiet.Broadcast()
		}
		f.mu.Unlock()
	}()
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if bucket != "site" {
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `<Error><Code>NoSuchBucket</Code><Message>no bucket</Message></Error>`)
		return
	}
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodGet && key == "":
		f.list(w, q.Get("prefix"), q.Get("start-after"), q.Get("continuation-token"))
	case r.Method == http.MethodPut && key != "" && !q.Has("uploadId"):
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return // the client went away: nothing lands
		}
		f.mu.Lock()
		hook := f.onPut
		f.mu.Unlock()
		if hook != nil {
			hook(key)
		}
		sum := md5.Sum(body)
		etag := hex.EncodeToString(sum[:])
		f.mu.Lock()
		f.objects[key] = etag
		f.puts++
		f.mu.Unlock()
		w.Header().Set("ETag", `"`+etag+`"`)
	case r.Method == http.MethodPost && q.Has("uploads"):
		f.mu.Lock()
		f.uploads++
		id := strconv.Itoa(f.uploads)
		if f.parts == nil {
			f.parts = map[string]map[int][]byte{}
		}
		f.parts[id] = map[int][]byte{}
		f.mu.Unlock()
		io.WriteString(w, `<InitiateMultipartUploadResult><Bucket>site</Bucket><Key>`+key+`</Key><UploadId>`+id+`</UploadId></InitiateMultipartUploadResult>`)
	case r.Method == http.MethodPut && q.Has("uploadId"):
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		n, _ := strconv.Atoi(q.Get("partNumber"))
		f.mu.Lock()
		if n == f.failPart {
			f.mu.Unlock()
			w.WriteHeader(http.StatusBadRequest) // not retried by the SDK
			io.WriteString(w, `<Error><Code>InvalidRequest</Code><Message>part refused</Message></Error>`)
			return
		}
		up, ok := f.parts[q.Get("uploadId")]
		if ok {
			up[n] = body
		}
		f.mu.Unlock()
		if !ok { // aborted meanwhile: a part the client gave up on arrives late
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `<Error><Code>NoSuchUpload</Code><Message>aborted</Message></Error>`)
			return
		}
		sum := md5.Sum(body)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
	case r.Method == http.MethodPost && q.Has("uploadId"):
		var req struct {
			Part []struct{ PartNumber int }
		}
		if err := xml.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		parts := f.parts[q.Get("uploadId")]
		all := md5.New()
		var whole []byte
		for i, p := range req.Part {
			if p.PartNumber != i+1 || parts[p.PartNumber] == nil {
				f.mu.Unlock()
				http.Error(w, "InvalidPartOrder", http.StatusBadRequest)
				return
			}
			sum := md5.Sum(parts[p.PartNumber])
			all.Write(sum[:])
			whole = append(whole, parts[p.PartNumber]...)
		}
		etag := hex.EncodeToString(all.Sum(nil)) + "-" + strconv.Itoa(len(req.Part))
		f.objects[key] = etag
		f.bodies[key] = whole
		f.puts++
		f.mu.Unlock()
		io.WriteString(w, `<CompleteMultipartUploadResult><Key>`+key+`</Key><ETag>"`+etag+`"</ETag></CompleteMultipartUploadResult>`)
	case r.Method == http.MethodDelete && q.Has("uploadId"):
		f.mu.Lock()
		delete(f.parts, q.Get("uploadId"))
		f.aborted++
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPost && q.Has("delete"):
		var req struct {
			Object []struct{ Key string }
		}
		if err := xml.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		for _, o := range req.Object {
			delete(f.objects, o.Key)
		}
		f.mu.Unlock()
		io.WriteString(w, `<DeleteResult></DeleteResult>`)
	default:
		f.t.Errorf("fake S3: unexpected %s %s", r.Method, r.URL)
		w.WriteHeader(http.StatusNotImplemented)
	}
}

// list answers ListObjectsV2 in pages of pageSize (default 3) keys, so
// paging is used.
func (f *fakeS3) list(w http.ResponseWriter, prefix, startAfter, token string) {
	f.mu.Lock()
	var keys []string
	for k := range f.objects {
		if strings.HasPrefix(k, prefix) && k > startAfter {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	from, _ := strconv.Atoi(token)
	size := f.pageSize
	if size == 0 {
		size = 3
	}
	to := min(from+size, len(keys))
	var b strings.Builder
	b.WriteString(`<ListBucketResult><Name>site</Name>`)
	for _, k := range keys[from:to] {
		b.WriteString(`<Contents><Key>` + k + `</Key><ETag>"` + f.objects[k] + `"</ETag><Size>1</Size></Contents>`)
	}
	if to < len(keys) {
		b.WriteString(`<IsTruncated>true</IsTruncated><NextContinuationToken>` + strconv.Itoa(to) + `</NextContinuationToken>`)
	} else {
		b.WriteString(`<IsTruncated>false</IsTruncated>`)
	}
	f.mu.Unlock()
	b.WriteString(`</ListBucketResult>`)
	io.WriteString(w, b.String())
}

// idle waits until no request is being handled.
func (f *fakeS3) idle() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.active > 0 {
		f.quiet.Wait()
	}
}

func (f *fakeS3) stored() (objects, puts int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.objects), f.puts
}

func (f *fakeS3) resetPuts() {
	f.mu.Lock()
	f.puts = 0
	f.mu.Unlock()
}
