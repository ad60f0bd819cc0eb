package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/store/sqlite"
)

func TestCheckCSRF(t *testing.T) {
	tests := []struct {
		name           string
		header, origin string
		ok             bool
	}{
		{"header, no Origin (same-origin fetch may omit it)", "1", "", true},
		{"header and same Origin", "1", "http://console.test", true},
		{"no header", "", "", false},
		{"wrong header value", "yes", "", false},
		{"header from another origin", "1", "http://evil.test", false},
		{"header with an unparsable Origin", "1", "http://[::1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "http://console.test/console/api/logout", nil)
			if tt.header != "" {
				r.Header.Set(CSRFHeader, tt.header)
			}
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			err := checkCSRF(r)
			if (err == nil) != tt.ok {
				t.Fatalf("checkCSRF = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && asAPIError(err).status != http.StatusForbidden {
				t.Fatalf("status %d, want 403", asAPIError(err).status)
			}
		})
	}
}

// A session ends SessionTTL after login, by the console's clock, and
// survives a restart (a new Console on the same store's key).
func TestSessionExpiresAndSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "edgecd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys := iam.StoreKeys{St: db}
	id, secret := iam.NewKeyPair()
	if err := keys.PutKey(ctx, iam.Key{AccessKeyID: id, SecretAccessKey: secret, UserName: "admin", Account: "000000000000"}); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	open := func() *Console {
		key, err := SessionKey(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(Options{Keys: keys, SessionKey: key, Now: clock,
			AWS: func(context.Context, iam.Key) (aws.Config, error) { return aws.Config{}, errors.New("not used") }})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := open()
	r := httptest.NewRequest(http.MethodPost, "/console/api/login", strings.NewReader(`{"accessKeyId":"`+id+`","secretAccessKey":"`+secret+`"}`))
	r.Header.Set(CSRFHeader, "1")
	w := httptest.NewRecorder()
	c.ServeHTTP(w, r)
	cookies := w.Result().Cookies()
	if w.Code != 200 || len(cookies) != 1 {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	ck := cookies[0]
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure || ck.Path != "/console/" || strings.Contains(ck.Value, secret) {
		t.Fatalf("cookie %+v: want HttpOnly, SameSite=Strict, not Secure over plain HTTP, path /console/, no secret", ck)
	}
	whoami := func(c *Console) int {
		r := httptest.NewRequest(http.MethodGet, "/console/api/session", nil)
		r.AddCookie(ck)
		w := httptest.NewRecorder()
		c.ServeHTTP(w, r)
		return w.Code
	}
	now = now.Add(SessionTTL - time.Second)
	if got := whoami(open()); got != 200 {
		t.Fatalf("a second before expiry, after a restart: %d", got)
	}
	now = now.Add(time.Second)
	if got := whoami(c); got != 401 {
		t.Fatalf("at expiry: %d, want 401", got)
	}
}

func TestLoginCookieIsSecureOverTLS(t *testing.T) {
	c := &Console{}
	r := httptest.NewRequest(http.MethodPost, "https://console.test/console/api/login", nil)
	if ck := c.cookie(r, "v", 60); !ck.Secure {
		t.Fatal("the cookie of a TLS request is not Secure")
	}
}
