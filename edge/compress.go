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
// q=0 exclusions; encIdentity when none. It reads the header where it lies
// (a string or the fast path's read buffer) and allocates nothing.
func pickEncoding[T ~string | ~[]byte](acceptEncoding T) int {
	var ok [numEncodings]bool
	star := false
	for rest := acceptEncoding; len(rest) > 0; {
		part := rest
		rest = rest[:0]
		for i := 0; i < len(part); i++ {
			if part[i] == ',' {
				part, rest = part[:i], part[i+1:]
				break
			}
		}
		name, params := part, part[:0]
		for i := 0; i < len(part); i++ {
			if part[i] == ';' {
				name, params = part[:i], part[i+1:]
				break
			}
		}
		name = trimSpace(name)
		q := 1.0
		params = trimSpace(params)
		for i := 0; i < len(params); i++ {
			if params[i] == '=' {
				if k, v := trimSpace(params[:i]), trimSpace(params[i+1:]); len(k) == 1 && k[0] == 'q' {
					if f, err := strconv.ParseFloat(string(v), 64); err == nil {
						q = f
					}
				}
				break
			}
		}
		if len(name) == 1 && name[0] == '*' {
			star = q > 0
			continue
		}
		for i, n := range encodingNames {
			if foldEqual(name, n) {
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

// trimSpace trims what strings.TrimSpace trims in an ASCII header.
func trimSpace[T ~string | ~[]byte](s T) T {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' }
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// foldEqual compares s with lower (lower-case ASCII) ignoring ASCII case.
func foldEqual[T ~string | ~[]byte](s T, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
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
