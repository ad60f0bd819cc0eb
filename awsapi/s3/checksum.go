package s3

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"net/http"
	"strings"

	"github.com/edgecd/edgecd/objstore"
)

// S3's additional checksums (x-amz-checksum-<algorithm>): sent as a header
// with the body, or as an aws-chunked trailer named by x-amz-trailer. The
// value is the base64 of the big-endian digest.
var checksums = map[string]func() hash.Hash{
	"crc32":     func() hash.Hash { return crc32.NewIEEE() },
	"crc32c":    func() hash.Hash { return crc32.New(crc32.MakeTable(crc32.Castagnoli)) },
	"crc64nvme": func() hash.Hash { return crc64.New(crc64NVME) },
	"sha1":      sha1.New,
	"sha256":    sha256.New,
}

// crc64NVME is CRC-64/NVME (polynomial 0xad93d23594c93659, reflected).
var crc64NVME = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// checksumReader computes the checksum a request announces while the body
// streams into the store, and fails the read at the end when it does not
// match, so the store discards the write.
type checksumReader struct {
	r      io.Reader
	req    *http.Request
	header string // x-amz-checksum-<alg>
	h      hash.Hash
	sum    string // the computed value, once the body ended
}

// newChecksumReader returns nil when the request announces no checksum.
func newChecksumReader(r *http.Request) (*checksumReader, error) {
	name := ""
	for alg := range checksums {
		if r.Header.Get("X-Amz-Checksum-"+alg) != "" {
			name = alg
		}
	}
	if t := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Amz-Trailer"))); name == "" && t != "" {
		alg, ok := strings.CutPrefix(t, "x-amz-checksum-")
		if _, known := checksums[alg]; !ok || !known {
			return nil, fmt.Errorf("%w: x-amz-trailer %q names no checksum edgecd knows (crc32, crc32c, crc64nvme, sha1, sha256)", errInvalidArgument, t)
		}
		name = alg
	}
	if name == "" {
		return nil, nil
	}
	return &checksumReader{r: r.Body, req: r, header: "x-amz-checksum-" + name, h: checksums[name]()}, nil
}

func (c *checksumReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	if err == io.EOF {
		c.sum = base64.StdEncoding.EncodeToString(c.h.Sum(nil))
		want := c.req.Header.Get(c.header)
		if want == "" && c.req.Trailer != nil {
			want = c.req.Trailer.Get(c.header) // filled in when the body ends
		}
		if want != "" && want != c.sum {
			return n, fmt.Errorf("%w: the %s you specified (%s) does not match the body's (%s)", objstore.ErrBadDigest, c.header, want, c.sum)
		}
	}
	return n, err
}

// checkedBody wraps the request body with checksum verification when the
// request announces one; done sets the response header after a good write.
func checkedBody(r *http.Request) (body io.Reader, done func(http.Header), err error) {
	cr, err := newChecksumReader(r)
	if err != nil || cr == nil {
		return r.Body, func(http.Header) {}, err
	}
	return cr, func(h http.Header) {
		if cr.sum != "" {
			h.Set(cr.header, cr.sum)
		}
	}, nil
}
