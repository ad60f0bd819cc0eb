package iam

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var (
	testKey  = Key{AccessKeyID: "AKIATESTKEY", SecretAccessKey: "secret/with+chars", Account: "000000000000", UserName: "t", Policies: []Policy{AdminPolicy()}}
	keys     = Keys(testKey)
	signTime = time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
)

func hashOf(body string) string {
	s := sha256.Sum256([]byte(body))
	return hex.EncodeToString(s[:])
}

// signed builds a request signed by aws-sdk-go-v2's signer, the reference.
func signed(t *testing.T, method, url, service, body string, hdr map[string]string, s3Style bool) *http.Request {
	t.Helper()
	r := httptest.NewRequest(method, url, strings.NewReader(body))
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	payload := hashOf(body)
	if s3Style {
		if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
			payload = h
		} else {
			r.Header.Set("X-Amz-Content-Sha256", payload)
		}
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = s3Style })
	creds := aws.Credentials{AccessKeyID: testKey.AccessKeyID, SecretAccessKey: testKey.SecretAccessKey}
	if err := signer.SignHTTP(context.Background(), creds, r, payload, service, "us-east-1", signTime); err != nil {
		t.Fatal(err)
	}
	return r
}

func readAll(r *http.Request) error {
	if r.Body == nil {
		return nil
	}
	_, err := io.ReadAll(r.Body)
	return err
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name string
		req  func(t *testing.T) *http.Request
		now  time.Time
		want error // from Verify or from reading the body
	}{
		{"valid JSON POST", func(t *testing.T) *http.Request {
			return signed(t, "POST", "http://api.local/", "ssm", `{"Name":"/a"}`, map[string]string{"X-Amz-Target": "AmazonSSM.GetParameter", "Content-Type": "application/x-amz-json-1.1"}, false)
		}, signTime, nil},
		{"valid REST GET with query and odd path", func(t *testing.T) *http.Request {
			return signed(t, "GET", "http://api.local/2020-05-31/distribution?Marker=a%20b&MaxItems=10", "cloudfront", "", nil, false)
		}, signTime, nil},
		{"valid S3 PUT with encoded key", func(t *testing.T) *http.Request {
			return signed(t, "PUT", "http://api.local/site/2.0.0/a%20b%2Bc~.txt", "s3", "hello", nil, true)
		}, signTime, nil},
		{"S3 unsigned payload", func(t *testing.T) *http.Request {
			return signed(t, "PUT", "http://api.local/site/k", "s3", "anything", map[string]string{"X-Amz-Content-Sha256": UnsignedPayload}, true)
		}, signTime, nil},
		{"wrong secret", func(t *testing.T) *http.Request {
			r := signed(t, "GET", "http://api.local/2020-05-31/distribution", "cloudfront", "", nil, false)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "Signature=", "Signature=0", 1))
			return r
		}, signTime, ErrSignature},
		{"altered signed header", func(t *testing.T) *http.Request {
			r := signed(t, "POST", "http://api.local/", "ssm", `{}`, map[string]string{"X-Amz-Target": "AmazonSSM.GetParameter"}, false)
			r.Header.Set("X-Amz-Target", "AmazonSSM.DeleteParameter")
			return r
		}, signTime, ErrSignature},
		{"altered JSON body", func(t *testing.T) *http.Request {
			r := signed(t, "POST", "http://api.local/", "ssm", `{"Name":"/a"}`, nil, false)
			r.Body = io.NopCloser(strings.NewReader(`{"Name":"/b"}`))
			return r
		}, signTime, ErrSignature},
		{"altered S3 body", func(t *testing.T) *http.Request {
			r := signed(t, "PUT", "http://api.local/site/k", "s3", "hello", nil, true)
			r.Body = io.NopCloser(strings.NewReader("HELLO"))
			return r
		}, signTime, ErrContentSHA256},
		{"altered query", func(t *testing.T) *http.Request {
			r := signed(t, "GET", "http://api.local/2020-05-31/distribution?MaxItems=10", "cloudfront", "", nil, false)
			r.URL.RawQuery = "MaxItems=11"
			return r
		}, signTime, ErrSignature},
		{"expired date", func(t *testing.T) *http.Request {
			return signed(t, "GET", "http://api.local/2020-05-31/distribution", "cloudfront", "", nil, false)
		}, signTime.Add(16 * time.Minute), ErrExpired},
		{"date from the future", func(t *testing.T) *http.Request {
			return signed(t, "GET", "http://api.local/2020-05-31/distribution", "cloudfront", "", nil, false)
		}, signTime.Add(-16 * time.Minute), ErrExpired},
		{"unknown key", func(t *testing.T) *http.Request {
			r := signed(t, "GET", "http://api.local/2020-05-31/distribution", "cloudfront", "", nil, false)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "AKIATESTKEY", "AKIAOTHER", 1))
			return r
		}, signTime, ErrUnknownKey},
		{"unsigned", func(t *testing.T) *http.Request {
			return httptest.NewRequest("GET", "http://api.local/", nil)
		}, signTime, ErrMissingAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.req(t)
			_, err := Verify(context.Background(), r, keys, tt.now)
			if err == nil {
				err = readAll(r)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyPresigned(t *testing.T) {
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: testKey.AccessKeyID, SecretAccessKey: testKey.SecretAccessKey}
	r := httptest.NewRequest("GET", "http://api.local/site/2.0.0/index.html?X-Amz-Expires=300", nil)
	u, _, err := signer.PresignHTTP(context.Background(), creds, r, UnsignedPayload, "s3", "us-east-1", signTime)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		now  time.Time
		want error
	}{{signTime.Add(time.Minute), nil}, {signTime.Add(6 * time.Minute), ErrExpired}} {
		req := httptest.NewRequest("GET", u, nil)
		if _, err := Verify(context.Background(), req, keys, tc.now); !errors.Is(err, tc.want) {
			t.Fatalf("at %v: err = %v, want %v", tc.now, err, tc.want)
		}
	}
	tampered := httptest.NewRequest("GET", strings.Replace(u, "index.html", "other.html", 1), nil)
	if _, err := Verify(context.Background(), tampered, keys, signTime); !errors.Is(err, ErrSignature) {
		t.Fatalf("tampered presigned URL: %v", err)
	}
}

// chunked builds an aws-chunked body signed the way the S3 clients do,
// computed here independently from the verifier.
func chunked(t *testing.T, seed string, chunks []string, corrupt int) string {
	t.Helper()
	sc := Scope{Date: "20261123", Region: "us-east-1", Service: "s3"}
	key := deriveKey(testKey.SecretAccessKey, sc)
	prev := seed
	var b strings.Builder
	for i, c := range append(chunks, "") {
		sts := strings.Join([]string{"AWS4-HMAC-SHA256-PAYLOAD", signTime.Format(timeFormat), "20261123/us-east-1/s3/aws4_request", prev, hashOf(""), hashOf(c)}, "\n")
		sig := hex.EncodeToString(hmacSHA256(key, []byte(sts)))
		if i == corrupt {
			sig = strings.Repeat("0", 64)
		}
		fmt.Fprintf(&b, "%x;chunk-signature=%s\r\n%s\r\n", len(c), sig, c)
		prev = sig
	}
	return b.String()
}

func TestVerifyStreamingChunks(t *testing.T) {
	chunks := []string{strings.Repeat("a", 70000), "tail"}
	for _, tc := range []struct {
		name    string
		corrupt int
		want    error
	}{{"valid", -1, nil}, {"corrupted second chunk", 1, ErrSignature}, {"corrupted final chunk", 2, ErrSignature}} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{"X-Amz-Content-Sha256": StreamingSigned, "X-Amz-Decoded-Content-Length": "70004", "Content-Encoding": "aws-chunked"}
			r := signed(t, "PUT", "http://api.local/site/big", "s3", "", hdr, true)
			auth := r.Header.Get("Authorization")
			seed := auth[strings.LastIndex(auth, "=")+1:]
			r.Body = io.NopCloser(strings.NewReader(chunked(t, seed, chunks, tc.corrupt)))
			if _, err := Verify(context.Background(), r, keys, signTime); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r.Body)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.want == nil && string(got) != strings.Join(chunks, "") {
				t.Fatalf("decoded %d bytes, want %d", len(got), 70004)
			}
			if r.Header.Get("Content-Encoding") != "" {
				t.Fatal("aws-chunked left in Content-Encoding")
			}
		})
	}
}

func TestPolicyEvaluation(t *testing.T) {
	p, err := ParsePolicy([]byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["states:DescribeStateMachine","states:StartExecution"],"Resource":"arn:aws:states:us-east-1:000000000000:stateMachine:promote"},
		{"Effect":"Allow","Action":"states:DescribeExecution","Resource":"arn:aws:states:us-east-1:000000000000:execution:promote:*"},
		{"Effect":"Allow","Action":"ssm:*","Resource":"*"},
		{"Effect":"Deny","Action":"ssm:DeleteParameter","Resource":"*"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		action, resource string
		want             bool
	}{
		{"states:StartExecution", "arn:aws:states:us-east-1:000000000000:stateMachine:promote", true},
		{"states:StartExecution", "arn:aws:states:us-east-1:000000000000:stateMachine:other", false},
		{"states:DescribeExecution", "arn:aws:states:us-east-1:000000000000:execution:promote:run-1", true},
		{"STATES:describeexecution", "arn:aws:states:us-east-1:000000000000:execution:promote:run-1", true},
		{"ssm:GetParameter", "arn:aws:ssm:us-east-1:000000000000:parameter/svc/x", true},
		{"ssm:DeleteParameter", "arn:aws:ssm:us-east-1:000000000000:parameter/svc/x", false},
		{"cloudfront:GetDistribution", "arn:aws:cloudfront::000000000000:distribution/E1", false},
	}
	for _, tt := range tests {
		if got := Allowed([]Policy{p}, tt.action, tt.resource); got != tt.want {
			t.Errorf("Allowed(%s, %s) = %v, want %v", tt.action, tt.resource, got, tt.want)
		}
	}
	for _, bad := range []string{`{}`, `{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`, `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, `[`} {
		if _, err := ParsePolicy([]byte(bad)); err == nil {
			t.Errorf("ParsePolicy(%s) accepted a bad document", bad)
		}
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIA/20261123/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc", "20261123T080000Z")
	f.Add("AWS4-HMAC-SHA256 Credential=//, SignedHeaders=, Signature=", "")
	f.Fuzz(func(t *testing.T, auth, date string) {
		s, err := parseAuthHeader(auth, date, "")
		if err == nil && (s.scope.AccessKeyID == "" || s.signature == "") {
			t.Fatalf("accepted an authorization without key or signature: %q", auth)
		}
	})
}

func FuzzChunkReader(f *testing.F) {
	f.Add("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n", int64(5))
	f.Add("ffffffffffffffff\r\n", int64(3))
	f.Fuzz(func(t *testing.T, body string, n int64) {
		if n < 0 || n > 1<<20 {
			return
		}
		c := &chunkReader{br: newBufReader(body), closer: io.NopCloser(nil), remaining: n}
		out, err := io.ReadAll(c)
		if err == nil && int64(len(out)) != n {
			t.Fatalf("decoded %d bytes without error, declared %d", len(out), n)
		}
	})
}

func FuzzParsePolicy(f *testing.F) {
	f.Add(`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::site/*"}]}`, "s3:GetObject", "arn:aws:s3:::site/a")
	f.Fuzz(func(t *testing.T, doc, action, resource string) {
		p, err := ParsePolicy([]byte(doc))
		if err != nil {
			return
		}
		Allowed([]Policy{p}, action, resource) // must not panic or hang
	})
}
