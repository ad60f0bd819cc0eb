package iam

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// readExact reads the decoded length with io.ReadFull, as a handler that
// trusts Content-Length does; it must still see a bad payload.
func readExact(r interface {
	Read([]byte) (int, error)
}, n int64) error {
	_, err := io.ReadFull(r, make([]byte, n))
	return err
}

func TestPayloadChecks(t *testing.T) {
	tests := []struct {
		name  string
		body  string // sent (signed as-is for S3 style)
		swap  string // body replacing the signed one, if any
		hdr   map[string]string
		exact bool // read with io.ReadFull of the decoded length
		want  error
	}{
		{"altered body, read to EOF", "hello", "HELLO", nil, false, ErrContentSHA256},
		{"altered body, read exactly Content-Length", "hello", "HELLO", nil, true, ErrContentSHA256},
		{"intact body, read exactly Content-Length", "hello", "", nil, true, nil},
		{"unsigned trailer with right crc32", "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n", "", trailerHdr, false, nil},
		{"unsigned trailer with right crc32, read exactly", "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n", "", trailerHdr, true, nil},
		{"unsigned trailer with wrong crc32", "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", "", trailerHdr, false, ErrBadDigest},
		{"unsigned trailer with wrong crc32, read exactly", "5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", "", trailerHdr, true, ErrBadDigest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := signed(t, "PUT", "http://api.local/b/k", "s3", tt.body, tt.hdr, true)
			if tt.swap != "" {
				r.Body = io.NopCloser(strings.NewReader(tt.swap))
			}
			_, err := Verify(context.Background(), r, keys, signTime)
			if err == nil {
				if tt.exact {
					err = readExact(r.Body, r.ContentLength)
				} else {
					err = readAll(r)
				}
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == nil && tt.hdr != nil && r.Trailer.Get("X-Amz-Checksum-Crc32") != "NhCmhg==" {
				t.Errorf("trailer not handed to the handler: %v", r.Trailer)
			}
		})
	}
}

var trailerHdr = map[string]string{"X-Amz-Content-Sha256": StreamingUnsignedTrailer,
	"X-Amz-Decoded-Content-Length": "5", "X-Amz-Trailer": "x-amz-checksum-crc32", "Content-Encoding": "aws-chunked"}

// The last chunk's signature is checked even when the handler reads only
// the decoded length.
func TestCorruptLastChunkReadExactly(t *testing.T) {
	chunks := []string{"hello ", "world"}
	for _, tc := range []struct {
		corrupt int
		want    error
	}{{-1, nil}, {1, ErrSignature}, {2, ErrSignature}} {
		hdr := map[string]string{"X-Amz-Content-Sha256": StreamingSigned, "X-Amz-Decoded-Content-Length": "11", "Content-Encoding": "aws-chunked"}
		r := signed(t, "PUT", "http://api.local/site/k", "s3", "", hdr, true)
		auth := r.Header.Get("Authorization")
		r.Body = io.NopCloser(strings.NewReader(chunked(t, auth[strings.LastIndex(auth, "=")+1:], chunks, tc.corrupt)))
		if _, err := Verify(context.Background(), r, keys, signTime); err != nil {
			t.Fatal(err)
		}
		if err := readExact(r.Body, r.ContentLength); !errors.Is(err, tc.want) {
			t.Errorf("corrupt chunk %d: err = %v, want %v", tc.corrupt, err, tc.want)
		}
	}
}

func TestHeaderValueFolding(t *testing.T) {
	for _, v := range []string{"  a   b   c  ", "a\tb", "a \t  b"} {
		r := signed(t, "POST", "http://api.local/", "ssm", "{}", map[string]string{"X-Amz-Meta-A": v}, false)
		if _, err := Verify(context.Background(), r, keys, signTime); err != nil {
			t.Errorf("%q: %v", v, err)
		}
	}
}

func TestParsePolicyRefusesConditions(t *testing.T) {
	for _, doc := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`,
	} {
		if _, err := ParsePolicy([]byte(doc)); err == nil {
			t.Errorf("accepted %s", doc)
		}
	}
}
