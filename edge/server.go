package edge

import (
	"bytes"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgecd/edgecd/cdn"
)

// Options configure a Server.
type Options struct {
	ID              string // this edge's id, shown in Via and used to acknowledge revisions
	CacheBytes      int64  // memory for cached objects; default 256 MiB
	MaxCachedObject int64  // larger objects are streamed from origin, not cached; default 8 MiB
	StickyKey       []byte // HMAC key for sticky-session cookies, shared by all edges
	Logger          *slog.Logger
	Now             func() time.Time
	Client          *http.Client // for custom origins
	// EnforceBucketPolicy makes local bucket origins honour the bucket
	// policy: a distribution the policy does not allow (by its ARN, as in
	// origin access control) gets 403 from its origin. Off by default.
	EnforceBucketPolicy bool
	// IdleTimeout and ReadHeaderTimeout bound a fast-path connection
	// (see Listen) waiting for its next request and reading a request
	// head; set them as on the http.Server. Defaults 120 s and 10 s.
	IdleTimeout, ReadHeaderTimeout time.Duration
}

// Server is the viewer-facing HTTP handler.
type Server struct {
	opts    Options
	snap    atomic.Pointer[Snapshot]
	cache   *cache
	buckets Buckets
	client  *http.Client
	codec   cdn.StickyCodec
	log     *slog.Logger
	via     string // the Via header's value

	idPrefix  [6]byte
	seq       atomic.Uint64
	ready     chan struct{}
	readyOnce sync.Once
	Stats     Stats
	traffic   trafficRegistry
}

// Stats are the edge's totals. Per distribution and side, the counters a
// canary analysis compares are Traffic's (traffic.go).
type Stats struct {
	Requests   [2]atomic.Uint64 // by cdn.Side
	Errors4xx  [2]atomic.Uint64
	Errors5xx  [2]atomic.Uint64
	Hits       atomic.Uint64
	FastPath   atomic.Uint64 // requests the fast path answered (see Listen)
	Misses     atomic.Uint64
	BytesSent  atomic.Uint64
	Purged     atomic.Uint64
	AppliedRev atomic.Int64
}

// NewServer returns an edge serving objects from buckets. It serves 503
// until the first snapshot is applied.
func NewServer(buckets Buckets, opts Options) *Server {
	if opts.CacheBytes == 0 {
		opts.CacheBytes = 256 << 20
	}
	if opts.MaxCachedObject == 0 {
		opts.MaxCachedObject = 8 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = 120 * time.Second
	}
	if opts.ReadHeaderTimeout == 0 {
		opts.ReadHeaderTimeout = 10 * time.Second
	}
	if opts.ID == "" {
		opts.ID = "edge-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	s := &Server{
		opts:    opts,
		cache:   newCache(opts.CacheBytes),
		buckets: buckets,
		client:  opts.Client,
		codec:   cdn.NewStickyCodec(opts.StickyKey),
		log:     opts.Logger,
		via:     "1.1 " + opts.ID + " (edgecd)",
		ready:   make(chan struct{}),
	}
	crand.Read(s.idPrefix[:])
	return s
}

// Apply installs a snapshot for the next requests.
func (s *Server) Apply(snap *Snapshot) {
	s.snap.Store(s.traffic.bind(snap))
	s.Stats.AppliedRev.Store(snap.Rev)
	s.readyOnce.Do(func() { close(s.ready) })
}

// Ready is closed once the first snapshot is applied.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// requestID returns a CloudFront-style request id: unique, cheap.
func (s *Server) requestID() string {
	var b [20]byte
	return string(s.appendRequestID(b[:0]))
}

// appendRequestID appends a new request id to dst.
func (s *Server) appendRequestID(dst []byte) []byte {
	var b [14]byte
	copy(b[:6], s.idPrefix[:])
	binary.BigEndian.PutUint64(b[6:], s.seq.Add(1))
	return base64.RawURLEncoding.AppendEncode(dst, b[:])
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["X-Amz-Cf-Id"] = []string{s.requestID()}
	h["Via"] = []string{s.via}
	snap := s.snap.Load()
	if snap == nil {
		http.Error(w, "edgecd: the edge is starting and has no configuration yet; retry in a moment", http.StatusServiceUnavailable)
		return
	}
	st := snap.lookup(r.Host)
	if st == nil {
		http.Error(w, fmt.Sprintf("edgecd: no distribution serves host %q; use a distribution's DomainName or one of its Aliases", r.Host), http.StatusNotFound)
		return
	}
	now := s.opts.Now()
	switch {
	case st.stagingOnly:
		http.Error(w, "edgecd: this is a staging distribution; viewers reach it through its primary distribution's domain (by header or weight)", http.StatusForbidden)
		return
	case !st.primary.enabled:
		http.Error(w, "edgecd: this distribution is disabled", http.StatusForbidden)
		s.countRefused(st, now)
		return
	}
	side, sticky, set := s.route(st, r, now)
	d := st.primary
	if side == cdn.Staging {
		d = st.staging
	}
	h["X-Edgecd-Side"] = []string{side.String()}
	if set {
		h.Add("Set-Cookie", s.stickyCookie(st, sticky, now))
	}
	s.Stats.Requests[side].Add(1)
	rec := &statusRecorder{ResponseWriter: w}
	s.serve(rec, r, d, now)
	switch {
	case rec.status >= 500:
		s.Stats.Errors5xx[side].Add(1)
	case rec.status >= 400:
		s.Stats.Errors4xx[side].Add(1)
	}
	s.Stats.BytesSent.Add(uint64(rec.bytes))
	if st.traffic != nil {
		st.traffic.sides[side].count(rec.status, rec.bytes, cacheResultOf(h), s.opts.Now().Sub(now))
	}
}

// countRefused counts a request for a disabled distribution on its
// primary side.
func (s *Server) countRefused(st *site, start time.Time) {
	if st.traffic != nil {
		st.traffic.sides[cdn.Primary].count(http.StatusForbidden, 0, cacheNone, s.opts.Now().Sub(start))
	}
}

// cacheResultOf reads the X-Cache header write set: every answer from the
// cache or the origin carries one, so it is the request's cache result
// whichever lookup (object or error page) produced it.
func cacheResultOf(h http.Header) cacheResult {
	switch v := h["X-Cache"]; {
	case len(v) == 0:
		return cacheNone
	case v[0] == "Hit from edgecd":
		return cacheHit
	case v[0] == "Miss from edgecd":
		return cacheMiss
	}
	return cacheNone
}

// route applies the continuous-deployment policy of a site. When set is
// true, the sticky state it returns is the cookie to send.
func (s *Server) route(st *site, r *http.Request, now time.Time) (side cdn.Side, sticky cdn.Sticky, set bool) {
	if !st.routed() {
		return cdn.Primary, cdn.Sticky{}, false
	}
	v := cdn.Viewer{Header: r.Header.Get}
	if st.sticky() != nil {
		if c, err := r.Cookie(cdn.StickyCookie); err == nil {
			if sticky, ok := s.codec.Decode(st.primary.id, c.Value); ok {
				v.Sticky = &sticky
			}
		}
	}
	return s.decide(st, v, now)
}

// decide runs the routing decision for a viewer whose cookie, if any, was
// verified, and drops a refreshed cookie that need not be sent yet.
func (s *Server) decide(st *site, v cdn.Viewer, now time.Time) (side cdn.Side, sticky cdn.Sticky, set bool) {
	side, sticky, set = cdn.Route(st.policy, v, now, rand.Float64())
	if set && v.Sticky != nil && sticky.Side == v.Sticky.Side && sticky.Issued.Equal(v.Sticky.Issued) &&
		sticky.LastSeen.Sub(v.Sticky.LastSeen) < refreshAfter(st.sticky()) {
		set = false // the viewer's cookie is recent enough: no Set-Cookie churn
	}
	return side, sticky, set
}

// refreshAfter is how stale a sticky cookie's last-seen time may get
// before the edge sends a fresh one: a tenth of IdleTTL, between 1 s and
// 60 s. Resending on every request would cost a Set-Cookie header (and an
// HMAC) per hit; the price is that a session may end up to this much
// earlier than IdleTTL after the viewer's last request.
func refreshAfter(sc *cdn.SessionStickinessConfig) time.Duration {
	d := time.Duration(sc.IdleTTL) * time.Second / 10
	return min(max(d, time.Second), time.Minute)
}

// stickyCookie is the Set-Cookie value that keeps a viewer on its side
// until the session's MaximumTTL.
func (s *Server) stickyCookie(st *site, sticky cdn.Sticky, now time.Time) string {
	return string(s.appendStickyCookie(nil, st, sticky, now))
}

// appendStickyCookie appends the Set-Cookie value to dst: what
// http.Cookie.String makes of it (the value, made of digits, dots and
// base64url, needs no quoting), without building a Cookie.
func (s *Server) appendStickyCookie(dst []byte, st *site, sticky cdn.Sticky, now time.Time) []byte {
	maxTTL := time.Duration(st.sticky().MaximumTTL) * time.Second
	remaining := max(int64((maxTTL-now.Sub(sticky.Issued))/time.Second), 1)
	dst = append(dst, cdn.StickyCookie+"="...)
	dst = s.codec.AppendEncode(dst, st.primary.id, sticky)
	dst = append(dst, "; Path=/; Max-Age="...)
	dst = strconv.AppendInt(dst, remaining, 10)
	return append(dst, "; HttpOnly; SameSite=Lax"...)
}

// serve answers a request from distribution d.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, d *dist, now time.Time) {
	path := r.URL.Path
	if path == "" || path == "/" {
		if d.rootObject != "" {
			path = "/" + d.rootObject
		}
	}
	b := d.behaviorFor(path)
	if !b.methods[r.Method] {
		http.Error(w, fmt.Sprintf("edgecd: method %s is not allowed by this cache behavior", r.Method), http.StatusForbidden)
		return
	}
	e, f, err := s.lookup(r, d, b, path, now)
	if err != nil {
		s.log.Error("origin fetch failed", "distribution", d.id, "path", path, "err", err)
		http.Error(w, "edgecd: the origin could not be reached", http.StatusBadGateway)
		return
	}
	if f != nil {
		defer f.close()
	}
	status := statusOf(e, f)
	if custom, ok := d.errors[status]; ok && custom.ResponsePagePath != "" && status >= 400 {
		s.serveErrorPage(w, r, d, custom, status, now)
		return
	}
	s.write(w, r, b, e, f, true)
}

func statusOf(e *entry, f *fetched) int {
	if e != nil {
		return e.status
	}
	return f.status
}

// serveErrorPage answers with a custom error page (e.g. an SPA's
// /index.html with 200 for a 403 or 404 from the origin).
func (s *Server) serveErrorPage(w http.ResponseWriter, r *http.Request, d *dist, c cdn.CustomErrorResponse, status int, now time.Time) {
	b := d.behaviorFor(c.ResponsePagePath)
	e, f, err := s.lookup(r, d, b, c.ResponsePagePath, now)
	if err != nil {
		http.Error(w, "edgecd: the origin could not be reached", http.StatusBadGateway)
		return
	}
	if f != nil {
		defer f.close()
	}
	code := status
	if c.ResponseCode != "" {
		if n, err := strconv.Atoi(c.ResponseCode); err == nil {
			code = n
		}
	}
	if statusOf(e, f) != http.StatusOK {
		code = statusOf(e, f)
	}
	w.Header().Set("X-Cache", "Error from edgecd")
	if e != nil {
		copyHeader(w.Header(), e.header)
		w.WriteHeader(code)
		if r.Method != http.MethodHead {
			w.Write(e.body)
		}
		return
	}
	copyHeader(w.Header(), f.header)
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		writeFetched(w, f)
	}
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = v
	}
}

func writeFetched(w http.ResponseWriter, f *fetched) {
	if f.file != nil {
		http.ServeContent(w, &http.Request{Method: http.MethodGet, Header: http.Header{}}, "", f.modTime, f.file)
		return
	}
	w.Write(f.body)
}

// write sends a cached entry or a fresh fetch, with conditional requests,
// ranges and compression.
func (s *Server) write(w http.ResponseWriter, r *http.Request, b *behavior, e *entry, f *fetched, hit bool) {
	h := w.Header()
	if e != nil {
		copyHeader(h, e.header)
		if e.stored.Before(s.opts.Now()) {
			h["Age"] = []string{strconv.FormatInt(int64(s.opts.Now().Sub(e.stored)/time.Second), 10)}
		}
		h["X-Cache"] = []string{"Hit from edgecd"}
	} else {
		copyHeader(h, f.header)
		h["X-Cache"] = []string{"Miss from edgecd"}
	}
	status := statusOf(e, f)
	if status != http.StatusOK {
		w.WriteHeader(status)
		if r.Method == http.MethodHead {
			return
		}
		if e != nil {
			w.Write(e.body)
		} else {
			writeFetched(w, f)
		}
		return
	}
	if e == nil && f.file != nil {
		if f.etag != "" {
			h["Etag"] = []string{f.etag}
		}
		http.ServeContent(w, r, "", f.modTime, f.file)
		return
	}
	body, etag, modTime := f.bodyOrEntry(e)
	ct := h.Get("Content-Type")
	if b.compress && h.Get("Content-Encoding") == "" && compressible(ct) && len(body) >= minCompressSize && len(body) <= maxCompressSize {
		h["Vary"] = []string{"Accept-Encoding"}
		if r.Header.Get("Range") == "" {
			if enc := pickEncoding(r.Header.Get("Accept-Encoding")); enc != encIdentity {
				if e != nil {
					body = e.variant(enc)
				} else {
					body = encode(enc, body)
				}
				h["Content-Encoding"] = []string{encodingNames[enc]}
				if etag != "" {
					etag = "W/" + etag
				}
			}
		}
	}
	if etag != "" {
		h["Etag"] = []string{etag}
	}
	if plainRequest(r) {
		// The common case: no validators, no range. Skip ServeContent's
		// parsing and formatting.
		h["Content-Length"] = []string{strconv.Itoa(len(body))}
		h["Accept-Ranges"] = []string{"bytes"}
		if e != nil {
			h["Last-Modified"] = e.lastModified
		} else if !modTime.IsZero() {
			h["Last-Modified"] = []string{modTime.UTC().Format(http.TimeFormat)}
		}
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			w.Write(body)
		}
		return
	}
	http.ServeContent(w, r, "", modTime, bytes.NewReader(body))
}

// plainRequest reports whether a GET or HEAD carries no header that makes
// the answer conditional or partial.
func plainRequest(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	for _, name := range [...]string{"Range", "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "If-Range"} {
		if _, ok := r.Header[name]; ok {
			return false
		}
	}
	return true
}

func (f *fetched) bodyOrEntry(e *entry) ([]byte, string, time.Time) {
	if e != nil {
		return e.body, e.etag, e.modTime
	}
	return f.body, f.etag, f.modTime
}

// statusRecorder notes the status and bytes of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// ReadFrom keeps sendfile working for large objects streamed from disk.
func (r *statusRecorder) ReadFrom(src io.Reader) (int64, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := io.Copy(r.ResponseWriter, src)
	r.bytes += n
	return n, err
}
