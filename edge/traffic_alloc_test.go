//go:build !race

package edge

import (
	"testing"
	"time"

	"github.com/edgecd/edgecd/cdn"
)

// The request path's counting must stay free of allocations (the fast
// path allocates nothing per hit; see BenchmarkFastPathHit).
func TestTrafficCountingAllocatesNothing(t *testing.T) {
	var c distCounters
	allocs := testing.AllocsPerRun(1000, func() {
		c.sides[cdn.Staging].count(200, 1024, cacheHit, 80*time.Microsecond)
		c.sides[cdn.Primary].count(503, 0, cacheNone, 2*time.Second)
	})
	if allocs != 0 {
		t.Fatalf("counting a request allocates %v times", allocs)
	}
}

// BenchmarkTrafficCount is the per-request cost of the traffic counters.
func BenchmarkTrafficCount(b *testing.B) {
	var c distCounters
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.sides[i&1].count(200, 1024, cacheHit, time.Duration(i&1023)*time.Microsecond)
	}
}
