package s3

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/objstore"
)

const xmlns = "http://s3.amazonaws.com/doc/2006-03-01/"

// Options configure a Handler.
type Options struct {
	Region string // reported for buckets created without a LocationConstraint
	Logger *slog.Logger
}

// Handler serves the S3 API.
type Handler struct {
	objs *objstore.Store
	opts Options
	log  *slog.Logger
}

// New returns a Handler over objs.
func New(objs *objstore.Store, opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	return &Handler{objs: objs, opts: opts, log: opts.Logger}
}

type call struct {
	h           *Handler
	w           http.ResponseWriter
	r           *http.Request
	q           url.Values
	bucket, key string
}

// split finds bucket and key: virtual-hosted (<bucket>.localhost or
// <bucket>.s3.<...>) or path-style (/bucket/key).
func split(r *http.Request) (bucket, key string) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if b, ok := strings.CutSuffix(host, ".localhost"); ok && b != "" && !strings.Contains(b, ".edgecd") {
		return b, strings.TrimPrefix(r.URL.Path, "/")
	}
	if i := strings.Index(host, ".s3."); i > 0 {
		return host[:i], strings.TrimPrefix(r.URL.Path, "/")
	}
	p := strings.TrimPrefix(r.URL.Path, "/")
	bucket, key, _ = strings.Cut(p, "/")
	return bucket, key
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{h: h, w: w, r: r, q: r.URL.Query()}
	c.bucket, c.key = split(r)
	if err := c.route(); err != nil {
		writeError(w, r, h.log, err)
	}
}

func (c *call) has(k string) bool { _, ok := c.q[k]; return ok }

func (c *call) route() error {
	m := c.r.Method
	switch {
	case c.bucket == "":
		if m == http.MethodGet {
			return c.listBuckets()
		}
	case c.key == "":
		switch {
		case m == http.MethodPut && c.has("policy"):
			return c.putPolicy()
		case m == http.MethodGet && c.has("policy"):
			return c.getPolicy()
		case m == http.MethodDelete && c.has("policy"):
			return c.deletePolicy()
		case m == http.MethodGet && c.has("location"):
			return c.getLocation()
		case m == http.MethodGet && c.has("uploads"):
			return c.listUploads()
		case m == http.MethodGet && (c.has("versioning") || c.has("acl") || c.has("tagging") || c.has("cors") || c.has("website") || c.has("lifecycle") || c.has("encryption")):
			return c.bucketSubresource()
		case m == http.MethodPost && c.has("delete"):
			return c.deleteObjects()
		case m == http.MethodPut:
			return c.createBucket()
		case m == http.MethodHead:
			return c.headBucket()
		case m == http.MethodDelete:
			return c.deleteBucket()
		case m == http.MethodGet:
			return c.listObjects()
		}
	default:
		switch {
		case m == http.MethodPost && c.has("uploads"):
			return c.createUpload()
		case m == http.MethodPost && c.has("uploadId"):
			return c.completeUpload()
		case m == http.MethodPut && c.has("uploadId"):
			return c.uploadPart()
		case m == http.MethodDelete && c.has("uploadId"):
			return c.abortUpload()
		case m == http.MethodGet && c.has("uploadId"):
			return c.listParts()
		case m == http.MethodGet && c.has("tagging"):
			return c.write(http.StatusOK, &struct {
				XMLName xml.Name `xml:"Tagging"`
				TagSet  struct{}
			}{})
		case m == http.MethodPut && c.r.Header.Get("X-Amz-Copy-Source") != "":
			return c.copyObject()
		case m == http.MethodPut:
			return c.putObject()
		case m == http.MethodGet, m == http.MethodHead:
			return c.getObject()
		case m == http.MethodDelete:
			return c.deleteObject()
		}
	}
	return fmt.Errorf("%w: %s %s is not an S3 operation edgecd serves", errMethod, m, c.r.URL.Path)
}

func (c *call) authorize(action string, withKey bool) error {
	if withKey {
		return c.authorizeObject(action, c.bucket, c.key)
	}
	return iam.Authorize(c.r.Context(), "s3:"+action, "arn:aws:s3:::"+c.bucket)
}

// authorizeObject checks action on any object, e.g. a copy source or one
// key of DeleteObjects.
func (c *call) authorizeObject(action, bucket, key string) error {
	return iam.Authorize(c.r.Context(), "s3:"+action, "arn:aws:s3:::"+bucket+"/"+key)
}

func (c *call) write(status int, v any) error {
	body, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	c.w.Header().Set("Content-Type", "application/xml")
	c.w.WriteHeader(status)
	c.w.Write([]byte(xml.Header))
	_, err = c.w.Write(body)
	return err
}

// readBody reads a small request document, refusing one over limit bytes.
func (c *call) readBody(limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(c.r.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w: the XML document is larger than %d bytes", errMalformedXML, limit)
	}
	// DeleteObjects requires Content-MD5 in S3; any document that carries
	// one is checked, so a corrupted key list deletes nothing.
	if want := c.r.Header.Get("Content-MD5"); want != "" {
		sum, err := base64.StdEncoding.DecodeString(want)
		if err != nil || len(sum) != md5.Size {
			return nil, fmt.Errorf("%w: Content-MD5 %q is not a base64 MD5 digest", objstore.ErrInvalidDigest, want)
		}
		if got := md5.Sum(body); !bytes.Equal(got[:], sum) {
			return nil, fmt.Errorf("%w: the Content-MD5 you specified did not match what we received", objstore.ErrBadDigest)
		}
	}
	return body, nil
}

func s3Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
