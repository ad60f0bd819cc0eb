package web

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/edgecd/edgecd/edge"
	"github.com/edgecd/edgecd/iam"
)

// Path is where the console is mounted on the API listener.
const Path = "/console/"

// CSRFHeader must be sent (with value "1") on every state-changing call.
// A cross-site form or image cannot set a custom header, and a cross-site
// script cannot without a CORS preflight, which the console never grants;
// it backs up the cookie's SameSite=Strict.
const CSRFHeader = "X-Edgecd-Console"

//go:embed static
var static embed.FS

// Options connect the console to a node.
type Options struct {
	// Keys looks up access keys: at login, and on every call, so a
	// deleted key logs its sessions out at once.
	Keys iam.KeyStore
	// SessionKey signs the session cookies (see SessionKey); at least 32
	// bytes.
	SessionKey []byte
	// AWS returns the SDK configuration for this node's own API, signed
	// with key: every call the console makes goes through it.
	AWS func(ctx context.Context, key iam.Key) (aws.Config, error)
	// Traffic reads the local edge's cumulative counters; nil on a node
	// without an edge.
	Traffic func() []edge.DistTraffic
	// Account names distributions in ARNs (for the traffic panel's
	// authorization).
	Account string
	Now     func() time.Time
	Logger  *slog.Logger
}

// Console serves the page and its JSON API.
type Console struct {
	opt  Options
	sign signer
	mux  *http.ServeMux
	log  *slog.Logger
	// failed counts failed logins per client address.
	failed throttle
}

// New returns the console handler for requests under Path.
func New(opt Options) (*Console, error) {
	if len(opt.SessionKey) < 32 {
		return nil, errors.New("the console session key must have at least 32 bytes")
	}
	if opt.Keys == nil || opt.AWS == nil {
		return nil, errors.New("the console needs Keys and AWS")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	c := &Console{opt: opt, sign: signer{key: opt.SessionKey}, mux: http.NewServeMux(), log: opt.Logger}
	assets, _ := fs.Sub(static, "static")
	c.mux.Handle("/console/", http.StripPrefix("/console/", http.FileServerFS(assets)))
	c.mux.HandleFunc("/console/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &apiError{status: http.StatusNotFound, code: "NotFound", msg: "no console API at " + r.URL.Path})
	})
	c.routes()
	return c, nil
}

func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	if r.URL.Path == "/console" {
		http.Redirect(w, r, Path, http.StatusMovedPermanently)
		return
	}
	c.mux.ServeHTTP(w, r)
}

// handlerFunc is a console API handler: it returns the JSON answer or an
// error, which writeError turns into {"error": {...}}.
type handlerFunc func(r *http.Request) (any, error)

// open serves a call that needs no session (login, logout).
func (c *Console) open(method string, fn handlerFunc) http.Handler {
	return c.guard(method, false, fn)
}

// authed serves a call that needs a session; the request's context
// carries the key's principal (iam.PrincipalFrom).
func (c *Console) authed(method string, fn handlerFunc) http.Handler {
	return c.guard(method, true, fn)
}

func (c *Console) guard(method string, needSession bool, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != method {
			w.Header().Set("Allow", method)
			writeError(w, &apiError{status: http.StatusMethodNotAllowed, code: "MethodNotAllowed", msg: fmt.Sprintf("%s %s: use %s", r.Method, r.URL.Path, method)})
			return
		}
		if method != http.MethodGet {
			if err := checkCSRF(r); err != nil {
				writeError(w, err)
				return
			}
		}
		if needSession {
			k, err := c.sessionKey(r)
			if err != nil {
				writeError(w, err)
				return
			}
			r = r.WithContext(iam.WithPrincipal(r.Context(), &iam.Principal{Key: k}))
		}
		out, err := fn(r)
		if err != nil {
			writeError(w, err)
			return
		}
		if rw, ok := out.(responder); ok {
			rw.respond(w)
			return
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// responder is an answer that writes itself (login sets a cookie).
type responder interface{ respond(w http.ResponseWriter) }

// checkCSRF refuses a state-changing call without the console's header,
// or sent from a page of another origin.
func checkCSRF(r *http.Request) error {
	if r.Header.Get(CSRFHeader) != "1" {
		return &apiError{status: http.StatusForbidden, code: "CSRFCheckFailed", msg: "state-changing console calls must send the header " + CSRFHeader + ": 1"}
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return &apiError{status: http.StatusForbidden, code: "CSRFCheckFailed", msg: "the request comes from another origin (" + o + ")"}
		}
	}
	return nil
}

// sessionKey returns the key of the request's session, re-read from the
// store: a deleted key, or one whose secret changed, has no session.
func (c *Console) sessionKey(r *http.Request) (iam.Key, error) {
	ck, err := r.Cookie(CookieName)
	if err != nil {
		return iam.Key{}, unauthorized(ErrNoSession)
	}
	ss, err := c.sign.decode(ck.Value, c.opt.Now())
	if err != nil {
		return iam.Key{}, unauthorized(err)
	}
	k, err := c.opt.Keys.LookupKey(r.Context(), ss.KeyID)
	if errors.Is(err, iam.ErrUnknownKey) {
		return iam.Key{}, unauthorized(errors.New("the access key of this session no longer exists"))
	}
	if err != nil {
		return iam.Key{}, fmt.Errorf("look up the session's key: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(c.sign.finger(k.SecretAccessKey)), []byte(ss.Finger)) != 1 {
		return iam.Key{}, unauthorized(errors.New("the secret of this session's access key has changed"))
	}
	return k, nil
}

// maxBody bounds a console request body.
const maxBody = 64 << 10

// decodeBody reads a JSON request body into v.
func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return badRequest("read the request body: " + err.Error())
	}
	if len(b) > maxBody {
		return badRequest(fmt.Sprintf("the request body is larger than %d bytes", maxBody))
	}
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return badRequest("the request body is not the JSON this call takes: " + err.Error())
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
