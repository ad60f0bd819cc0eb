package s3

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/edgecd/edgecd/objstore"
)

type contentXML struct {
	Key          string
	LastModified string
	ETag         string
	Size         int64
	StorageClass string
	Owner        *ownerXML `xml:",omitempty"`
}

type prefixXML struct{ Prefix string }

func (c *call) listObjects() error {
	if err := c.authorize("ListBucket", false); err != nil {
		return err
	}
	v2 := c.q.Get("list-type") == "2"
	maxKeys := 1000
	if s := c.q.Get("max-keys"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: max-keys %q must be a non-negative number", errInvalidArgument, s)
		}
		maxKeys = min(n, 1000)
	}
	opts := objstore.ListOptions{Prefix: c.q.Get("prefix"), Delimiter: c.q.Get("delimiter"), MaxKeys: maxKeys}
	token := c.q.Get("continuation-token")
	if v2 {
		opts.StartAfter = c.q.Get("start-after")
		if token != "" {
			b, err := base64.RawURLEncoding.DecodeString(token)
			if err != nil {
				return fmt.Errorf("%w: the continuation token is not valid; use NextContinuationToken from the previous page", errInvalidArgument)
			}
			opts.StartAfter = string(b)
		}
	} else {
		opts.StartAfter = c.q.Get("marker")
	}
	var res objstore.ListResult
	if maxKeys > 0 {
		var err error
		if res, err = c.h.objs.List(c.r.Context(), c.bucket, opts); err != nil {
			return err
		}
	} else if _, err := c.h.objs.BucketInfo(c.r.Context(), c.bucket); err != nil {
		return err
	}
	enc := func(s string) string { return s }
	if c.q.Get("encoding-type") == "url" {
		enc = urlEncode
	}
	out := struct {
		XMLName               xml.Name `xml:"ListBucketResult"`
		NS                    string   `xml:"xmlns,attr"`
		Name                  string
		Prefix                string
		Marker                *string `xml:",omitempty"`
		NextMarker            string  `xml:",omitempty"`
		StartAfter            string  `xml:",omitempty"`
		ContinuationToken     string  `xml:",omitempty"`
		NextContinuationToken string  `xml:",omitempty"`
		KeyCount              *int    `xml:",omitempty"`
		MaxKeys               int
		Delimiter             string `xml:",omitempty"`
		EncodingType          string `xml:",omitempty"`
		IsTruncated           bool
		Contents              []contentXML
		CommonPrefixes        []prefixXML
	}{NS: xmlns, Name: c.bucket, Prefix: enc(opts.Prefix), MaxKeys: maxKeys, Delimiter: enc(opts.Delimiter),
		EncodingType: c.q.Get("encoding-type"), IsTruncated: res.IsTruncated}
	for _, o := range res.Objects {
		ct := contentXML{Key: enc(o.Key), LastModified: s3Time(o.LastModified), ETag: o.QuotedETag(), Size: o.Size, StorageClass: "STANDARD"}
		if !v2 || c.q.Get("fetch-owner") == "true" {
			ct.Owner = &owner
		}
		out.Contents = append(out.Contents, ct)
	}
	for _, p := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, prefixXML{enc(p)})
	}
	if v2 {
		n := len(out.Contents) + len(out.CommonPrefixes)
		out.KeyCount = &n
		out.ContinuationToken = token
		out.StartAfter = enc(c.q.Get("start-after"))
		if res.IsTruncated {
			out.NextContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(res.NextStartAfter))
		}
	} else {
		m := enc(opts.StartAfter)
		out.Marker = &m
		if res.IsTruncated {
			out.NextMarker = enc(res.NextStartAfter)
		}
	}
	return c.write(http.StatusOK, &out)
}

// urlEncode is S3's encoding-type=url: query escaping (space as "+") that
// leaves "/" readable, as S3 does, so prefixes stay recognisable paths.
func urlEncode(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "%2F", "/")
}
