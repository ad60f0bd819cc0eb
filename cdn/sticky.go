package cdn

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strconv"
	"strings"
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
type StickyCodec struct {
	Key []byte
	// macs reuses keyed HMAC states: keying one costs two SHA-256 blocks,
	// a tenth of an edge's CPU for new viewers. Nil (a literal
	// StickyCodec{Key: k}) keys a new one per call.
	macs *sync.Pool
}

// NewStickyCodec returns a codec for key that reuses its HMAC states; use it
// where cookies are made and checked per request.
func NewStickyCodec(key []byte) StickyCodec {
	return StickyCodec{Key: key, macs: &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

// Encode returns the cookie value for s within scope.
func (c StickyCodec) Encode(scope string, s Sticky) string {
	payload := strconv.Itoa(int(s.Side)) + "." + strconv.FormatInt(s.Issued.Unix(), 10) + "." + strconv.FormatInt(s.LastSeen.Unix(), 10)
	return payload + "." + c.mac(scope, payload)
}

// Decode verifies a cookie value and returns its state; ok is false for
// anything malformed, tampered with, or minted for another scope.
func (c StickyCodec) Decode(scope, value string) (s Sticky, ok bool) {
	if len(value) > 256 {
		return Sticky{}, false
	}
	i := strings.LastIndexByte(value, '.')
	if i < 0 {
		return Sticky{}, false
	}
	payload, sig := value[:i], value[i+1:]
	if !hmac.Equal([]byte(sig), []byte(c.mac(scope, payload))) {
		return Sticky{}, false
	}
	parts := strings.Split(payload, ".")
	if len(parts) != 3 {
		return Sticky{}, false
	}
	side, err1 := strconv.Atoi(parts[0])
	issued, err2 := strconv.ParseInt(parts[1], 10, 64)
	seen, err3 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || (side != int(Primary) && side != int(Staging)) {
		return Sticky{}, false
	}
	return Sticky{Side: Side(side), Issued: time.Unix(issued, 0), LastSeen: time.Unix(seen, 0)}, true
}

func (c StickyCodec) mac(scope, payload string) string {
	var m hash.Hash
	if c.macs != nil {
		m = c.macs.Get().(hash.Hash)
		m.Reset()
		defer c.macs.Put(m)
	} else {
		m = hmac.New(sha256.New, c.Key)
	}
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write([]byte(payload))
	var sum [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(m.Sum(sum[:0])[:18])
}
