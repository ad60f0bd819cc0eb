package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/edgecd/edgecd/store"
)

// CookieName is the session cookie.
const CookieName = "edgecd_console"

// SessionTTL is how long a login lasts.
const SessionTTL = 12 * time.Hour

// Session errors.
var (
	ErrNoSession      = errors.New("not logged in")
	ErrBadSession     = errors.New("the session cookie is not one this console signed")
	ErrSessionExpired = errors.New("the session has expired")
)

// session is what the cookie carries: whose key, until when, and a
// fingerprint of the key's secret (never the secret), so that rotating a
// key's secret ends its sessions.
type session struct {
	KeyID   string `json:"k"`
	Expires int64  `json:"e"` // Unix seconds
	Finger  string `json:"f"`
}

// signer signs and verifies session cookies with an HMAC-SHA256 key.
type signer struct{ key []byte }

// encode returns the cookie value: base64url(JSON) "." base64url(HMAC).
func (s signer) encode(ss session) string {
	body, _ := json.Marshal(ss)
	payload := base64.RawURLEncoding.EncodeToString(body)
	return payload + "." + base64.RawURLEncoding.EncodeToString(s.mac("session", payload))
}

// decode verifies a cookie value and returns its session if it is signed
// by this key and not expired at now. It checks the MAC before it parses
// anything, so a forged value never reaches the JSON decoder.
func (s signer) decode(v string, now time.Time) (session, error) {
	payload, sig, ok := strings.Cut(v, ".")
	if !ok || payload == "" || sig == "" || len(v) > 4096 {
		return session{}, ErrBadSession
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac("session", payload)) {
		return session{}, ErrBadSession
	}
	body, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return session{}, ErrBadSession
	}
	var ss session
	if err := json.Unmarshal(body, &ss); err != nil || ss.KeyID == "" {
		return session{}, ErrBadSession
	}
	if now.Unix() >= ss.Expires {
		return session{}, ErrSessionExpired
	}
	return ss, nil
}

// finger is a short fingerprint of a key's secret, bound to this
// console's signing key so it says nothing about the secret to anyone
// without that key.
func (s signer) finger(secret string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac("finger", secret)[:12])
}

func (s signer) mac(purpose, msg string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose + "\x00" + msg))
	return m.Sum(nil)
}

// SessionKey returns the HMAC key for session cookies, creating it on
// first use. It lives in the store, so sessions survive a restart and
// every node sharing the store accepts the same cookies.
func SessionKey(ctx context.Context, st store.Store) ([]byte, error) {
	key, err := store.Secret(ctx, st, "web.secret", "session-key")
	if err != nil {
		return nil, fmt.Errorf("console session key: %w", err)
	}
	return key, nil
}
