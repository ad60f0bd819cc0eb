package iam

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
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
		r.Body = &hashReader{rc: r.Body, h: sha256.New(), want: payloadHash}
	} else if payloadHash != emptySHA256 {
		return authErr(ErrContentSHA256, "the provided x-amz-content-sha256 header does not match what was computed")
	}
	return nil
}

// hashReader checks the body's SHA-256 when it reaches the end.
type hashReader struct {
	rc   io.ReadCloser
	h    hash.Hash
	want string
}

func (h *hashReader) Read(p []byte) (int, error) {
	n, err := h.rc.Read(p)
	h.h.Write(p[:n])
	if errors.Is(err, io.EOF) && hex.EncodeToString(h.h.Sum(nil)) != h.want {
		return n, authErr(ErrContentSHA256, "the provided x-amz-content-sha256 header does not match what was computed")
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
	if c.chunkHash != nil {
		c.chunkHash.Write(p[:n])
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = authErr(ErrMalformedAuth, "the aws-chunked body ended inside a chunk")
		}
		c.err = err
		return n, err
	}
	if c.chunkLeft == 0 {
		if err := c.endChunk(); err != nil {
			c.err = err
			return n, err
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
		if !strings.Contains(line, ":") {
			return authErr(ErrMalformedAuth, "bad aws-chunked trailer %q", line)
		}
	}
	return fmt.Errorf("%w: too many aws-chunked trailers", ErrMalformedAuth)
}

func newBufReader(s string) *bufio.Reader { return bufio.NewReaderSize(strings.NewReader(s), 64<<10) }
