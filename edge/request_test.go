package edge

import (
	"bufio"
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/edgecd/edgecd/cdn"
)

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want parseResult
		path string
	}{
		{"plain GET", "GET /a.js HTTP/1.1\r\nHost: d.example\r\n\r\n", parsed, "/a.js"},
		{"HEAD", "HEAD / HTTP/1.1\r\nHost: d.example\r\nUser-Agent: x\r\n\r\n", parsed, "/"},
		{"keep-alive is fine", "GET / HTTP/1.1\r\nHost: d\r\nConnection: Keep-Alive\r\n\r\n", parsed, "/"},
		{"head not complete", "GET / HTTP/1.1\r\nHost: d\r\n", incomplete, ""},
		{"nothing yet", "", incomplete, ""},
		{"POST", "POST / HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n", unusual, ""},
		{"HTTP/1.0", "GET / HTTP/1.0\r\nHost: d\r\n\r\n", unusual, ""},
		{"query", "GET /?a=1 HTTP/1.1\r\nHost: d\r\n\r\n", unusual, ""},
		{"escape", "GET /a%20b HTTP/1.1\r\nHost: d\r\n\r\n", unusual, ""},
		{"dot segment", "GET /a/../b HTTP/1.1\r\nHost: d\r\n\r\n", unusual, ""},
		{"absolute form", "GET http://d/ HTTP/1.1\r\nHost: d\r\n\r\n", unusual, ""},
		{"no host", "GET / HTTP/1.1\r\n\r\n", unusual, ""},
		{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", unusual, ""},
		{"GET with a body length", "GET / HTTP/1.1\r\nHost: d\r\nContent-Length: 5\r\n\r\nhello", unusual, ""},
		{"chunked", "GET / HTTP/1.1\r\nHost: d\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", unusual, ""},
		{"CL and TE", "GET / HTTP/1.1\r\nHost: d\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n", unusual, ""},
		{"space before colon", "GET / HTTP/1.1\r\nHost: d\r\nTransfer-Encoding : chunked\r\n\r\n", unusual, ""},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: d\r\nX-A: 1\r\n 2\r\n\r\n", unusual, ""},
		{"bare LF", "GET / HTTP/1.1\nHost: d\n\n", unusual, ""},
		{"bare LF inside", "GET / HTTP/1.1\r\nHost: d\nX: y\r\n\r\n", unusual, ""},
		{"NUL in value", "GET / HTTP/1.1\r\nHost: d\r\nX: a\x00b\r\n\r\n", unusual, ""},
		{"range", "GET / HTTP/1.1\r\nHost: d\r\nRange: bytes=0-1\r\n\r\n", unusual, ""},
		{"revalidation", "GET / HTTP/1.1\r\nHost: d\r\nIf-None-Match: \"x\"\r\nIf-Modified-Since: Mon, 23 Nov 2026 10:00:00 GMT\r\n\r\n", parsed, "/"},
		{"If-Modified-Since alone", "GET / HTTP/1.1\r\nHost: d\r\nIf-Modified-Since: Mon, 23 Nov 2026 10:00:00 GMT\r\n\r\n", unusual, ""},
		{"two If-None-Match", "GET / HTTP/1.1\r\nHost: d\r\nIf-None-Match: \"x\"\r\nIf-None-Match: \"y\"\r\n\r\n", unusual, ""},
		{"If-Match", "GET / HTTP/1.1\r\nHost: d\r\nIf-Match: \"x\"\r\n\r\n", unusual, ""},
		{"close", "GET / HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n", unusual, ""},
		{"upgrade", "GET / HTTP/1.1\r\nHost: d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", unusual, ""},
		{"bad host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", unusual, ""},
		{"two cookie headers", "GET / HTTP/1.1\r\nHost: d\r\nCookie: a=1\r\nCookie: b=2\r\n\r\n", unusual, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req request
			n, got := parseRequest([]byte(tt.in), &req)
			if got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			if got == parsed && (string(req.path) != tt.path || n != strings.Index(tt.in, "\r\n\r\n")+4) {
				t.Fatalf("path %q n %d", req.path, n)
			}
		})
	}
}

// FuzzParseRequest checks the fast path's parser against net/http's: every
// head the fast path accepts, net/http must read as the same request, ending
// at the same byte, with the same host, path, cookies and headers. So the
// fast path can never frame a request differently from net/http (request
// smuggling) or see headers net/http would not.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte("GET /a.js HTTP/1.1\r\nHost: d.example\r\nCookie: x=1; x-amz-continuous-deployment-state=1.2.3.abc\r\nAccept-Encoding: gzip, br\r\n\r\nGET / HTTP/1.1\r\n"))
	f.Add([]byte("HEAD / HTTP/1.1\r\nHost: D.Example:8080\r\naws-cf-cd-env: staging\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: d\r\nContent-Length: 5\r\n\r\nhello"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var req request
		n, res := parseRequest(in, &req)
		if res != parsed {
			return
		}
		br := bufio.NewReader(bytes.NewReader(in))
		r, err := http.ReadRequest(br)
		if err != nil {
			t.Fatalf("fast path accepted %q, net/http refused it: %v", in, err)
		}
		if consumed := len(in) - br.Buffered(); consumed != n {
			t.Fatalf("fast path read %d bytes, net/http %d, of %q", n, consumed, in)
		}
		if r.ContentLength != 0 || len(r.TransferEncoding) > 0 || r.Close {
			t.Fatalf("fast path accepted a request with a body or Connection: close: %q", in)
		}
		if r.Method != map[bool]string{false: "GET", true: "HEAD"}[req.head] || r.URL.Path != string(req.path) ||
			r.URL.RawPath != "" || r.URL.RawQuery != "" || r.Host != string(req.host) {
			t.Fatalf("fast path read %s %q host %q, net/http %s %q host %q", map[bool]string{false: "GET", true: "HEAD"}[req.head],
				req.path, req.host, r.Method, r.URL.Path, r.Host)
		}
		if got, want := string(req.acceptEncoding), r.Header.Get("Accept-Encoding"); got != want {
			t.Fatalf("Accept-Encoding %q, net/http %q", got, want)
		}
		if got, want := string(req.ifNoneMatch), r.Header.Get("If-None-Match"); got != want {
			t.Fatalf("If-None-Match %q, net/http %q", got, want)
		}
		if r.Header.Get("If-Modified-Since") != "" && req.ifNoneMatch == nil {
			t.Fatalf("fast path accepted If-Modified-Since without If-None-Match: %q", in)
		}
		if got, want := string(req.cookie), r.Header.Get("Cookie"); got != want {
			t.Fatalf("Cookie %q, net/http %q", got, want)
		}
		for _, fl := range req.fields[:req.nfields] {
			if got, want := req.header(string(fl.name)), r.Header.Get(string(fl.name)); got != want {
				t.Fatalf("header %q: %q, net/http %q", fl.name, got, want)
			}
		}
	})
}

// FuzzCookieValue checks the sticky cookie lookup against net/http's.
func FuzzCookieValue(f *testing.F) {
	f.Add("a=1; x-amz-continuous-deployment-state=1.2.3.abc")
	f.Add(` x-amz-continuous-deployment-state = "1.2" ;x=2`)
	f.Add("x-amz-continuous-deployment-state=a b;x-amz-continuous-deployment-state=c")
	f.Fuzz(func(t *testing.T, header string) {
		if !fieldValue([]byte(header)) {
			return // the parser refuses such a header before any lookup
		}
		r := &http.Request{Header: http.Header{"Cookie": {header}}}
		var want []byte
		if c, err := r.Cookie(cdnCookie); err == nil {
			want = []byte(c.Value)
		}
		got := cookieValue([]byte(header), cdnCookie)
		if (got == nil) != (want == nil) || string(got) != string(want) {
			t.Fatalf("cookie in %q: got %q, net/http %q", header, got, want)
		}
	})
}

const cdnCookie = "x-amz-continuous-deployment-state"

// FuzzPickEncoding checks the allocation-free Accept-Encoding reader
// against a plain strings-based one, for string and byte input alike.
func FuzzPickEncoding(f *testing.F) {
	f.Add("gzip, br;q=0.5, *;q=0")
	f.Add("GZIP;q=0, zstd")
	f.Add(" *; q = 0.001 ,identity")
	f.Fuzz(func(t *testing.T, ae string) {
		want := referencePickEncoding(ae)
		if got := pickEncoding(ae); got != want {
			t.Fatalf("pickEncoding(%q) = %d, want %d", ae, got, want)
		}
		if got := pickEncoding([]byte(ae)); got != want {
			t.Fatalf("pickEncoding([]byte %q) = %d, want %d", ae, got, want)
		}
	})
}

// referencePickEncoding reads Accept-Encoding the obvious way, with the
// standard library's splitting and trimming of ASCII white space.
func referencePickEncoding(ae string) int {
	var ok [numEncodings]bool
	star := false
	asciiSpace := func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' }
	for _, part := range strings.Split(ae, ",") {
		if ae == "" {
			break
		}
		name, params, _ := strings.Cut(part, ";")
		name = strings.TrimFunc(name, asciiSpace)
		q := 1.0
		if k, v, found := strings.Cut(strings.TrimFunc(params, asciiSpace), "="); found && strings.TrimFunc(k, asciiSpace) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimFunc(v, asciiSpace), 64); err == nil {
				q = f
			}
		}
		if name == "*" {
			star = q > 0
			continue
		}
		for i, n := range encodingNames {
			if strings.EqualFold(name, n) && isASCII(name) {
				ok[i] = q > 0
			}
		}
	}
	for i := range numEncodings {
		if ok[i] {
			return i
		}
	}
	if star {
		return encBrotli
	}
	return encIdentity
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func TestStripPort(t *testing.T) {
	tests := []struct{ in, want string }{
		{"d.example", "d.example"},
		{"d.example:8080", "d.example"},
		{"[::1]:80", "::1"},
		{"::1", "::1"},
		{"d.example:", "d.example"},
	}
	for _, tt := range tests {
		if got := stripPort(tt.in); got != tt.want {
			t.Errorf("stripPort(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestStickyCookieIsWhatNetHTTPWouldWrite pins the hand-built Set-Cookie
// value to http.Cookie.String's.
func TestStickyCookieIsWhatNetHTTPWouldWrite(t *testing.T) {
	s := NewServer(nil, Options{StickyKey: []byte("k")})
	st := &site{primary: &dist{id: "E1"}, policy: &cdn.ContinuousDeploymentPolicyConfig{TrafficConfig: &cdn.TrafficConfig{
		SingleWeightConfig: &cdn.ContinuousDeploymentSingleWeightConfig{SessionStickinessConfig: &cdn.SessionStickinessConfig{IdleTTL: 300, MaximumTTL: 600}}}}}
	now := time.Unix(1_800_000_000, 500_000_000)
	for _, issued := range []time.Time{now, now.Add(-599 * time.Second), now.Add(-700 * time.Second)} {
		sticky := cdn.Sticky{Side: cdn.Staging, Issued: issued.Truncate(time.Second), LastSeen: now}
		remaining := int((600*time.Second - now.Sub(sticky.Issued)) / time.Second)
		want := (&http.Cookie{Name: cdn.StickyCookie, Value: s.codec.Encode("E1", sticky), Path: "/",
			MaxAge: max(remaining, 1), HttpOnly: true, SameSite: http.SameSiteLaxMode}).String()
		if got := s.stickyCookie(st, sticky, now); got != want {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	}
}
