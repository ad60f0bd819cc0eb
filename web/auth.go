package web

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/edgecd/edgecd/iam"
)

// errBadLogin is the one answer to a wrong key id or a wrong secret, so a
// caller cannot tell which key ids exist.
var errBadLogin = &apiError{status: http.StatusUnauthorized, code: "InvalidCredentials",
	msg: "the access key id or the secret access key is wrong", hint: "use the keys `edgecd up` printed (they are in up.json in its data directory)"}

type loginRequest struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

// sessionInfo is who is logged in, as the page shows it.
type sessionInfo struct {
	AccessKeyID string `json:"accessKeyId"`
	User        string `json:"user"`
	ARN         string `json:"arn"`
	Expires     int64  `json:"expires,omitempty"` // Unix ms
	Edge        bool   `json:"edge"`              // the node has a local edge (traffic panel)
}

func (c *Console) login(r *http.Request) (any, error) {
	var in loginRequest
	if err := decodeBody(r, &in); err != nil {
		return nil, err
	}
	in.AccessKeyID = strings.TrimSpace(in.AccessKeyID)
	if in.AccessKeyID == "" || in.SecretAccessKey == "" {
		return nil, badRequest("give the access key id and the secret access key")
	}
	addr := clientAddr(r)
	if err := c.failed.check(addr, c.opt.Now()); err != nil {
		c.log.Warn("console login refused", "accessKeyId", in.AccessKeyID, "from", addr, "why", "too many failures")
		return nil, err
	}
	k, err := c.opt.Keys.LookupKey(r.Context(), in.AccessKeyID)
	if errors.Is(err, iam.ErrUnknownKey) {
		c.failed.fail(addr, c.opt.Now())
		c.log.Warn("console login refused", "accessKeyId", in.AccessKeyID, "from", addr, "why", "unknown key")
		return nil, errBadLogin
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(k.SecretAccessKey), []byte(in.SecretAccessKey)) != 1 {
		c.failed.fail(addr, c.opt.Now())
		c.log.Warn("console login refused", "accessKeyId", in.AccessKeyID, "from", addr, "why", "wrong secret")
		return nil, errBadLogin
	}
	c.failed.succeed(addr)
	exp := c.opt.Now().Add(SessionTTL)
	value := c.sign.encode(session{KeyID: k.AccessKeyID, Expires: exp.Unix(), Finger: c.sign.finger(k.SecretAccessKey)})
	c.log.Info("console login", "accessKeyId", k.AccessKeyID, "user", k.ARN())
	info := c.info(k)
	info.Expires = exp.UnixMilli()
	return withCookie{cookie: c.cookie(r, value, int(SessionTTL.Seconds())), body: info}, nil
}

func (c *Console) logout(r *http.Request) (any, error) {
	return withCookie{cookie: c.cookie(r, "", -1), body: map[string]bool{"loggedOut": true}}, nil
}

func (c *Console) whoami(r *http.Request) (any, error) {
	return c.info(iam.PrincipalFrom(r.Context()).Key), nil
}

func (c *Console) info(k iam.Key) sessionInfo {
	return sessionInfo{AccessKeyID: k.AccessKeyID, User: k.UserName, ARN: k.ARN(), Edge: c.opt.Traffic != nil}
}

// cookie is the session cookie: HttpOnly (no script reads it), SameSite
// Strict (no other site's page sends it), Secure over TLS, scoped to the
// console's path.
func (c *Console) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: CookieName, Value: value, Path: "/console/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil}
}

type withCookie struct {
	cookie *http.Cookie
	body   any
}

func (wc withCookie) respond(w http.ResponseWriter) {
	http.SetCookie(w, wc.cookie)
	writeJSON(w, http.StatusOK, wc.body)
}
