//go:build !race

// The race detector's sync.Pool drops entries on purpose, so allocation
// counts are only meaningful without it.

package cdn

import (
	"testing"
	"time"
)

// The edge routes and signs on every request; none of it may allocate, or
// the garbage collector's pauses show up in the edge's tail latency.
func TestRoutingAndCookiesAllocateNothing(t *testing.T) {
	c := NewStickyCodec([]byte("0123456789abcdef0123456789abcdef"))
	p := weightPolicy(0.5, true)
	now := time.Unix(1_700_000_000, 0)
	buf := make([]byte, 0, 256)
	value := c.AppendEncode(nil, "E1", Sticky{Side: Staging, Issued: now, LastSeen: now})
	allocs := testing.AllocsPerRun(1000, func() {
		s, ok := c.DecodeBytes("E1", value)
		if !ok {
			t.Fatal("own cookie refused")
		}
		_, session, set := Route(p, Viewer{Sticky: &s}, now.Add(time.Second), 0.3)
		if !set {
			t.Fatal("sticky policy returned no session")
		}
		buf = c.AppendEncode(buf[:0], "E1", session)
	})
	if allocs != 0 {
		t.Fatalf("decode, route and encode allocate %v times per request, want 0", allocs)
	}
}
