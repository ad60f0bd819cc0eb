package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
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

// testConsole is a console on a real SQLite store with one key, a clock
// the test moves, and no API behind it (for what needs none). open makes
// another Console on the same store, as a restart would.
type testConsole struct {
	t          *testing.T
	db         *sqlite.DB
	id, secret string
	now        time.Time
}

func newTestConsole(t *testing.T) *testConsole {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "edgecd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	id, secret := iam.NewKeyPair()
	if err := (iam.StoreKeys{St: db}).PutKey(ctx, iam.Key{AccessKeyID: id, SecretAccessKey: secret, UserName: "admin", Account: "000000000000"}); err != nil {
		t.Fatal(err)
	}
	return &testConsole{t: t, db: db, id: id, secret: secret, now: time.Unix(1_800_000_000, 0)}
}

func (tc *testConsole) open() *Console {
	key, err := SessionKey(context.Background(), tc.db)
	if err != nil {
		tc.t.Fatal(err)
	}
	c, err := New(Options{Keys: iam.StoreKeys{St: tc.db}, SessionKey: key, Now: func() time.Time { return tc.now },
		AWS: func(context.Context, iam.Key) (aws.Config, error) { return aws.Config{}, errors.New("not used") }})
	if err != nil {
		tc.t.Fatal(err)
	}
	return c
}

func (tc *testConsole) login(c *Console, secret string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/console/api/login", strings.NewReader(`{"accessKeyId":"`+tc.id+`","secretAccessKey":"`+secret+`"}`))
	r.Header.Set(CSRFHeader, "1")
	w := httptest.NewRecorder()
	c.ServeHTTP(w, r)
	return w
}

func get(c *Console, path string, ck *http.Cookie) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.AddCookie(ck)
	w := httptest.NewRecorder()
	c.ServeHTTP(w, r)
	return w
}

// A session ends SessionTTL after login, by the console's clock, and
// survives a restart (a new Console on the same store's key).
func TestSessionExpiresAndSurvivesRestart(t *testing.T) {
	tc := newTestConsole(t)
	c := tc.open()
	w := tc.login(c, tc.secret)
	cookies := w.Result().Cookies()
	if w.Code != 200 || len(cookies) != 1 {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	ck := cookies[0]
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure || ck.Path != "/console/" || strings.Contains(ck.Value, tc.secret) {
		t.Fatalf("cookie %+v: want HttpOnly, SameSite=Strict, not Secure over plain HTTP, path /console/, no secret", ck)
	}
	tc.now = tc.now.Add(SessionTTL - time.Second)
	if got := get(tc.open(), "/console/api/session", ck).Code; got != 200 {
		t.Fatalf("a second before expiry, after a restart: %d", got)
	}
	tc.now = tc.now.Add(time.Second)
	if got := get(c, "/console/api/session", ck).Code; got != 401 {
		t.Fatalf("at expiry: %d, want 401", got)
	}
}

func TestFailedLoginsAreThrottledPerAddress(t *testing.T) {
	tc := newTestConsole(t)
	c := tc.open()
	for i := range maxFailures {
		if w := tc.login(c, "wrong"); w.Code != 401 {
			t.Fatalf("failure %d: %d %s", i+1, w.Code, w.Body)
		}
	}
	if w := tc.login(c, tc.secret); w.Code != 429 || !strings.Contains(w.Body.String(), "TooManyFailedLogins") {
		t.Fatalf("the right secret after %d failures: %d %s, want 429", maxFailures, w.Code, w.Body)
	}
	tc.now = tc.now.Add(failureWindow)
	if w := tc.login(c, tc.secret); w.Code != 200 {
		t.Fatalf("after the window: %d %s", w.Code, w.Body)
	}
	if w := tc.login(c, "wrong"); w.Code != 401 {
		t.Fatalf("a success forgets earlier failures: %d", w.Code)
	}
}

func TestThrottleForgetsAddressesBeyondItsBound(t *testing.T) {
	var th throttle
	now := time.Unix(0, 0)
	for i := range maxTracked + 5 {
		th.fail("10.0.0."+strconv.Itoa(i), now)
	}
	if len(th.fails) > maxTracked {
		t.Fatalf("tracks %d addresses, bound %d", len(th.fails), maxTracked)
	}
}

// On a node without an edge the traffic call says so.
func TestTrafficWithoutAnEdge(t *testing.T) {
	tc := newTestConsole(t)
	c := tc.open()
	ck := tc.login(c, tc.secret).Result().Cookies()[0]
	w := get(c, "/console/api/traffic", ck)
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"edge":false`) || !strings.Contains(w.Body.String(), `"distributions":[]`) {
		t.Fatalf("traffic without an edge: %d %s", w.Code, w.Body)
	}
}

func TestLoginCookieIsSecureOverTLS(t *testing.T) {
	c := &Console{}
	r := httptest.NewRequest(http.MethodPost, "https://console.test/console/api/login", nil)
	if ck := c.cookie(r, "v", 60); !ck.Secure {
		t.Fatal("the cookie of a TLS request is not Secure")
	}
}
