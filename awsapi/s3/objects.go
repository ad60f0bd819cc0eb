package s3

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/edgecd/edgecd/objstore"
)

// metadataFrom reads the object headers a PUT carries.
func metadataFrom(h http.Header) objstore.Metadata {
	m := objstore.Metadata{
		ContentType:        h.Get("Content-Type"),
		CacheControl:       h.Get("Cache-Control"),
		ContentEncoding:    h.Get("Content-Encoding"),
		ContentDisposition: h.Get("Content-Disposition"),
		ContentLanguage:    h.Get("Content-Language"),
		Expires:            h.Get("Expires"),
	}
	for k, v := range h {
		if name, ok := strings.CutPrefix(strings.ToLower(k), "x-amz-meta-"); ok && len(v) > 0 {
			if m.User == nil {
				m.User = map[string]string{}
			}
			m.User[name] = v[0]
		}
	}
	return m
}

func (c *call) putObject() error {
	if err := c.authorize("PutObject", true); err != nil {
		return err
	}
	size := max(c.r.ContentLength, 0)
	body, done, err := checkedBody(c.r)
	if err != nil {
		return err
	}
	info, err := c.h.objs.Put(c.r.Context(), c.bucket, c.key, body, objstore.PutOptions{
		Size:        size,
		ContentMD5:  c.r.Header.Get("Content-MD5"),
		IfNoneMatch: c.r.Header.Get("If-None-Match"),
		IfMatch:     c.r.Header.Get("If-Match"),
		Metadata:    metadataFrom(c.r.Header),
	})
	if err != nil {
		return err
	}
	c.w.Header().Set("ETag", info.QuotedETag())
	done(c.w.Header())
	c.w.WriteHeader(http.StatusOK)
	return nil
}

func setObjectHeaders(h http.Header, info objstore.ObjectInfo) {
	h.Set("ETag", info.QuotedETag())
	ct := info.ContentType
	if ct == "" {
		ct = "binary/octet-stream"
	}
	h.Set("Content-Type", ct)
	for name, v := range map[string]string{"Cache-Control": info.CacheControl, "Content-Encoding": info.ContentEncoding,
		"Content-Disposition": info.ContentDisposition, "Content-Language": info.ContentLanguage, "Expires": info.Expires} {
		if v != "" {
			h.Set(name, v)
		}
	}
	for k, v := range info.User {
		h.Set("X-Amz-Meta-"+k, v)
	}
	if info.PartsCount > 0 {
		h.Set("X-Amz-Mp-Parts-Count", strconv.Itoa(info.PartsCount))
	}
}

func (c *call) getObject() error {
	if err := c.authorize("GetObject", true); err != nil {
		return err
	}
	f, info, err := c.h.objs.Open(c.r.Context(), c.bucket, c.key)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := checkGet(c.r.Header, info); err != nil {
		return err
	}
	setObjectHeaders(c.w.Header(), info)
	// response-* query parameters override headers, as S3 allows.
	for q, h := range map[string]string{"response-content-type": "Content-Type", "response-cache-control": "Cache-Control",
		"response-content-disposition": "Content-Disposition", "response-content-encoding": "Content-Encoding",
		"response-content-language": "Content-Language", "response-expires": "Expires"} {
		if v := c.q.Get(q); v != "" {
			c.w.Header().Set(h, v)
		}
	}
	http.ServeContent(c.w, c.r, "", info.LastModified, f)
	return nil
}

func (c *call) deleteObject() error {
	if err := c.authorize("DeleteObject", true); err != nil {
		return err
	}
	if err := c.h.objs.Delete(c.r.Context(), c.bucket, c.key); err != nil && !errors.Is(err, objstore.ErrNoSuchKey) {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (c *call) deleteObjects() error {
	// Authorized per key below, as S3 does (s3:DeleteObject on each object).
	body, err := c.readBody(2 << 20)
	if err != nil {
		return err
	}
	req, err := decodeDelete(body)
	if err != nil {
		return err
	}
	type deleted struct{ Key string }
	type failed struct{ Key, Code, Message string }
	out := struct {
		XMLName xml.Name  `xml:"DeleteResult"`
		NS      string    `xml:"xmlns,attr"`
		Deleted []deleted `xml:"Deleted"`
		Error   []failed  `xml:"Error"`
	}{NS: xmlns}
	keys := make([]string, 0, len(req.Keys))
	for _, k := range req.Keys {
		if err := c.authorizeObject("DeleteObject", c.bucket, k); err != nil {
			out.Error = append(out.Error, failed{k, "AccessDenied", err.Error()})
			continue
		}
		keys = append(keys, k)
	}
	results, err := c.h.objs.DeleteMany(c.r.Context(), c.bucket, keys)
	if err != nil {
		return err
	}
	for _, r := range results {
		switch {
		case r.Err == nil || errors.Is(r.Err, objstore.ErrNoSuchKey):
			if !req.Quiet {
				out.Deleted = append(out.Deleted, deleted{r.Key})
			}
		default:
			code := "InternalError"
			for _, m := range errorCodes {
				if errors.Is(r.Err, m.err) {
					code = m.code
					break
				}
			}
			out.Error = append(out.Error, failed{r.Key, code, r.Err.Error()})
		}
	}
	return c.write(http.StatusOK, &out)
}

// copySource parses x-amz-copy-source: "bucket/key" or "/bucket/key",
// URL-encoded.
func (c *call) copySource() (string, string, error) {
	src, err := url.PathUnescape(c.r.Header.Get("X-Amz-Copy-Source"))
	if err != nil {
		return "", "", fmt.Errorf("%w: x-amz-copy-source is not URL-encoded correctly", errInvalidArgument)
	}
	src, _, _ = strings.Cut(strings.TrimPrefix(src, "/"), "?versionId=")
	b, k, ok := strings.Cut(src, "/")
	if !ok || b == "" || k == "" {
		return "", "", fmt.Errorf("%w: x-amz-copy-source must be bucket/key", errInvalidArgument)
	}
	return b, k, nil
}

func (c *call) copyObject() error {
	if err := c.authorize("PutObject", true); err != nil {
		return err
	}
	sb, sk, err := c.copySource()
	if err != nil {
		return err
	}
	if err := c.authorizeObject("GetObject", sb, sk); err != nil {
		return err
	}
	opts := objstore.CopyOptions{}
	if strings.EqualFold(c.r.Header.Get("X-Amz-Metadata-Directive"), "REPLACE") {
		opts.ReplaceMetadata, opts.Metadata = true, metadataFrom(c.r.Header)
	}
	info, err := c.h.objs.Copy(c.r.Context(), sb, sk, c.bucket, c.key, opts)
	if err != nil {
		return err
	}
	return c.write(http.StatusOK, &struct {
		XMLName      xml.Name `xml:"CopyObjectResult"`
		NS           string   `xml:"xmlns,attr"`
		LastModified string
		ETag         string
	}{NS: xmlns, LastModified: s3Time(info.LastModified), ETag: info.QuotedETag()})
}
