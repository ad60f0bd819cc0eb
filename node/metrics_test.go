package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/edgecd/edgecd/iam"
)

type oneKey iam.Key

func (k oneKey) LookupKey(_ context.Context, id string) (iam.Key, error) {
	if id != k.AccessKeyID {
		return iam.Key{}, &iam.AuthError{Kind: iam.ErrUnknownKey, Msg: "no such key"}
	}
	return iam.Key(k), nil
}

func signedScrape(t *testing.T, service, secret string, at time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, "http://edge.example:8081/metrics", nil)
	sum := sha256.Sum256(nil)
	creds := aws.Credentials{AccessKeyID: "AKIDMETRICS", SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), service, "us-east-1", at); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestScrapeGateOpensToLoopbackTokenOrSignature(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	keys := oneKey{AccessKeyID: "AKIDMETRICS", SecretAccessKey: "secret", UserName: "prom", Account: "123456789012"}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("metrics")) })
	gate := scrapeGate(keys, "s3cr3t-token", func() time.Time { return now }, ok)
	plain := func(remote string, hdr ...string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		r.RemoteAddr = remote
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		return r
	}
	remote := func(r *http.Request) *http.Request { r.RemoteAddr = "203.0.113.9:5555"; return r }
	tests := []struct {
		name string
		req  *http.Request
		want int
	}{
		{"IPv4 loopback", plain("127.0.0.1:4000"), 200},
		{"IPv6 loopback", plain("[::1]:4000"), 200},
		{"IPv4-mapped loopback", plain("[::ffff:127.0.0.1]:4000"), 200},
		{"remote without credentials", plain("203.0.113.9:5555"), 401},
		{"remote private address without credentials", plain("10.1.2.3:5555"), 401},
		{"remote with the token", plain("203.0.113.9:5555", "Authorization", "Bearer s3cr3t-token"), 200},
		{"remote with a wrong token", plain("203.0.113.9:5555", "Authorization", "Bearer guess"), 401},
		{"loopback with a wrong token", plain("127.0.0.1:4000", "Authorization", "Bearer guess"), 401},
		{"remote with basic auth", plain("203.0.113.9:5555", "Authorization", "Basic cHJvbTpwcm9t"), 403},
		{"remote signed with a valid key", remote(signedScrape(t, MetricsService, "secret", now)), 200},
		{"remote signed with a wrong secret", remote(signedScrape(t, MetricsService, "wrong", now)), 403},
		{"remote signed an hour ago", remote(signedScrape(t, MetricsService, "secret", now.Add(-time.Hour))), 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			gate.ServeHTTP(w, tt.req)
			if w.Code != tt.want {
				t.Fatalf("got %d %q, want %d", w.Code, w.Body.String(), tt.want)
			}
			if w.Code == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}

	open := scrapeGate(keys, "", func() time.Time { return now }, ok)
	w := httptest.NewRecorder()
	open.ServeHTTP(w, plain("203.0.113.9:5555", "Authorization", "Bearer "))
	if w.Code != http.StatusUnauthorized {
		t.Errorf("an empty token matched an unset --metrics-token: %d", w.Code)
	}
}

func TestOnlyScrapesReachMetricsOnTheAPIListener(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name string
		req  *http.Request
		want bool
	}{
		{"unsigned GET", httptest.NewRequest(http.MethodGet, "/metrics", nil), true},
		{"unsigned HEAD", httptest.NewRequest(http.MethodHead, "/metrics", nil), true},
		{"signed for edgecd", signedScrape(t, MetricsService, "secret", now), true},
		{"signed for S3: a bucket named metrics", signedScrape(t, "s3", "secret", now), false},
		{"PUT creates a bucket", httptest.NewRequest(http.MethodPut, "/metrics", nil), false},
		{"other path", httptest.NewRequest(http.MethodGet, "/metrics/x", nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isScrape(tt.req); got != tt.want {
				t.Fatalf("isScrape = %v, want %v", got, tt.want)
			}
		})
	}
}
