package s3

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/objstore"
)

func FuzzDecodeDelete(f *testing.F) {
	f.Add([]byte(`<Delete><Quiet>true</Quiet><Object><Key>a/b</Key></Object><Object><Key>c</Key></Object></Delete>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeDelete(body)
		if err != nil {
			return
		}
		if len(req.Keys) == 0 || len(req.Keys) > maxDeleteKeys {
			t.Fatalf("decoded %d keys", len(req.Keys))
		}
	})
}

func FuzzDecodeComplete(f *testing.F) {
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part></CompleteMultipartUpload>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		parts, err := decodeComplete(body)
		if err == nil && (len(parts) == 0 || len(parts) > 10000) {
			t.Fatalf("decoded %d parts", len(parts))
		}
	})
}

func FuzzDecodeCreateBucket(f *testing.F) {
	f.Add([]byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, body []byte) {
		decodeCreateBucket(body)
	})
}

// FuzzRequestPath sends requests with arbitrary paths, hosts and methods
// through the handler over a real store and checks that nothing outside the
// store's root, and nothing but buckets and objstore's own directories
// inside it, was ever created.
func FuzzRequestPath(f *testing.F) {
	f.Add("PUT", "localhost", "/site/a/b.txt", "")
	f.Add("PUT", "localhost", "/site/../../outside", "")
	f.Add("PUT", "site.localhost", "/../x", "")
	f.Add("PUT", "localhost", "/site/a\x00b", "")
	f.Add("POST", "localhost", "/site/k", "uploads")
	f.Add("DELETE", "localhost", "/site/", "")
	f.Add("PUT", "..localhost", "/..", "")
	f.Add("GET", "localhost", "/site", "list-type=2&prefix=../")
	f.Add("PUT", "localhost", "/.tmp/x", "")
	f.Add("PUT", "localhost", "/site/"+strings.Repeat("k", 1100), "")

	dir := f.TempDir()
	root := filepath.Join(dir, "root")
	objs, err := objstore.OpenWith(root, objstore.Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	defer objs.Close()
	if err := objs.CreateBucket(context.Background(), "site", objstore.BucketOptions{}); err != nil {
		f.Fatal(err)
	}
	h := New(objs, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx := iam.WithPrincipal(context.Background(), &iam.Principal{Key: iam.Key{Account: "000000000000", UserName: "fuzz", Policies: []iam.Policy{iam.AdminPolicy()}}})

	f.Fuzz(func(t *testing.T, method, host, path, query string) {
		switch method {
		case "GET", "HEAD", "PUT", "POST", "DELETE":
		default:
			method = "PUT"
		}
		r := (&http.Request{Method: method, Host: host, URL: &url.URL{Path: path, RawQuery: query}, Header: http.Header{},
			Body: io.NopCloser(strings.NewReader("x")), ContentLength: 1}).WithContext(ctx)
		h.ServeHTTP(httptest.NewRecorder(), r)

		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Fatalf("%s %s%s created something beside the store root: %v", method, host, path, entries)
		}
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == root {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			top, _, _ := strings.Cut(rel, string(filepath.Separator))
			if !strings.HasPrefix(top, ".") && objstore.ValidateBucketName(top) != nil {
				t.Fatalf("%s %s%s created %q, neither a bucket nor objstore's own", method, host, path, rel)
			}
			if d.Type()&fs.ModeSymlink != 0 {
				t.Fatalf("a symbolic link appeared at %s", rel)
			}
			return nil
		})
	})
}
