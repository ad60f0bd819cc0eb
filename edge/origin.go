package edge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/edgecd/edgecd/objstore"
)

// Buckets reads objects and bucket policies of local buckets;
// *objstore.Store implements it.
type Buckets interface {
	Open(ctx context.Context, bucket, key string) (*os.File, objstore.ObjectInfo, error)
	GetBucketPolicy(ctx context.Context, bucket string) ([]byte, error)
}

// fetched is an origin's answer. Small bodies are read into memory so they
// can be cached; large ones are streamed from file (the caller closes it).
type fetched struct {
	status  int
	header  http.Header
	etag    string // quoted, "" when the origin gave none
	modTime time.Time
	body    []byte
	file    *os.File
	size    int64
}

func (f *fetched) close() {
	if f.file != nil {
		f.file.Close()
	}
}

// errorBody is the S3-style error document an origin miss returns, as
// CloudFront passes S3's through.
func errorBody(code, msg, key string) []byte {
	return fmt.Appendf(nil, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message><Key>%s</Key></Error>\n", code, msg, xmlEscape(key))
}

func xmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;", "'", "&apos;")
	return r.Replace(s)
}

func errorFetch(status int, code, msg, key string) *fetched {
	h := http.Header{}
	h.Set("Content-Type", "application/xml")
	return &fetched{status: status, header: h, body: errorBody(code, msg, key)}
}

// fetchBucket reads path from a local bucket origin for distribution d.
// With EnforceBucketPolicy the bucket's policy must let d read the object,
// as origin access control requires in the cloud; otherwise the origin
// answers 403 AccessDenied, as S3 would.
func (s *Server) fetchBucket(ctx context.Context, d *dist, o *origin, path string) (*fetched, error) {
	key := strings.TrimPrefix(o.path+path, "/")
	if s.opts.EnforceBucketPolicy {
		policy, err := s.buckets.GetBucketPolicy(ctx, o.bucket)
		if err != nil && !errors.Is(err, objstore.ErrNoSuchBucketPolicy) && !errors.Is(err, objstore.ErrNoSuchBucket) {
			return nil, fmt.Errorf("read the policy of bucket %s: %w", o.bucket, err)
		}
		if err != nil || !allowedByBucketPolicy(policy, o.bucket, key, d.arn) {
			return errorFetch(http.StatusForbidden, "AccessDenied", "Access Denied: the bucket policy does not allow "+d.arn, key), nil
		}
	}
	f, info, err := s.buckets.Open(ctx, o.bucket, key)
	switch {
	case errors.Is(err, objstore.ErrNoSuchKey):
		return errorFetch(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", key), nil
	case errors.Is(err, objstore.ErrNoSuchBucket):
		return errorFetch(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist", o.bucket), nil
	case errors.Is(err, objstore.ErrInvalidKey), errors.Is(err, objstore.ErrKeyTooLong), errors.Is(err, objstore.ErrKeyConflict):
		return errorFetch(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.", key), nil
	case err != nil:
		return nil, fmt.Errorf("read s3 origin %s key %q: %w", o.bucket, key, err)
	}
	h := http.Header{}
	ct := info.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	for name, v := range map[string]string{
		"Cache-Control":       info.CacheControl,
		"Content-Encoding":    info.ContentEncoding,
		"Content-Disposition": info.ContentDisposition,
		"Content-Language":    info.ContentLanguage,
		"Expires":             info.Expires,
	} {
		if v != "" {
			h.Set(name, v)
		}
	}
	out := &fetched{status: http.StatusOK, header: h, etag: `"` + info.ETag + `"`, modTime: info.LastModified, size: info.Size}
	if info.Size > s.opts.MaxCachedObject {
		out.file = f
		return out, nil
	}
	defer f.Close()
	out.body = make([]byte, info.Size)
	if _, err := io.ReadFull(f, out.body); err != nil {
		return nil, fmt.Errorf("read s3 origin %s key %q: %w", o.bucket, key, err)
	}
	return out, nil
}

// fetchCustom forwards a GET to a custom HTTP origin.
func (s *Server) fetchCustom(ctx context.Context, o *origin, reqPath, rawPath string) (*fetched, error) {
	u := *o.base
	u.Path = o.path + reqPath
	u.RawPath = ""
	if o.path == "" {
		u.RawPath = rawPath
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "edgecd")
	req.Header.Set("Via", "1.1 "+s.opts.ID+" (edgecd)")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("custom origin %s: %w", o.base.Host, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.opts.MaxCachedObject+1))
	if err != nil {
		return nil, fmt.Errorf("custom origin %s: %w", o.base.Host, err)
	}
	if int64(len(body)) > s.opts.MaxCachedObject {
		return nil, fmt.Errorf("custom origin %s: object larger than %d bytes is not supported", o.base.Host, s.opts.MaxCachedObject)
	}
	h := http.Header{}
	for _, name := range []string{"Content-Type", "Cache-Control", "Content-Encoding", "Content-Disposition", "Content-Language", "Expires"} {
		if v := resp.Header.Get(name); v != "" {
			h.Set(name, v)
		}
	}
	mod, _ := http.ParseTime(resp.Header.Get("Last-Modified"))
	return &fetched{status: resp.StatusCode, header: h, etag: resp.Header.Get("ETag"), modTime: mod, body: body, size: int64(len(body))}, nil
}
