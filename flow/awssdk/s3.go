package awssdk

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// s3Op is one S3 operation: where each input member travels and how the
// response becomes the SDK's output shape.
type s3Op struct {
	method string
	object bool              // addressed /{Bucket}/{Key}, else /{Bucket}
	sub    string            // fixed query, e.g. "list-type=2" or "policy"
	query  map[string]string // member -> query parameter
	header map[string]string // member -> request header
	body   string            // member sent as the raw body
	meta   bool              // Metadata (a map) goes out as x-amz-meta-* headers
	result func(rec *recorder) (map[string]any, error)
}

var (
	objectWrite = map[string]string{
		"ContentType": "Content-Type", "CacheControl": "Cache-Control", "ContentEncoding": "Content-Encoding",
		"ContentDisposition": "Content-Disposition", "ContentLanguage": "Content-Language", "Expires": "Expires",
	}
	objectRead = map[string]string{
		"IfMatch": "If-Match", "IfNoneMatch": "If-None-Match", "IfModifiedSince": "If-Modified-Since",
		"IfUnmodifiedSince": "If-Unmodified-Since", "Range": "Range",
	}
)

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// s3Ops are the S3 operations tasks may call.
var s3Ops = map[string]s3Op{
	"GetObject": {method: "GET", object: true, header: objectRead, result: func(rec *recorder) (map[string]any, error) {
		out := objectHeaders(rec)
		// Step Functions returns an object's body as a string.
		out["Body"] = rec.body.String()
		return out, nil
	}},
	"HeadObject": {method: "HEAD", object: true, header: objectRead, result: func(rec *recorder) (map[string]any, error) {
		return objectHeaders(rec), nil
	}},
	"PutObject": {method: "PUT", object: true, body: "Body", meta: true,
		header: merge(objectWrite, map[string]string{"IfMatch": "If-Match", "IfNoneMatch": "If-None-Match", "ContentMD5": "Content-MD5"}),
		result: func(rec *recorder) (map[string]any, error) {
			return map[string]any{"ETag": rec.header.Get("ETag")}, nil
		}},
	"DeleteObject": {method: "DELETE", object: true, result: empty},
	"CopyObject": {method: "PUT", object: true, meta: true,
		header: merge(objectWrite, map[string]string{"CopySource": "X-Amz-Copy-Source", "MetadataDirective": "X-Amz-Metadata-Directive"}),
		result: func(rec *recorder) (map[string]any, error) {
			var r struct {
				ETag         string
				LastModified time.Time
			}
			if err := xml.Unmarshal(rec.body.Bytes(), &r); err != nil {
				return nil, fmt.Errorf("read CopyObjectResult: %w", err)
			}
			return map[string]any{"CopyObjectResult": map[string]any{"ETag": r.ETag, "LastModified": r.LastModified}}, nil
		}},
	"ListObjectsV2": {method: "GET", sub: "list-type=2", result: listResult, query: map[string]string{
		"Prefix": "prefix", "Delimiter": "delimiter", "MaxKeys": "max-keys", "ContinuationToken": "continuation-token",
		"StartAfter": "start-after", "EncodingType": "encoding-type", "FetchOwner": "fetch-owner",
	}},
	"ListBuckets": {method: "GET", result: func(rec *recorder) (map[string]any, error) {
		var r struct {
			Owner   *struct{ ID, DisplayName string }
			Buckets []struct {
				Name         string
				CreationDate time.Time
			} `xml:"Buckets>Bucket"`
		}
		if err := xml.Unmarshal(rec.body.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("read ListAllMyBucketsResult: %w", err)
		}
		buckets := []map[string]any{}
		for _, b := range r.Buckets {
			buckets = append(buckets, map[string]any{"Name": b.Name, "CreationDate": b.CreationDate})
		}
		out := map[string]any{"Buckets": buckets}
		if r.Owner != nil {
			out["Owner"] = r.Owner
		}
		return out, nil
	}},
	"GetBucketPolicy": {method: "GET", sub: "policy", result: func(rec *recorder) (map[string]any, error) {
		return map[string]any{"Policy": rec.body.String()}, nil
	}},
	"PutBucketPolicy": {method: "PUT", sub: "policy", body: "Policy", result: empty},
}

func empty(*recorder) (map[string]any, error) { return map[string]any{}, nil }

// S3Actions lists the aws-sdk:s3 actions served, in lower camel case.
func S3Actions() []string {
	var names []string
	for op := range s3Ops {
		names = append(names, lowerFirst(op))
	}
	sort.Strings(names)
	return names
}

func s3Call(ctx context.Context, h http.Handler, name string, raw json.RawMessage) (json.RawMessage, error) {
	op, ok := s3Ops[name]
	if !ok {
		return nil, runtimeError("edgecd does not serve aws-sdk:s3:%s; served: %s", lowerFirst(name), strings.Join(S3Actions(), ", "))
	}
	p, err := decodeParams(raw, "s3")
	if err != nil {
		return nil, err
	}
	method, target, header, body, err := op.request(p)
	if err != nil {
		return nil, err
	}
	rec, err := serve(ctx, h, method, target, header, body)
	if err != nil {
		var api *APIError
		// A HEAD answer has no body to name the error; the SDKs call a
		// missing object NoSuchKey.
		if name == "HeadObject" && errors.As(err, &api) && api.Status == http.StatusNotFound {
			api.Code = "NoSuchKey"
		}
		return nil, err
	}
	out, err := op.result(rec)
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}

func (op s3Op) request(p params) (method, target string, header http.Header, body []byte, err error) {
	used := map[string]bool{"Bucket": true}
	bucket, ok, err := p.text("s3", "Bucket")
	if err != nil {
		return "", "", nil, nil, err
	}
	if !ok || bucket == "" {
		return "", "", nil, nil, invalid("s3", "the parameter Bucket is required")
	}
	target = "/" + url.PathEscape(bucket)
	if op.object {
		used["Key"] = true
		key, ok, err := p.text("s3", "Key")
		if err != nil {
			return "", "", nil, nil, err
		}
		if !ok || key == "" {
			return "", "", nil, nil, invalid("s3", "the parameter Key is required")
		}
		target += "/" + escapeKey(key)
	}
	q := url.Values{}
	for member, name := range op.query {
		v, ok, err := p.text("s3", member)
		if err != nil {
			return "", "", nil, nil, err
		}
		used[member] = true
		if ok {
			q.Set(name, v)
		}
	}
	rawQuery := op.sub
	if enc := q.Encode(); enc != "" {
		if rawQuery != "" {
			rawQuery += "&"
		}
		rawQuery += enc
	}
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	header = http.Header{}
	for member, name := range op.header {
		v, ok, err := p.text("s3", member)
		if err != nil {
			return "", "", nil, nil, err
		}
		used[member] = true
		if ok {
			header.Set(name, v)
		}
	}
	if op.meta {
		used["Metadata"] = true
		if raw, ok := p["Metadata"]; ok {
			var m map[string]string
			if err := json.Unmarshal(raw, &m); err != nil {
				return "", "", nil, nil, invalid("s3", "Metadata must be an object of strings")
			}
			for k, v := range m {
				header.Set("X-Amz-Meta-"+k, v)
			}
		}
	}
	if op.body != "" {
		used[op.body] = true
		v, _, err := p.text("s3", op.body)
		if err != nil {
			return "", "", nil, nil, err
		}
		body = []byte(v)
	}
	for k := range p {
		if !used[k] {
			return "", "", nil, nil, invalid("s3", fmt.Sprintf("%s is not a parameter of this action", k))
		}
	}
	return op.method, target, header, body, nil
}

// escapeKey escapes each segment of an object key, keeping its slashes.
func escapeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// objectHeaders is the part of GetObject's and HeadObject's output that
// travels in headers.
func objectHeaders(rec *recorder) map[string]any {
	h := rec.header
	out := map[string]any{"Metadata": map[string]string{}}
	for member, name := range map[string]string{
		"ETag": "ETag", "ContentType": "Content-Type", "CacheControl": "Cache-Control", "ContentEncoding": "Content-Encoding",
		"ContentDisposition": "Content-Disposition", "ContentLanguage": "Content-Language", "ContentRange": "Content-Range",
		"AcceptRanges": "Accept-Ranges", "Expires": "Expires",
	} {
		if v := h.Get(name); v != "" {
			out[member] = v
		}
	}
	if v := h.Get("Content-Length"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			out["ContentLength"] = n
		}
	} else if rec.body.Len() > 0 {
		out["ContentLength"] = rec.body.Len()
	}
	if t, err := http.ParseTime(h.Get("Last-Modified")); err == nil {
		out["LastModified"] = t.UTC()
	}
	for k, v := range h {
		if name, ok := strings.CutPrefix(strings.ToLower(k), "x-amz-meta-"); ok && len(v) > 0 {
			out["Metadata"].(map[string]string)[name] = v[0]
		}
	}
	return out
}

func listResult(rec *recorder) (map[string]any, error) {
	var r struct {
		Name                  string `json:",omitempty"`
		Prefix                string
		Delimiter             string `json:",omitempty"`
		MaxKeys               int
		KeyCount              int
		IsTruncated           bool
		ContinuationToken     string `json:",omitempty"`
		NextContinuationToken string `json:",omitempty"`
		StartAfter            string `json:",omitempty"`
		EncodingType          string `json:",omitempty"`
		Contents              []struct {
			Key          string
			LastModified time.Time
			ETag         string
			Size         int64
			StorageClass string
		} `json:",omitempty"`
		CommonPrefixes []struct{ Prefix string } `json:",omitempty"`
	}
	if err := xml.Unmarshal(rec.body.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("read ListBucketResult: %w", err)
	}
	b, _ := json.Marshal(&r)
	var out map[string]any
	err := json.Unmarshal(b, &out)
	return out, err
}
