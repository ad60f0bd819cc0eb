package iam

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Payload hash markers of x-amz-content-sha256.
const (
	UnsignedPayload          = "UNSIGNED-PAYLOAD"
	StreamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	StreamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	StreamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	algorithm                = "AWS4-HMAC-SHA256"
	timeFormat               = "20060102T150405Z"
	// MaxSkew is how far a request's X-Amz-Date may be from now.
	MaxSkew = 15 * time.Minute
)

var emptySHA256 = hex.EncodeToString(sha256.New().Sum(nil))

// Kinds of authentication failure; each service maps them to its codes.
var (
	ErrMissingAuth   = errors.New("missing authentication")
	ErrMalformedAuth = errors.New("malformed authorization")
	ErrUnknownKey    = errors.New("unknown access key")
	ErrSignature     = errors.New("signature does not match")
	ErrExpired       = errors.New("request expired")
	ErrContentSHA256 = errors.New("payload hash mismatch")
	// ErrBadDigest is a wrong trailing checksum (S3: BadDigest); it is also
	// an ErrContentSHA256.
	ErrBadDigest    = fmt.Errorf("checksum mismatch: %w", ErrContentSHA256)
	ErrAccessDenied = errors.New("access denied")
)

// AuthError is an authentication or authorization failure.
type AuthError struct {
	Kind error
	Msg  string
}

func (e *AuthError) Error() string { return e.Msg }
func (e *AuthError) Unwrap() error { return e.Kind }

func authErr(kind error, format string, args ...any) error {
	return &AuthError{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Scope is the credential scope of a signed request.
type Scope struct {
	AccessKeyID, Date, Region, Service string
}

// signature is what a request says about its signing.
type signature struct {
	scope         Scope
	signedHeaders []string
	signature     string
	amzDate       time.Time
	presigned     bool
	expires       time.Duration
}

// ParseScope returns the credential scope of a request without verifying
// anything, so a dispatcher can pick the service (and its error envelope)
// before authentication. ok is false for unsigned requests.
func ParseScope(r *http.Request) (Scope, bool) {
	if s, err := parseSignature(r); err == nil {
		return s.scope, true
	}
	return Scope{}, false
}

func parseSignature(r *http.Request) (*signature, error) {
	if auth := r.Header.Get("Authorization"); auth != "" {
		return parseAuthHeader(auth, r.Header.Get("X-Amz-Date"), r.Header.Get("Date"))
	}
	q := r.URL.Query()
	if q.Get("X-Amz-Algorithm") != "" {
		return parsePresigned(q)
	}
	return nil, authErr(ErrMissingAuth, "the request is not signed: sign it with AWS Signature Version 4 (the aws CLI and SDKs do)")
}

func parseAuthHeader(auth, amzDate, date string) (*signature, error) {
	rest, ok := strings.CutPrefix(auth, algorithm+" ")
	if !ok {
		return nil, authErr(ErrMalformedAuth, "the Authorization header must use %s", algorithm)
	}
	s := &signature{}
	for _, part := range strings.Split(rest, ",") {
		k, v, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return nil, authErr(ErrMalformedAuth, "malformed Authorization header component %q", part)
		}
		switch k {
		case "Credential":
			sc, err := parseCredential(v)
			if err != nil {
				return nil, err
			}
			s.scope = sc
		case "SignedHeaders":
			s.signedHeaders = strings.Split(v, ";")
		case "Signature":
			s.signature = v
		}
	}
	if s.scope.AccessKeyID == "" || len(s.signedHeaders) == 0 || s.signature == "" {
		return nil, authErr(ErrMalformedAuth, "the Authorization header needs Credential, SignedHeaders and Signature")
	}
	if amzDate == "" {
		amzDate = date
	}
	t, err := time.Parse(timeFormat, amzDate)
	if err != nil {
		if t, err = http.ParseTime(amzDate); err != nil {
			return nil, authErr(ErrMalformedAuth, "X-Amz-Date %q is not a date like 20060102T150405Z", amzDate)
		}
	}
	s.amzDate = t.UTC()
	return s, nil
}

func parseCredential(v string) (Scope, error) {
	parts := strings.Split(v, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" {
		return Scope{}, authErr(ErrMalformedAuth, "credential %q must be AKID/yyyymmdd/region/service/aws4_request", v)
	}
	return Scope{AccessKeyID: parts[0], Date: parts[1], Region: parts[2], Service: parts[3]}, nil
}

func parsePresigned(q url.Values) (*signature, error) {
	if q.Get("X-Amz-Algorithm") != algorithm {
		return nil, authErr(ErrMalformedAuth, "X-Amz-Algorithm must be %s", algorithm)
	}
	sc, err := parseCredential(q.Get("X-Amz-Credential"))
	if err != nil {
		return nil, err
	}
	t, err := time.Parse(timeFormat, q.Get("X-Amz-Date"))
	if err != nil {
		return nil, authErr(ErrMalformedAuth, "X-Amz-Date %q is not a date like 20060102T150405Z", q.Get("X-Amz-Date"))
	}
	exp, err := strconv.Atoi(q.Get("X-Amz-Expires"))
	if err != nil || exp < 1 || exp > 604800 {
		return nil, authErr(ErrMalformedAuth, "X-Amz-Expires must be 1 to 604800 seconds")
	}
	s := &signature{scope: sc, signedHeaders: strings.Split(q.Get("X-Amz-SignedHeaders"), ";"), signature: q.Get("X-Amz-Signature"),
		amzDate: t.UTC(), presigned: true, expires: time.Duration(exp) * time.Second}
	if s.signature == "" {
		return nil, authErr(ErrMalformedAuth, "X-Amz-Signature is missing")
	}
	return s, nil
}

// Verify authenticates r against the keys in ks at time now. On success the
// request body is replaced by one that yields the decoded payload and fails
// at its end (with ErrContentSHA256 or ErrSignature) when the payload does
// not match what was signed; handlers must treat a body read error as the
// request's failure.
func Verify(ctx context.Context, r *http.Request, ks KeyStore, now time.Time) (*Principal, error) {
	s, err := parseSignature(r)
	if err != nil {
		return nil, err
	}
	key, err := ks.LookupKey(ctx, s.scope.AccessKeyID)
	if err != nil {
		return nil, err
	}
	if s.presigned {
		if now.After(s.amzDate.Add(s.expires)) {
			return nil, authErr(ErrExpired, "the presigned URL expired at %s", s.amzDate.Add(s.expires).Format(time.RFC3339))
		}
		if s.amzDate.After(now.Add(MaxSkew)) {
			return nil, authErr(ErrExpired, "the presigned URL is dated in the future (%s)", s.amzDate.Format(time.RFC3339))
		}
	} else if d := now.Sub(s.amzDate); d > MaxSkew || d < -MaxSkew {
		return nil, authErr(ErrExpired, "signature expired: the request is dated %s, more than 15 minutes from the server time %s; check the client clock",
			s.amzDate.Format(timeFormat), now.UTC().Format(timeFormat))
	}
	if s.scope.Date != s.amzDate.Format("20060102") {
		return nil, authErr(ErrSignature, "the credential scope date %s does not match X-Amz-Date", s.scope.Date)
	}
	payloadHash, err := payloadHashOf(r, s)
	if err != nil {
		return nil, err
	}
	signingKey := deriveKey(key.SecretAccessKey, s.scope)
	want := hex.EncodeToString(hmacSHA256(signingKey, []byte(stringToSign(s, canonicalRequest(r, s, payloadHash)))))
	if !hmac.Equal([]byte(want), []byte(s.signature)) {
		return nil, authErr(ErrSignature, "the request signature we calculated does not match the signature you provided: check your key and signing method")
	}
	if err := wrapBody(r, s, payloadHash, signingKey); err != nil {
		return nil, err
	}
	return &Principal{Key: key, Scope: s.scope}, nil
}

// payloadHashOf is the hash that goes into the canonical request.
func payloadHashOf(r *http.Request, s *signature) (string, error) {
	if s.presigned {
		if h := r.URL.Query().Get("X-Amz-Content-Sha256"); h != "" {
			return h, nil
		}
		return UnsignedPayload, nil
	}
	if h := r.Header.Get("X-Amz-Content-Sha256"); h != "" {
		return h, nil
	}
	if s.scope.Service == "s3" {
		return "", authErr(ErrMalformedAuth, "missing required header x-amz-content-sha256")
	}
	// Other services sign the body's hash without sending it: hash it here.
	if r.Body == nil || r.Body == http.NoBody {
		return emptySHA256, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20+1))
	if err != nil {
		return "", fmt.Errorf("read body: %w", err)
	}
	if len(body) > 16<<20 {
		return "", authErr(ErrMalformedAuth, "request body larger than 16 MiB")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), nil
}

func canonicalRequest(r *http.Request, s *signature, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	if s.scope.Service == "s3" {
		// S3 signs the path as sent, without normalising or re-encoding.
		b.WriteString(path)
	} else {
		// Every other service signs the sent (encoded) path encoded again.
		b.WriteString(uriEncode(path, false))
	}
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery, s.presigned))
	b.WriteByte('\n')
	for _, h := range s.signedHeaders {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(s.signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

func uriEncode(s string, encodeSlash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func canonicalQuery(raw string, presigned bool) string {
	if raw == "" {
		return ""
	}
	type kv struct{ k, v string }
	var pairs []kv
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		k, v = queryUnescape(k), queryUnescape(v)
		if presigned && k == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, kv{uriEncode(k, true), uriEncode(v, true)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p.k + "=" + p.v
	}
	return strings.Join(out, "&")
}

func queryUnescape(s string) string {
	if u, err := url.QueryUnescape(strings.ReplaceAll(s, "+", "%2B")); err == nil {
		return u
	}
	return s
}

func canonicalHeaderValue(r *http.Request, name string) string {
	if name == "host" {
		return r.Host
	}
	if name == "content-length" && r.ContentLength >= 0 && r.Header.Get("Content-Length") == "" {
		return strconv.FormatInt(r.ContentLength, 10)
	}
	vals := r.Header.Values(name)
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = foldSpaces(v)
	}
	return strings.Join(out, ",")
}

// foldSpaces trims spaces at both ends and collapses runs of spaces, as
// SigV4's Trimall does (and the SDK signers): only ' ', not tabs.
func foldSpaces(v string) string {
	v = strings.Trim(v, " ")
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' && i > 0 && v[i-1] == ' ' {
			continue
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

func stringToSign(s *signature, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return algorithm + "\n" + s.amzDate.Format(timeFormat) + "\n" + scopeString(s.scope) + "\n" + hex.EncodeToString(sum[:])
}

func scopeString(sc Scope) string {
	return sc.Date + "/" + sc.Region + "/" + sc.Service + "/aws4_request"
}

func deriveKey(secret string, sc Scope) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(sc.Date))
	k = hmacSHA256(k, []byte(sc.Region))
	k = hmacSHA256(k, []byte(sc.Service))
	return hmacSHA256(k, []byte("aws4_request"))
}

func hmacSHA256(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}
