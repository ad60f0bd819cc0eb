package iam

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// wrapBody replaces r.Body with a reader of the signed payload that
// verifies it as it is read.
func wrapBody(r *http.Request, s *signature, payloadHash string, signingKey []byte) error {
	switch payloadHash {
	case UnsignedPayload:
		return nil
	case StreamingSigned, StreamingSignedTrailer, StreamingUnsignedTrailer:
		n, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64)
		if err != nil || n < 0 {
			return authErr(ErrMalformedAuth, "a streaming (aws-chunked) upload needs x-amz-decoded-content-length")
		}
		cr := &chunkReader{br: bufio.NewReaderSize(r.Body, 64<<10), closer: r.Body, remaining: n}
		if name := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Amz-Trailer"))); name != "" {
			if r.Trailer == nil {
				r.Trailer = http.Header{}
			}
			cr.trailer, cr.sumName, cr.sum = r.Trailer, name, checksumHash(name)
		}
		if payloadHash != StreamingUnsignedTrailer {
			cr.key, cr.prevSig, cr.scope, cr.date = signingKey, s.signature, scopeString(s.scope), s.amzDate.Format(timeFormat)
		}
		r.Body = cr
		r.ContentLength = n
		r.Header.Set("Content-Length", strconv.FormatInt(n, 10))
		r.Header.Del("X-Amz-Decoded-Content-Length")
		if ce := strings.TrimPrefix(strings.TrimPrefix(r.Header.Get("Content-Encoding"), "aws-chunked"), ","); ce != r.Header.Get("Content-Encoding") {
			if ce = strings.TrimSpace(ce); ce == "" {
				r.Header.Del("Content-Encoding")
			} else {
				r.Header.Set("Content-Encoding", ce)
			}
		}
		return nil
	}
	if len(payloadHash) != 64 {
		return authErr(ErrMalformedAuth, "x-amz-content-sha256 %q is not a SHA-256 hex digest, UNSIGNED-PAYLOAD or a STREAMING-* value", payloadHash)
	}
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = &hashReader{rc: r.Body, h: sha256.New(), want: payloadHash, size: r.ContentLength}
	} else if payloadHash != emptySHA256 {
		return authErr(ErrContentSHA256, "the provided x-amz-content-sha256 header does not match what was computed")
	}
	return nil
}

// hashReader checks the body's SHA-256 when it reaches the end: at EOF, or
// as soon as Content-Length bytes were read, so a handler that reads exactly
// that many bytes (io.ReadFull) still gets the mismatch.
type hashReader struct {
	rc      io.ReadCloser
	h       hash.Hash
	want    string
	size    int64 // Content-Length, or -1 when unknown
	read    int64
	checked bool
	err     error
}

func (h *hashReader) Read(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	n, err := h.rc.Read(p)
	h.h.Write(p[:n])
	h.read += int64(n)
	if !h.checked && (errors.Is(err, io.EOF) || (h.size >= 0 && h.read >= h.size)) {
		h.checked = true
		if hex.EncodeToString(h.h.Sum(nil)) != h.want {
			// The last bytes are withheld (n = 0) because io.ReadFull and
			// io.ReadAtLeast drop an error that comes with enough bytes.
			h.err = authErr(ErrContentSHA256, "the provided x-amz-content-sha256 header does not match what was computed")
			return 0, h.err
		}
	}
	return n, err
}

func (h *hashReader) Close() error { return h.rc.Close() }

// chunkReader decodes aws-chunked bodies:
//
//	<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n ... 0[;chunk-signature=<sig>]\r\n[trailers]\r\n
//
// With a key it verifies each chunk's signature, chained from the seed
// signature of the Authorization header.
type chunkReader struct {
	br        *bufio.Reader
	closer    io.Closer
	remaining int64 // decoded bytes still expected
	chunkLeft int64
	done      bool
	err       error

	key                  []byte
	prevSig, scope, date string
	chunkSig             string
	chunkHash            hash.Hash

	// The trailing checksum named by x-amz-trailer: sum hashes the decoded
	// payload (nil for algorithms not checked here), and the trailers are
	// put into trailer (the request's Trailer) for the handler.
	sumName string
	sum     hash.Hash
	trailer http.Header
}

// checksumHash is the hash of a flexible-checksum trailer, or nil.
func checksumHash(name string) hash.Hash {
	switch name {
	case "x-amz-checksum-crc32":
		return crc32.NewIEEE()
	case "x-amz-checksum-crc32c":
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case "x-amz-checksum-sha1":
		return sha1.New()
	case "x-amz-checksum-sha256":
		return sha256.New()
	}
	return nil
}

const maxChunkHeader = 4096

func (c *chunkReader) Close() error { return c.closer.Close() }

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.chunkLeft == 0 {
		if c.done {
			return 0, io.EOF
		}
		if err := c.nextChunk(); err != nil {
			c.err = err
			return 0, err
		}
		if c.done {
			return 0, io.EOF
		}
	}
	if int64(len(p)) > c.chunkLeft {
		p = p[:c.chunkLeft]
	}
	n, err := c.br.Read(p)
	c.chunkLeft -= int64(n)
	c.remaining -= int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = authErr(ErrMalformedAuth, "the aws-chunked body ended inside a chunk")
		}
		c.err = err
		return n, err
	}
	if c.chunkHash != nil {
		c.chunkHash.Write(p[:n])
	}
	if c.sum != nil {
		c.sum.Write(p[:n])
	}
	if c.chunkLeft == 0 {
		err := c.endChunk()
		if err == nil && c.remaining == 0 {
			// Read the final chunk and trailers now: a handler that reads
			// exactly the decoded length never asks for them.
			err = c.nextChunk()
		}
		if err != nil {
			// n = 0: io.ReadFull would drop an error that comes with the
			// last bytes it asked for.
			c.err = err
			return 0, err
		}
	}
	return n, nil
}

func (c *chunkReader) readLine() (string, error) {
	line, err := c.br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxChunkHeader {
			return "", authErr(ErrMalformedAuth, "an aws-chunked chunk header is too long")
		}
		return "", authErr(ErrMalformedAuth, "the aws-chunked body ended early: %v", err)
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

func (c *chunkReader) nextChunk() error {
	line, err := c.readLine()
	if err != nil {
		return err
	}
	sizeStr, ext, _ := strings.Cut(line, ";")
	size, err := strconv.ParseInt(strings.TrimSpace(sizeStr), 16, 64)
	if err != nil || size < 0 {
		return authErr(ErrMalformedAuth, "bad aws-chunked chunk size %q", sizeStr)
	}
	if size > c.remaining {
		return authErr(ErrMalformedAuth, "the aws-chunked body is longer than x-amz-decoded-content-length")
	}
	if c.key != nil {
		sig, ok := strings.CutPrefix(strings.TrimSpace(ext), "chunk-signature=")
		if !ok {
			return authErr(ErrSignature, "an aws-chunked chunk has no chunk-signature")
		}
		c.chunkSig = sig
		c.chunkHash = sha256.New()
	}
	if size == 0 {
		if err := c.verifyChunk(); err != nil {
			return err
		}
		if c.remaining != 0 {
			return authErr(ErrMalformedAuth, "the aws-chunked body is shorter than x-amz-decoded-content-length")
		}
		c.done = true
		return c.readTrailers()
	}
	c.chunkLeft = size
	return nil
}

func (c *chunkReader) endChunk() error {
	if line, err := c.readLine(); err != nil || line != "" {
		return authErr(ErrMalformedAuth, "an aws-chunked chunk is not followed by CRLF")
	}
	return c.verifyChunk()
}

func (c *chunkReader) verifyChunk() error {
	if c.key == nil {
		return nil
	}
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.date + "\n" + c.scope + "\n" + c.prevSig + "\n" + emptySHA256 + "\n" + hex.EncodeToString(c.chunkHash.Sum(nil))
	want := hex.EncodeToString(hmacSHA256(c.key, []byte(sts)))
	if !hmac.Equal([]byte(want), []byte(c.chunkSig)) {
		return authErr(ErrSignature, "the signature of an aws-chunked chunk does not match")
	}
	c.prevSig = c.chunkSig
	return nil
}

// readTrailers consumes trailing headers (e.g. x-amz-checksum-crc32) up to
// the final empty line.
func (c *chunkReader) readTrailers() error {
	for i := 0; i < 32; i++ {
		line, err := c.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) || strings.Contains(err.Error(), "ended early") {
				return nil // some clients end without the final CRLF
			}
			return err
		}
		if line == "" {
			return nil
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return authErr(ErrMalformedAuth, "bad aws-chunked trailer %q", line)
		}
		name, value = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(value)
		if name == "x-amz-trailer-signature" {
			continue
		}
		if c.trailer != nil {
			c.trailer.Set(name, value)
		}
		if name == c.sumName && c.sum != nil && value != base64.StdEncoding.EncodeToString(c.sum.Sum(nil)) {
			return authErr(ErrBadDigest, "the %s you specified did not match the calculated checksum", strings.ToUpper(strings.TrimPrefix(name, "x-amz-checksum-")))
		}
	}
	return fmt.Errorf("%w: too many aws-chunked trailers", ErrMalformedAuth)
}

func newBufReader(s string) *bufio.Reader { return bufio.NewReaderSize(strings.NewReader(s), 64<<10) }
