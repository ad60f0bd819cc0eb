package edge

import (
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgecd/edgecd/cdn"
)

// Listen wraps a viewer listener with the edge's fast path and returns the
// listener an http.Server serving s must use:
//
//	srv := &http.Server{Handler: s, ...}
//	srv.Serve(s.Listen(ln))
//
// Each accepted connection is first read by the fast path, which answers
// plain GET and HEAD requests for cached objects (and fills the cache on a
// miss), and revalidations naming the cached ETag with 304, from prebuilt
// header blocks in a single write, allocating nothing per hit. At the first request it does not answer itself (see
// parseRequest; errors, ranges, conditionals, uncached answers, anything
// unusual) it hands the connection, with every byte it has read but not
// answered, to the http.Server through the returned listener's Accept, and
// net/http serves that connection from then on. Closing the returned
// listener closes ln and ends idle fast-path connections.
func (s *Server) Listen(ln net.Listener) net.Listener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &fastListener{Listener: ln, s: s, ctx: ctx, cancel: cancel,
		handoff: make(chan net.Conn), done: make(chan struct{}), failed: make(chan struct{}),
		conns: map[*fastConn]struct{}{}}
	go l.acceptLoop()
	return l
}

// Sizes of a fast-path connection's buffers.
const (
	// readBuffer bounds the request head the fast path reads; a larger
	// head goes to net/http, which applies the server's MaxHeaderBytes.
	readBuffer = 8 << 10
	// smallBody: bodies up to this size are copied behind the header, so
	// header and body leave in one write; larger ones go out with writev.
	smallBody = 16 << 10
	// flushAt bounds the responses to pipelined requests held before a write.
	flushAt = 64 << 10
)

type fastListener struct {
	net.Listener
	s      *Server
	ctx    context.Context // for origin fetches; ends when the listener closes
	cancel context.CancelFunc

	handoff chan net.Conn
	done    chan struct{} // closed by Close
	failed  chan struct{} // closed when the inner listener fails; err says why
	err     error
	closing atomic.Bool
	once    sync.Once

	mu    sync.Mutex
	conns map[*fastConn]struct{}
}

// Accept returns the next connection handed over by the fast path.
func (l *fastListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.handoff:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-l.failed:
		return nil, l.err
	}
}

// Close stops accepting and wakes idle fast-path connections so they end;
// connections that are writing a response finish it first.
func (l *fastListener) Close() error {
	err := net.ErrClosed
	l.once.Do(func() {
		l.closing.Store(true)
		close(l.done)
		l.cancel()
		err = l.Listener.Close()
		l.mu.Lock()
		for c := range l.conns {
			c.nc.SetReadDeadline(time.Unix(1, 0))
		}
		l.mu.Unlock()
	})
	return err
}

func (l *fastListener) acceptLoop() {
	var delay time.Duration
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			if l.closing.Load() || errors.Is(err, net.ErrClosed) {
				l.err = err
				close(l.failed)
				return
			}
			// Out of file descriptors and the like: back off as net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			l.s.log.Warn("edge accept failed; retrying", "err", err, "delay", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		c := &fastConn{l: l, nc: nc, rw: nc, in: make([]byte, readBuffer), out: make([]byte, 0, 4<<10)}
		if c.raw = newRawIO(nc); c.raw != nil {
			c.rw = c.raw
		}
		l.mu.Lock()
		if l.closing.Load() {
			l.mu.Unlock()
			nc.Close()
			continue
		}
		l.conns[c] = struct{}{}
		l.mu.Unlock()
		go c.serve()
	}
}

func (l *fastListener) forget(c *fastConn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

// fastConn is one viewer connection while the fast path serves it.
type fastConn struct {
	l    *fastListener
	nc   net.Conn
	in   []byte // in[r:w] is read and not yet answered
	r, w int
	out  []byte // responses not yet written
	vec  [2][]byte
	bufs net.Buffers
	req  request
	key  []byte // cache key being looked up
	path []byte // path after DefaultRootObject

	rw       io.ReadWriter // raw, or nc when that is not a socket
	raw      *rawIO        // nil when nc is not a socket
	sender   *fileSender   // nil until the first large hit, or when not TCP
	deadline time.Time     // the read deadline now set
	dateSec  int64
	date     []byte
	memo     stickyMemo
}

// stickyMemo remembers the last sticky cookie verified on a connection, so
// a viewer that sends the same cookie on every request costs one HMAC per
// connection, not one per request.
type stickyMemo struct {
	scope  string // the primary distribution id the cookie is for
	value  []byte
	sticky cdn.Sticky
	ok     bool // the value verified
	set    bool
}

func (c *fastConn) serve() {
	handed := false
	defer func() {
		c.l.forget(c)
		if !handed {
			c.nc.Close()
		}
	}()
	var headStart time.Time
	for {
		n, res := parseRequest(c.in[c.r:c.w], &c.req)
		if res == parsed {
			ok, err := c.answer(&c.req)
			if err != nil {
				return
			}
			if ok {
				c.r += n
				headStart = time.Time{}
				if len(c.out) >= flushAt && c.flush() != nil {
					return
				}
				continue
			}
			res = unusual
		}
		if c.flush() != nil {
			return
		}
		if res == unusual {
			handed = c.handoff()
			return
		}
		// The next head is incomplete: read more of it.
		if c.r > 0 {
			c.w = copy(c.in, c.in[c.r:c.w])
			c.r = 0
		}
		if c.w == len(c.in) {
			handed = c.handoff() // too large for the fast path; net/http applies its limit
			return
		}
		now := time.Now()
		if c.w == 0 {
			// Idle between requests. The deadline moves at most once a
			// second: setting it costs a timer update.
			if want := now.Add(c.l.s.opts.IdleTimeout); want.Sub(c.deadline) > time.Second || c.deadline.After(want) {
				c.setDeadline(want)
			}
		} else {
			if headStart.IsZero() {
				headStart = now
			}
			if want := headStart.Add(c.l.s.opts.ReadHeaderTimeout); c.deadline.After(want) || c.deadline.IsZero() {
				c.setDeadline(want)
			}
		}
		if c.l.closing.Load() {
			return // Close may have run before the deadline above was set
		}
		// A read after each answer comes back with EAGAIN when the viewer
		// has sent nothing more; it cannot be skipped in favour of waiting
		// for the poller, as nginx does, because Go's poller forgets
		// readiness it reported before the read began (RawConn.Read resets
		// it): the connection would stall (TestFastPathKeepAliveUnderLoad).
		m, err := c.rw.Read(c.in[c.w:])
		c.w += m
		if err != nil {
			return
		}
	}
}

func (c *fastConn) setDeadline(t time.Time) {
	c.deadline = t
	c.nc.SetReadDeadline(t)
}

// handoff gives the connection and its unanswered bytes to net/http.
func (c *fastConn) handoff() bool {
	c.nc.SetReadDeadline(time.Time{})
	hc := &handedConn{Conn: c.nc, pending: c.in[c.r:c.w]}
	select {
	case c.l.handoff <- hc:
		return true
	case <-c.l.done:
		return false
	}
}

func (c *fastConn) flush() error {
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.rw.Write(c.out)
	c.out = c.out[:0]
	return err
}

// answer serves a parsed request from the cache, filling it on a miss.
// It reports false, having written nothing, when net/http must answer.
func (c *fastConn) answer(q *request) (bool, error) {
	s := c.l.s
	snap := s.snap.Load()
	if snap == nil {
		return false, nil
	}
	st := lookupHost(snap.hosts, q.host)
	if st == nil || st.stagingOnly || !st.primary.enabled {
		return false, nil
	}
	now := s.opts.Now()
	side, sticky, setCookie := c.route(st, q, now)
	d := st.primary
	if side == cdn.Staging {
		d = st.staging
	}
	path := q.path
	if len(path) == 1 && d.rootPath != "" {
		c.path = append(c.path[:0], d.rootPath...)
		path = c.path
	}
	b := &d.behaviors[len(d.behaviors)-1]
	if len(d.behaviors) > 1 {
		b = d.behaviorFor(string(path))
	}
	c.key = append(append(c.key[:0], b.keyPrefix...), path...)
	e := s.cache.getBytes(c.key, now)
	hit := e != nil
	if hit {
		s.Stats.Hits.Add(1)
	} else {
		var f *fetched
		var err error
		e, f, err = s.fill(c.l.ctx, d, b, string(path), string(q.path), "", now)
		if err != nil || e == nil {
			if f != nil {
				f.close()
			}
			return false, nil // net/http answers errors and what is not cached
		}
	}
	if _, ok := e.header["Content-Type"]; !ok {
		return false, nil // net/http would sniff one
	}
	// A revalidation naming the entry's tag gets 304; any other
	// If-None-Match goes to net/http.
	notModified := q.ifNoneMatch != nil
	if notModified && !e.matches(q.ifNoneMatch) {
		return false, nil
	}
	enc := encIdentity
	vary := b.compress && e.compressible
	if vary {
		enc = pickEncoding(q.acceptEncoding)
	}
	body := e.bodyIn(enc)

	out := c.out
	if notModified {
		out = append(out, "HTTP/1.1 304 Not Modified\r\n"...)
	} else {
		out = append(out, "HTTP/1.1 200 OK\r\n"...)
	}
	out = append(out, s.head(e, enc, vary, notModified)...)
	if e.stored.Before(now) {
		out = append(out, "Age: "...)
		out = strconv.AppendInt(out, int64(now.Sub(e.stored)/time.Second), 10)
		out = append(out, "\r\n"...)
	}
	out = append(out, "Date: "...)
	out = append(out, c.dateOf(now)...)
	if setCookie {
		out = append(out, "\r\nSet-Cookie: "...)
		out = s.appendStickyCookie(out, st, sticky, now)
	}
	out = append(out, "\r\nX-Amz-Cf-Id: "...)
	out = s.appendRequestID(out)
	if hit {
		out = append(out, "\r\nX-Cache: Hit from edgecd\r\nX-Edgecd-Side: "...)
	} else {
		out = append(out, "\r\nX-Cache: Miss from edgecd\r\nX-Edgecd-Side: "...)
	}
	out = append(out, side.String()...)
	out = append(out, "\r\n\r\n"...)
	s.Stats.Requests[side].Add(1)
	s.Stats.FastPath.Add(1)
	cr := cacheMiss
	if hit {
		cr = cacheHit
	}
	// Small answers are timed when built: they leave with the next flush
	// (at once, or with the answers to pipelined requests). Large ones
	// are timed once written.
	if q.head || notModified {
		c.out = out
		c.count(st, side, notModified, 0, cr, now)
		return true, nil
	}
	s.Stats.BytesSent.Add(uint64(len(body)))
	if len(body) <= smallBody {
		c.out = append(out, body...)
		c.count(st, side, false, len(body), cr, now)
		return true, nil
	}
	if enc == encIdentity && e.file != nil {
		if c.sender == nil {
			c.sender = newFileSender(c.nc)
		}
		if c.sender != nil {
			err := c.sender.send(out, e.file)
			c.out = out[:0]
			c.count(st, side, false, len(body), cr, now)
			return true, err
		}
	}
	// Header and body in one writev; the body is the cache's own bytes.
	var err error
	if c.raw != nil {
		_, err = c.raw.Writev(out, body)
	} else {
		c.vec[0], c.vec[1] = out, body
		c.bufs = c.vec[:]
		_, err = c.bufs.WriteTo(c.nc)
		c.vec[1] = nil
	}
	c.out = out[:0]
	c.count(st, side, false, len(body), cr, now)
	return true, err
}

// count records an answer in the site's traffic counters; start is when
// the request was routed.
func (c *fastConn) count(st *site, side cdn.Side, notModified bool, sent int, cr cacheResult, start time.Time) {
	if st.traffic == nil {
		return
	}
	status := 200
	if notModified {
		status = 304
	}
	st.traffic.sides[side].count(status, int64(sent), cr, c.l.s.opts.Now().Sub(start))
}

// route is Server.route for a request read by the fast path.
func (c *fastConn) route(st *site, q *request, now time.Time) (side cdn.Side, sticky cdn.Sticky, set bool) {
	if !st.routed() {
		return cdn.Primary, cdn.Sticky{}, false
	}
	v := cdn.Viewer{Header: q.header}
	if st.sticky() != nil {
		if value := cookieValue(q.cookie, cdn.StickyCookie); value != nil {
			m := &c.memo
			if !m.set || m.scope != st.primary.id || string(m.value) != string(value) {
				m.sticky, m.ok = c.l.s.codec.DecodeBytes(st.primary.id, value)
				m.scope, m.value, m.set = st.primary.id, append(m.value[:0], value...), true
			}
			if m.ok {
				v.Sticky = &m.sticky // Route copies it
			}
		}
	}
	return c.l.s.decide(st, v, now)
}

// dateOf formats the Date header once a second per connection.
func (c *fastConn) dateOf(now time.Time) []byte {
	if sec := now.Unix(); sec != c.dateSec || c.date == nil {
		c.dateSec = sec
		c.date = now.UTC().AppendFormat(c.date[:0], "Mon, 02 Jan 2006 15:04:05 GMT")
	}
	return c.date
}

// handedConn is a connection net/http takes over from the fast path: reads
// return the bytes the fast path read but did not answer, then the socket.
type handedConn struct {
	net.Conn
	pending []byte
}

func (c *handedConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// ReadFrom keeps sendfile: net/http streams large files through the
// connection's ReadFrom when it has one.
func (c *handedConn) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(c.Conn, r)
}

// CloseWrite lets net/http close gracefully (it half-closes TCP).
func (c *handedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Conn.Close()
}
