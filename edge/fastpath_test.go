package edge_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/edge"
)

// raw sends bytes on a new connection to addr and reads n responses.
func raw(t *testing.T, addr, in string, n int) []*http.Response {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, in); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	reqs := bufio.NewReader(strings.NewReader(in)) // for the methods (HEAD has no body)
	var out []*http.Response
	for range n {
		req, err := http.ReadRequest(reqs)
		if err != nil {
			req = nil
		}
		r, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatalf("response %d of %d to %q: %v", len(out)+1, n, in, err)
		}
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		out = append(out, r)
	}
	return out
}

func addr(srv *httptest.Server) string { return strings.TrimPrefix(srv.URL, "http://") }

// TestFastPathAnswersLikeNetHTTP compares, header by header, a hit answered
// by the fast path with the same hit answered by the handler alone.
func TestFastPathAnswersLikeNetHTTP(t *testing.T) {
	h := newHarness(t)
	var big strings.Builder
	for i := 0; big.Len() < 300<<10; i++ {
		fmt.Fprintf(&big, "%d,", i*7919%100003)
	}
	h.put("1.0.0/big.bin", "application/octet-stream", big.String())
	p, _ := h.staged(headerPolicy)
	tests := []struct {
		name, method, path, extra string
		fast                      bool // answered by the fast path, not handed over
	}{
		{"large body (sendfile)", "GET", "/big.bin", "", true},
		{"large body twice, pipelined", "GET", "/big.bin", "\r\nGET /big.bin HTTP/1.1\r\nHost: " + p.DomainName + "\r\n", true},
		{"html", "GET", "/index.html", "", true},
		{"root object", "GET", "/", "", true},
		{"compressible, brotli accepted", "GET", "/app.js", "Accept-Encoding: gzip, br\r\n", true},
		{"compressible, identity", "GET", "/app.js", "", true},
		{"HEAD", "HEAD", "/app.js", "Accept-Encoding: gzip\r\n", true},
		{"staging by header", "GET", "/app.js", "aws-cf-cd-env: staging\r\n", true},
		{"revalidation", "GET", "/app.js", "If-None-Match: {etag}\r\nIf-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT\r\n", true},
		{"revalidation of a brotli variant", "GET", "/app.js", "Accept-Encoding: br\r\nIf-None-Match: W/{etag}\r\n", true},
		{"revalidation, HEAD", "HEAD", "/index.html", "If-None-Match: {etag}\r\n", true},
		{"changed object", "GET", "/app.js", "If-None-Match: \"0123\"\r\n", false},
		{"list of tags", "GET", "/app.js", "If-None-Match: \"0123\", {etag}\r\n", false},
		{"range", "GET", "/app.js", "Range: bytes=2-5\r\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain := "GET " + tt.path + " HTTP/1.1\r\nHost: " + p.DomainName + "\r\n\r\n"
			etag := raw(t, addr(h.srv), plain, 1)[0].Header.Get("ETag")
			in := tt.method + " " + tt.path + " HTTP/1.1\r\nHost: " + p.DomainName + "\r\n" + strings.ReplaceAll(tt.extra, "{etag}", etag) + "\r\n"
			raw(t, addr(h.srv), in, 1) // fill the cache of the side the request goes to
			before := h.edge.Stats.FastPath.Load()
			fast := raw(t, addr(h.srv), in, 1)[0]
			if got := h.edge.Stats.FastPath.Load() > before; got != tt.fast {
				t.Fatalf("answered by the fast path: %v, want %v", got, tt.fast)
			}
			req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(in)))
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			h.edge.ServeHTTP(w, req)
			slow := w.Result()
			if fast.StatusCode != slow.StatusCode || fast.Header.Get("X-Cache") != "Hit from edgecd" {
				t.Fatalf("fast %d %q, handler %d", fast.StatusCode, fast.Header.Get("X-Cache"), slow.StatusCode)
			}
			for _, hdr := range []http.Header{fast.Header, slow.Header} {
				for _, k := range []string{"Date", "X-Amz-Cf-Id", "Age"} {
					delete(hdr, k)
				}
			}
			if len(fast.Header) != len(slow.Header) {
				t.Fatalf("fast path headers %v\nhandler headers %v", fast.Header, slow.Header)
			}
			for k, v := range slow.Header {
				if strings.Join(fast.Header[k], ",") != strings.Join(v, ",") {
					t.Fatalf("header %s: fast path %q, handler %q", k, fast.Header[k], v)
				}
			}
			fb, _ := io.ReadAll(fast.Body)
			sb, _ := io.ReadAll(slow.Body)
			if !bytes.Equal(fb, sb) {
				t.Fatalf("bodies differ: %d and %d bytes", len(fb), len(sb))
			}
		})
	}
}

// TestPipelinedRequestsSurviveHandoff sends three requests in one write:
// a hit the fast path answers, a range request it hands to net/http with
// the bytes it already read, and one more that net/http must then find.
func TestPipelinedRequestsSurviveHandoff(t *testing.T) {
	h := newHarness(t)
	p, _ := h.staged(headerPolicy)
	host := "Host: " + p.DomainName + "\r\n"
	raw(t, addr(h.srv), "GET /app.js HTTP/1.1\r\n"+host+"\r\n", 1)
	in := "GET /app.js HTTP/1.1\r\n" + host + "\r\n" +
		"GET /app.js HTTP/1.1\r\n" + host + "Range: bytes=0-9\r\n\r\n" +
		"GET /index.html HTTP/1.1\r\n" + host + "\r\n"
	rs := raw(t, addr(h.srv), in, 3)
	full, _ := io.ReadAll(rs[0].Body)
	part, _ := io.ReadAll(rs[1].Body)
	last, _ := io.ReadAll(rs[2].Body)
	if rs[0].StatusCode != 200 || rs[1].StatusCode != 206 || rs[2].StatusCode != 200 {
		t.Fatalf("statuses %d %d %d", rs[0].StatusCode, rs[1].StatusCode, rs[2].StatusCode)
	}
	if string(part) != string(full[:10]) || !strings.Contains(string(last), "v1 App") {
		t.Fatalf("range %q of %q; last %q", part, full[:10], last)
	}
}

// TestOddRequestsGetNetHTTPAnswers sends requests the fast path must not
// answer (smuggling attempts, oversized heads, bad framing) to the edge with
// and without the fast path: the answers must be the same.
func TestOddRequestsGetNetHTTPAnswers(t *testing.T) {
	h := newHarness(t)
	p, _ := h.staged(headerPolicy)
	plain := httptest.NewServer(h.edge)
	defer plain.Close()
	host := "Host: " + p.DomainName + "\r\n"
	tests := []struct {
		name, in string
		n        int
	}{
		{"CL and TE", "GET /index.html HTTP/1.1\r\n" + host + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /app.js HTTP/1.1\r\n" + host + "\r\n", 1},
		{"two lengths", "GET /index.html HTTP/1.1\r\n" + host + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab", 1},
		{"space before colon", "GET /index.html HTTP/1.1\r\n" + host + "Transfer-Encoding : chunked\r\n\r\n", 1},
		{"head over 64 KiB", "GET /index.html HTTP/1.1\r\n" + host + "X-Big: " + strings.Repeat("a", 70<<10) + "\r\n\r\n", 1},
		{"bare LF", "GET /index.html HTTP/1.1\n" + host[:len(host)-2] + "\n\n", 1},
		{"HTTP/1.0", "GET /index.html HTTP/1.0\r\n" + host + "\r\n", 1},
		{"query string", "GET /index.html?v=1 HTTP/1.1\r\n" + host + "\r\n", 1},
		{"unknown host", "GET /index.html HTTP/1.1\r\nHost: nope.example\r\n\r\n", 1},
		{"missing object", "GET /missing.css HTTP/1.1\r\n" + host + "\r\n", 1},
		{"POST", "POST /index.html HTTP/1.1\r\n" + host + "Content-Length: 0\r\n\r\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := raw(t, addr(plain), tt.in, tt.n)
			got := raw(t, addr(h.srv), tt.in, tt.n)
			for i := range want {
				wb, _ := io.ReadAll(want[i].Body)
				gb, _ := io.ReadAll(got[i].Body)
				if got[i].StatusCode != want[i].StatusCode || !bytes.Equal(gb, wb) {
					t.Fatalf("response %d: fast path listener %d %q, net/http %d %q", i, got[i].StatusCode, gb, want[i].StatusCode, wb)
				}
			}
		})
	}
}

// TestStickyCookieSentOnlyWhenStale: a returning viewer with a fresh cookie
// gets no Set-Cookie; once its last-seen time is a tenth of IdleTTL old it
// gets a refreshed cookie for the same side; after IdleTTL idle it is
// drawn again.
func TestStickyCookieSentOnlyWhenStale(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	h := newHarness(t, func(o *edge.Options) { o.Now = now })
	p, _ := h.staged(&cdn.TrafficConfig{Type: cdn.SingleWeight, SingleWeightConfig: &cdn.ContinuousDeploymentSingleWeightConfig{
		Weight: 0.5, SessionStickinessConfig: &cdn.SessionStickinessConfig{IdleTTL: 300, MaximumTTL: 3600}}})
	get := func(cookie string) *http.Response {
		in := "GET /index.html HTTP/1.1\r\nHost: " + p.DomainName + "\r\n"
		if cookie != "" {
			in += "Cookie: " + cdn.StickyCookie + "=" + cookie + "\r\n"
		}
		return raw(t, addr(h.srv), in+"\r\n", 1)[0]
	}
	sticky := func(r *http.Response) string {
		for _, c := range r.Cookies() {
			if c.Name == cdn.StickyCookie {
				return c.Value
			}
		}
		return ""
	}
	first := get("")
	side, cookie := first.Header.Get("X-Edgecd-Side"), sticky(first)
	if cookie == "" {
		t.Fatal("a new viewer got no session cookie")
	}
	advance := func(d time.Duration) { clock.Add(int64(d)) }
	advance(10 * time.Second)
	r := get(cookie)
	if r.Header.Get("X-Edgecd-Side") != side || sticky(r) != "" {
		t.Fatalf("fresh cookie: side %s (want %s), Set-Cookie %q (want none)", r.Header.Get("X-Edgecd-Side"), side, sticky(r))
	}
	advance(25 * time.Second) // 35 s since the cookie's last-seen time
	r = get(cookie)
	refreshed := sticky(r)
	if r.Header.Get("X-Edgecd-Side") != side || refreshed == "" || refreshed == cookie {
		t.Fatalf("stale cookie: side %s (want %s), Set-Cookie %q (want a new one)", r.Header.Get("X-Edgecd-Side"), side, refreshed)
	}
	advance(301 * time.Second)
	if r := get(refreshed); sticky(r) == "" || strings.Split(sticky(r), ".")[1] == strings.Split(refreshed, ".")[1] {
		t.Fatalf("after IdleTTL idle the viewer kept its session: %q", sticky(r))
	}
}

// TestClosingTheListenerEndsIdleConnections: an idle keep-alive connection
// the fast path holds is closed when the server shuts down.
func TestClosingTheListenerEndsIdleConnections(t *testing.T) {
	h := newHarness(t)
	p, _ := h.staged(headerPolicy)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h.edge}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(h.edge.Listen(ln)) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(c, "GET /index.html HTTP/1.1\r\nHost: "+p.DomainName+"\r\n\r\n")
	br := bufio.NewReader(c)
	r, err := http.ReadResponse(br, nil)
	if err != nil || r.StatusCode != 200 {
		t.Fatalf("first response: %v %v", r, err)
	}
	io.Copy(io.Discard, r.Body)
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("the idle connection stayed open after Close")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatal("the idle connection stayed open after Close (read timed out)")
	}
	if err := <-done; err != http.ErrServerClosed {
		t.Fatalf("Serve returned %v", err)
	}
}

// TestFastPathReadsEveryByte covers the fast path's reads: a request
// trickling in must be answered, and so must a pipelined burst larger than
// the read buffer, whose rest is already in the socket when the buffer
// fills (waiting for the poller there would hang).
func TestFastPathReadsEveryByte(t *testing.T) {
	h := newHarness(t)
	p, _ := h.staged(headerPolicy)
	req := "GET /app.js HTTP/1.1\r\nHost: " + p.DomainName + "\r\n\r\n"
	raw(t, addr(h.srv), req, 1) // fill the cache, so the fast path answers
	before := h.edge.Stats.FastPath.Load()

	c, err := net.Dial("tcp", addr(h.srv))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	for i := range 3 {
		for _, piece := range []string{req[:5], req[5:30], req[30:]} {
			if _, err := io.WriteString(c, piece); err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		r, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("trickled request %d: %v", i, err)
		}
		io.Copy(io.Discard, r.Body)
		if r.StatusCode != 200 {
			t.Fatalf("trickled request %d: status %d", i, r.StatusCode)
		}
	}

	const burst = 300 // about 25 KiB of requests, three times the read buffer
	if _, err := io.WriteString(c, strings.Repeat(req, burst)); err != nil {
		t.Fatal(err)
	}
	for i := range burst {
		r, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("pipelined response %d of %d: %v", i+1, burst, err)
		}
		io.Copy(io.Discard, r.Body)
		if r.StatusCode != 200 {
			t.Fatalf("pipelined response %d: status %d", i+1, r.StatusCode)
		}
	}
	if got := h.edge.Stats.FastPath.Load() - before; got != 3+burst {
		t.Fatalf("the fast path answered %d requests, want %d", got, 3+burst)
	}
}

// TestFastPathKeepAliveUnderLoad runs many keep-alive connections that each
// send their next request the moment a response arrives, as wrk does. A
// connection whose next request the fast path fails to notice stalls until
// the deadline. (A version that, after a short read, waited for the poller
// instead of reading failed this with GOMAXPROCS=2: Go's poller forgets
// readiness it reported before the wait began.)
func TestFastPathKeepAliveUnderLoad(t *testing.T) {
	h := newHarness(t)
	p, _ := h.staged(headerPolicy)
	req := []byte("GET /app.js HTTP/1.1\r\nHost: " + p.DomainName + "\r\n\r\n")
	raw(t, addr(h.srv), string(req), 1) // fill the cache
	const conns, each = 32, 400
	errs := make(chan error, conns)
	for range conns {
		go func() {
			c, err := net.Dial("tcp", addr(h.srv))
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			br := bufio.NewReader(c)
			for i := range each {
				c.SetDeadline(time.Now().Add(5 * time.Second))
				if _, err := c.Write(req); err != nil {
					errs <- err
					return
				}
				r, err := http.ReadResponse(br, nil)
				if err != nil {
					errs <- fmt.Errorf("response %d: %w", i+1, err)
					return
				}
				io.Copy(io.Discard, r.Body)
			}
			errs <- nil
		}()
	}
	for range conns {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
