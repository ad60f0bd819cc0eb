package edge

import "bytes"

// request is a plain HTTP/1.1 GET or HEAD as the fast path reads it. Its
// slices alias the connection's read buffer and are valid only until the
// next read.
type request struct {
	head           bool
	path           []byte
	host           []byte
	cookie         []byte // the Cookie header; nil when absent
	acceptEncoding []byte
	// ifNoneMatch is the If-None-Match header, nil when absent. With it,
	// If-Modified-Since does not count (RFC 9110 13.2.2), so the fast path
	// can answer a browser's revalidation, which sends both.
	ifNoneMatch []byte
	fields      [maxFields]field // every other header, for routing by header
	nfields     int
}

type field struct{ name, value []byte }

// maxFields bounds the headers the fast path keeps; a request with more is
// handed to net/http.
const maxFields = 64

// parseResult says what parseRequest made of the bytes it was given.
type parseResult int

const (
	// parsed: a complete request the fast path may answer.
	parsed parseResult = iota
	// incomplete: the head has not fully arrived; read more.
	incomplete
	// unusual: anything else. net/http reads it from the same bytes and
	// decides, so the fast path never has to be right about odd requests,
	// only strict about the ones it accepts.
	unusual
)

// parseRequest reads one request head from the start of b into req and
// returns the head's length. It accepts only what it can answer without
// doubt: GET or HEAD, an origin-form path of plain characters (no query,
// no escapes, no dot segments), HTTP/1.1, CRLF line ends, one Host, valid
// header names and values, and none of the headers that give a request a
// body or change its meaning (Content-Length, Transfer-Encoding, Expect,
// Upgrade, Connection other than keep-alive, Range, conditionals). A GET
// without Content-Length or Transfer-Encoding has no body, so the head's
// end is the request's end: there is no framing to disagree about.
func parseRequest(b []byte, req *request) (int, parseResult) {
	end := bytes.Index(b, crlfcrlf)
	if end < 0 {
		// A bare LF means net/http's leniency applies: let it decide.
		for i := 0; ; i++ {
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				return 0, incomplete
			}
			if i += j; i == 0 || b[i-1] != '\r' {
				return 0, unusual
			}
		}
	}
	n := end + 4
	head := b[:end+2] // every line with its CRLF
	*req = request{}

	line, rest := cutLine(head)
	switch {
	case bytes.HasPrefix(line, []byte("GET ")):
		line = line[4:]
	case bytes.HasPrefix(line, []byte("HEAD ")):
		req.head = true
		line = line[5:]
	default:
		return 0, unusual
	}
	sp := bytes.IndexByte(line, ' ')
	if sp < 0 || string(line[sp+1:]) != "HTTP/1.1" || !plainPath(line[:sp]) {
		return 0, unusual
	}
	req.path = line[:sp]

	sawIMS := false
	for len(rest) > 0 {
		line, rest = cutLine(rest)
		if line == nil {
			return 0, unusual // a bare LF inside the head
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || !token(line[:colon]) {
			return 0, unusual // also catches obs-fold and space before the colon
		}
		name, value := line[:colon], trimOWS(line[colon+1:])
		if !fieldValue(value) {
			return 0, unusual
		}
		switch {
		case equalFold(name, "host"):
			if req.host != nil || !hostValue(value) {
				return 0, unusual
			}
			req.host = value
		case equalFold(name, "cookie"):
			if req.cookie != nil {
				return 0, unusual
			}
			req.cookie = value
		case equalFold(name, "accept-encoding"):
			if req.acceptEncoding != nil {
				return 0, unusual
			}
			req.acceptEncoding = value
		case equalFold(name, "if-none-match"):
			if req.ifNoneMatch != nil {
				return 0, unusual
			}
			req.ifNoneMatch = value
		case equalFold(name, "if-modified-since"):
			sawIMS = true
		case equalFold(name, "connection"):
			if !equalFold(value, "keep-alive") {
				return 0, unusual
			}
		case handedOff(name):
			return 0, unusual
		default:
			if req.nfields == len(req.fields) {
				return 0, unusual
			}
			req.fields[req.nfields] = field{name, value}
			req.nfields++
		}
	}
	if req.host == nil || sawIMS && req.ifNoneMatch == nil {
		return 0, unusual
	}
	return n, parsed
}

var crlfcrlf = []byte("\r\n\r\n")

// maxCookies is net/http's default limit on cookies in a request
// (GODEBUG httpcookiemaxnum).
const maxCookies = 3000

// handedOff names the headers that make net/http take the request: framing
// (a body), protocol changes, and what makes the answer partial or
// conditional in ways only the standard library's ServeContent handles
// (If-None-Match with one entity tag is the fast path's; see answer).
func handedOff(name []byte) bool {
	for _, h := range [...]string{"content-length", "transfer-encoding", "expect", "upgrade", "te", "trailer",
		"range", "if-range", "if-match", "if-unmodified-since"} {
		if equalFold(name, h) {
			return true
		}
	}
	return false
}

// header returns the first value of a header the fast path kept in fields,
// "" when absent, as http.Header.Get would.
func (r *request) header(name string) string {
	for _, f := range r.fields[:r.nfields] {
		if equalFoldFold(f.name, name) {
			return string(f.value)
		}
	}
	return ""
}

// cutLine splits off the first CRLF-terminated line; line is nil when the
// first line ends in a bare LF.
func cutLine(b []byte) (line, rest []byte) {
	i := bytes.IndexByte(b, '\n')
	if i < 1 || b[i-1] != '\r' {
		return nil, nil
	}
	return b[:i-1], b[i+1:]
}

// plainPath accepts an absolute path of unreserved characters, sub-delims,
// ':', '@' and '/', without dot segments: what url.ParseRequestURI returns
// unchanged as URL.Path with no RawPath and no query.
func plainPath(p []byte) bool {
	if len(p) == 0 || p[0] != '/' {
		return false
	}
	for _, c := range p {
		if !pathByte[c] {
			return false
		}
	}
	for seg := p[1:]; ; {
		i := bytes.IndexByte(seg, '/')
		s := seg
		if i >= 0 {
			s = seg[:i]
		}
		if string(s) == "." || string(s) == ".." {
			return false
		}
		if i < 0 {
			return true
		}
		seg = seg[i+1:]
	}
}

var pathByte = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-._~!$&'()*+,;=:@/" {
		t[c] = true
	}
	return t
}()

// token reports whether b is an RFC 9110 token (a valid header name).
func token(b []byte) bool {
	for _, c := range b {
		if !tokenByte[c] {
			return false
		}
	}
	return true
}

var tokenByte = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// fieldValue accepts visible characters, obs-text, spaces and tabs.
func fieldValue(b []byte) bool {
	for _, c := range b {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// hostValue accepts a DNS name or IP literal with an optional port.
func hostValue(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '.', c == ':', c == '[', c == ']', c == '_':
		default:
			return false
		}
	}
	return true
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// equalFold compares b with lower, which must be lower-case ASCII.
func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range len(b) {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// equalFoldFold compares ASCII case-insensitively on both sides.
func equalFoldFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// cookieValue returns the value of the first well-formed cookie called
// name in a Cookie header, as http.Request.Cookie does; nil when none.
func cookieValue(header []byte, name string) []byte {
	if bytes.Count(header, []byte(";")) >= maxCookies {
		return nil // net/http ignores every cookie then
	}
	for len(header) > 0 {
		var part []byte
		if i := bytes.IndexByte(header, ';'); i >= 0 {
			part, header = header[:i], header[i+1:]
		} else {
			part, header = header, nil
		}
		part = trimOWS(part)
		eq := bytes.IndexByte(part, '=')
		if eq < 0 {
			eq = len(part) // a name alone is a cookie with an empty value
		}
		if string(trimOWS(part[:eq])) != name {
			continue
		}
		v := part[min(eq+1, len(part)):]
		if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
			v = v[1 : len(v)-1]
		}
		ok := true
		for _, c := range v {
			if c < 0x20 || c >= 0x7f || c == '"' || c == ';' || c == '\\' {
				ok = false
				break
			}
		}
		if ok {
			return v
		}
	}
	return nil
}
