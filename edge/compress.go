package edge

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Content encodings the edge can produce, in order of preference.
const (
	encBrotli = iota
	encZstd
	encGzip
	numEncodings
	encIdentity = -1
)

var encodingNames = [numEncodings]string{"br", "zstd", "gzip"}

// CloudFront compresses objects between 1,000 bytes and 10,000,000 bytes.
const (
	minCompressSize = 1000
	maxCompressSize = 10_000_000
)

// compressible reports whether a content type is worth compressing.
func compressible(contentType string) bool {
	ct := strings.ToLower(contentType)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = strings.TrimSpace(ct[:i])
	}
	switch {
	case strings.HasPrefix(ct, "text/"):
		return true
	case strings.HasSuffix(ct, "+json"), strings.HasSuffix(ct, "+xml"):
		return true
	}
	switch ct {
	case "application/javascript", "application/json", "application/xml", "application/x-javascript",
		"application/wasm", "image/svg+xml", "application/manifest+json", "font/ttf", "font/otf",
		"application/vnd.ms-fontobject", "image/x-icon", "image/vnd.microsoft.icon":
		return true
	}
	return false
}

// pickEncoding chooses the best encoding the viewer accepts, honouring
// q=0 exclusions; encIdentity when none.
func pickEncoding(acceptEncoding string) int {
	if acceptEncoding == "" {
		return encIdentity
	}
	var ok [numEncodings]bool
	star := false
	for _, part := range strings.Split(acceptEncoding, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		q := 1.0
		if k, v, found := strings.Cut(strings.TrimSpace(params), "="); found && strings.TrimSpace(k) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		if name == "*" {
			star = q > 0
			continue
		}
		for i, n := range encodingNames {
			if n == name {
				ok[i] = q > 0
			}
		}
	}
	for i := range numEncodings {
		if ok[i] {
			return i
		}
	}
	if star {
		return encBrotli
	}
	return encIdentity
}

// encode compresses body with encoding enc.
func encode(enc int, body []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(body) / 3)
	switch enc {
	case encBrotli:
		w := brotli.NewWriterLevel(&buf, 5)
		w.Write(body)
		w.Close()
	case encZstd:
		w, _ := zstd.NewWriter(&buf, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
		w.Write(body)
		w.Close()
	case encGzip:
		w, _ := gzip.NewWriterLevel(&buf, 6)
		w.Write(body)
		w.Close()
	}
	return buf.Bytes()
}

// variant returns the entry's body in encoding enc, building it once.
func (e *entry) variant(enc int) []byte {
	if p := e.variants[enc].Load(); p != nil {
		return *p
	}
	b := encode(enc, e.body)
	e.variants[enc].Store(&b)
	return b
}
