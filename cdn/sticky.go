package cdn

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strconv"
	"sync"
	"time"
)

// StickyCookie is the cookie CloudFront uses to keep a viewer on its side.
const StickyCookie = "x-amz-continuous-deployment-state"

// Sticky is a viewer's session-stickiness state.
type Sticky struct {
	Side     Side
	Issued   time.Time // when the side was drawn
	LastSeen time.Time // the viewer's latest request
}

// Valid reports whether the session is still alive under sc at now.
func (s *Sticky) Valid(sc *SessionStickinessConfig, now time.Time) bool {
	if now.Before(s.Issued) || now.Before(s.LastSeen) {
		return false // from the future: forged or a clock jump; redraw
	}
	if now.Sub(s.LastSeen) >= time.Duration(sc.IdleTTL)*time.Second {
		return false
	}
	return now.Sub(s.Issued) < time.Duration(sc.MaximumTTL)*time.Second
}

// StickyCodec signs and verifies sticky cookies. The MAC covers the scope
// (the primary distribution's id), so a cookie minted for one distribution
// is worthless for another, and a viewer cannot edit its side.
//
// A cookie value is "<side>.<issued unix>.<last seen unix>.<mac>", the MAC
// being the first 18 bytes of HMAC-SHA256(key, scope NUL payload) in
// unpadded base64url.
type StickyCodec struct {
	Key []byte
	// macs reuses keyed HMAC states: keying one costs two SHA-256 blocks,
	// a tenth of an edge's CPU for new viewers. Nil (a literal
	// StickyCodec{Key: k}) keys a new one per call.
	macs *sync.Pool
}

// macState is an HMAC with the scratch space one signature needs, so that
// signing allocates nothing.
type macState struct {
	h   hash.Hash
	in  []byte
	sum [sha256.Size]byte
}

// macLen is how many bytes of the HMAC a cookie carries, and macText the
// length of their base64url text.
const (
	macLen  = 18
	macText = macLen / 3 * 4
)

// NewStickyCodec returns a codec for key that reuses its HMAC states; use it
// where cookies are made and checked per request.
func NewStickyCodec(key []byte) StickyCodec {
	return StickyCodec{Key: key, macs: &sync.Pool{New: func() any { return &macState{h: hmac.New(sha256.New, key)} }}}
}

// Encode returns the cookie value for s within scope.
func (c StickyCodec) Encode(scope string, s Sticky) string {
	return string(c.AppendEncode(nil, scope, s))
}

// AppendEncode appends the cookie value for s within scope to dst. With a
// codec from NewStickyCodec it allocates nothing beyond growing dst.
func (c StickyCodec) AppendEncode(dst []byte, scope string, s Sticky) []byte {
	start := len(dst)
	dst = strconv.AppendInt(dst, int64(s.Side), 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, s.Issued.Unix(), 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, s.LastSeen.Unix(), 10)
	var text [macText]byte
	c.mac(&text, scope, dst[start:])
	dst = append(dst, '.')
	return append(dst, text[:]...)
}

// Decode verifies a cookie value and returns its state; ok is false for
// anything malformed, tampered with, or minted for another scope.
func (c StickyCodec) Decode(scope, value string) (s Sticky, ok bool) {
	return c.DecodeBytes(scope, []byte(value))
}

// DecodeBytes is Decode for a value still in a request's buffer; it
// allocates nothing.
func (c StickyCodec) DecodeBytes(scope string, value []byte) (s Sticky, ok bool) {
	if len(value) > 256 {
		return Sticky{}, false
	}
	i := bytes.LastIndexByte(value, '.')
	if i < 0 {
		return Sticky{}, false
	}
	payload, sig := value[:i], value[i+1:]
	var text [macText]byte
	c.mac(&text, scope, payload)
	if !hmac.Equal(sig, text[:]) {
		return Sticky{}, false
	}
	side, rest, ok1 := cutInt(payload)
	issued, rest, ok2 := cutInt(rest)
	seen, rest, ok3 := cutInt(rest)
	if !ok1 || !ok2 || !ok3 || len(rest) != 0 || (side != int64(Primary) && side != int64(Staging)) {
		return Sticky{}, false
	}
	return Sticky{Side: Side(side), Issued: time.Unix(issued, 0), LastSeen: time.Unix(seen, 0)}, true
}

// cutInt parses the decimal integer (optionally negative, at most 18
// digits) that b starts with, up to a '.' or the end, and returns it with
// what follows the dot.
func cutInt(b []byte) (n int64, rest []byte, ok bool) {
	field, rest, _ := bytes.Cut(b, []byte{'.'})
	neg := len(field) > 0 && field[0] == '-'
	if neg {
		field = field[1:]
	}
	if len(field) == 0 || len(field) > 18 {
		return 0, nil, false
	}
	for _, d := range field {
		if d < '0' || d > '9' {
			return 0, nil, false
		}
		n = n*10 + int64(d-'0')
	}
	if neg {
		n = -n
	}
	return n, rest, true
}

// mac writes the base64url text of payload's MAC within scope to text.
func (c StickyCodec) mac(text *[macText]byte, scope string, payload []byte) {
	var m *macState
	if c.macs != nil {
		m = c.macs.Get().(*macState)
		m.h.Reset()
		defer c.macs.Put(m)
	} else {
		m = &macState{h: hmac.New(sha256.New, c.Key)}
	}
	m.in = append(append(append(m.in[:0], scope...), 0), payload...)
	m.h.Write(m.in)
	base64.RawURLEncoding.Encode(text[:], m.h.Sum(m.sum[:0])[:macLen])
}
