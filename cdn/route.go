package cdn

import (
	"strings"
	"time"
)

// Side is where a request is served from.
type Side uint8

const (
	Primary Side = iota
	Staging
)

func (s Side) String() string {
	if s == Staging {
		return "staging"
	}
	return "primary"
}

// Header prefix CloudFront requires for SingleHeader policies.
const HeaderPrefix = "aws-cf-cd-"

// Policy types as the wire has them.
const (
	SingleHeader = "SingleHeader"
	SingleWeight = "SingleWeight"
)

// Viewer is what routing needs to know about a request.
type Viewer struct {
	// Header returns a request header's value ("" when absent).
	Header func(name string) string
	// Sticky is the viewer's verified session-stickiness state, nil when the
	// request carried no valid cookie.
	Sticky *Sticky
}

// Route picks the side that serves a request under policy p. It does no I/O
// and reads no clock: now and the random draw in [0,1) come from the
// caller, so tests can pin them. When set is true, session is the state to
// hand back to the viewer in a cookie (new or refreshed). Nothing escapes
// to the heap: the edge calls this on every request.
//
// A nil or disabled policy sends everyone to the primary. SingleHeader sends
// a request to staging when its header equals the configured value exactly.
// SingleWeight draws new viewers to staging with probability Weight; with
// SessionStickinessConfig the outcome is kept until the viewer has been idle
// for IdleTTL seconds or the session is MaximumTTL seconds old.
func Route(p *ContinuousDeploymentPolicyConfig, v Viewer, now time.Time, draw float64) (side Side, session Sticky, set bool) {
	if p == nil || !p.Enabled || p.TrafficConfig == nil {
		return Primary, Sticky{}, false
	}
	tc := p.TrafficConfig
	switch tc.Type {
	case SingleHeader:
		h := tc.SingleHeaderConfig
		if h == nil || v.Header == nil {
			return Primary, Sticky{}, false
		}
		if got := v.Header(h.Header); got != "" && got == h.Value {
			return Staging, Sticky{}, false
		}
		return Primary, Sticky{}, false
	case SingleWeight:
		w := tc.SingleWeightConfig
		if w == nil {
			return Primary, Sticky{}, false
		}
		sc := w.SessionStickinessConfig
		if sc != nil && v.Sticky != nil && v.Sticky.Valid(sc, now) {
			kept := *v.Sticky
			kept.LastSeen = now
			return kept.Side, kept, true
		}
		side = Primary
		if draw < w.Weight {
			side = Staging
		}
		if sc == nil {
			return side, Sticky{}, false
		}
		return side, Sticky{Side: side, Issued: now, LastSeen: now}, true
	}
	return Primary, Sticky{}, false
}

// IsStagingHeader reports whether name is acceptable as a SingleHeader
// header name (CloudFront: it must start with "aws-cf-cd-").
func IsStagingHeader(name string) bool {
	return len(name) > len(HeaderPrefix) && strings.HasPrefix(strings.ToLower(name), HeaderPrefix)
}
