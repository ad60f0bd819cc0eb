package metrics

import (
	"sync/atomic"
	"time"
)

// latencyBounds are the upper bounds of a Latency histogram's buckets.
// They span what an edge sees: a cached hit answered in tens of
// microseconds up to a slow origin fetch of seconds; anything slower
// lands in +Inf.
var latencyBounds = [...]time.Duration{
	100 * time.Microsecond, 250 * time.Microsecond, 500 * time.Microsecond,
	time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second,
}

// LatencyBounds returns the upper bounds of a Latency histogram's buckets,
// smallest first (the +Inf bucket is implied).
func LatencyBounds() []time.Duration {
	return append([]time.Duration(nil), latencyBounds[:]...)
}

// Latency is a histogram of durations over fixed buckets (LatencyBounds).
// Its zero value is ready to use; Observe takes no lock and allocates
// nothing, so it can sit on a request path. It must not be copied after
// first use.
type Latency struct {
	counts [len(latencyBounds) + 1]atomic.Uint64 // per bucket, not cumulative; the last is +Inf
	sum    atomic.Int64                          // nanoseconds
}

// Observe records one duration; a negative one (a clock that stepped back)
// counts as zero.
func (h *Latency) Observe(d time.Duration) {
	d = max(d, 0)
	i := 0
	for i < len(latencyBounds) && d > latencyBounds[i] {
		i++
	}
	h.counts[i].Add(1)
	h.sum.Add(int64(d))
}

// Snapshot reads the histogram. Count is the sum of the buckets read, so
// the +Inf bucket always equals Count even while observations land.
func (h *Latency) Snapshot() Buckets {
	b := Buckets{Bounds: LatencyBounds(), Counts: make([]uint64, len(latencyBounds))}
	var n uint64
	for i := range h.counts {
		n += h.counts[i].Load()
		if i < len(b.Counts) {
			b.Counts[i] = n
		}
	}
	b.Count = n
	b.Sum = time.Duration(h.sum.Load())
	return b
}

// Buckets is a histogram read at one moment, in the shape the exposition
// format wants: Counts[i] is the number of observations <= Bounds[i]
// (cumulative), Count the number of all of them.
type Buckets struct {
	Bounds []time.Duration
	Counts []uint64
	Count  uint64
	Sum    time.Duration
}
