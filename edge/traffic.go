package edge

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/metrics"
)

// SideTraffic is what one side (primary or staging) of a distribution has
// served since the edge started.
type SideTraffic struct {
	Requests, Status2xx, Status3xx, Status4xx, Status5xx, Bytes, Hits, Misses uint64
	LatencySum                                                                time.Duration // sum of latencies, for a mean
	// Latency is the latency histogram behind LatencySum.
	Latency metrics.Buckets
}

// DistTraffic is the traffic of one distribution, by the side that served
// it. A viewer routed to staging counts on the primary's Staging side: it
// asked for the primary's host.
type DistTraffic struct {
	DistributionID   string
	Primary, Staging SideTraffic
}

// Traffic returns cumulative counters for every distribution this edge has
// served (or has had in a snapshot), sorted by id. Staging distributions
// have no entry of their own: their traffic is their primary's Staging.
func (s *Server) Traffic() []DistTraffic {
	return s.traffic.read()
}

// sideCounters are one side's counters. Requests update them with atomic
// adds only: no lock, no allocation.
type sideCounters struct {
	requests, bytes, hits, misses atomic.Uint64
	status                        [6]atomic.Uint64 // by status/100; 0 and 1 unused
	latency                       metrics.Latency
}

// distCounters are one distribution's counters, by cdn.Side.
type distCounters struct {
	id    string
	sides [2]sideCounters
}

// cacheResult says whether a request was answered from the cache.
type cacheResult uint8

const (
	cacheNone cacheResult = iota // an error page, or no cache involved
	cacheHit
	cacheMiss
)

// count records one answered request.
func (c *sideCounters) count(status int, bytes int64, cr cacheResult, latency time.Duration) {
	c.requests.Add(1)
	if status == 0 {
		status = 200 // the handler wrote nothing; net/http sends 200
	}
	if k := status / 100; k >= 2 && k < len(c.status) {
		c.status[k].Add(1)
	}
	if bytes > 0 {
		c.bytes.Add(uint64(bytes))
	}
	switch cr {
	case cacheHit:
		c.hits.Add(1)
	case cacheMiss:
		c.misses.Add(1)
	}
	c.latency.Observe(latency)
}

func (c *sideCounters) read() SideTraffic {
	lat := c.latency.Snapshot()
	return SideTraffic{
		Requests: c.requests.Load(), Bytes: c.bytes.Load(), Hits: c.hits.Load(), Misses: c.misses.Load(),
		Status2xx: c.status[2].Load(), Status3xx: c.status[3].Load(),
		Status4xx: c.status[4].Load(), Status5xx: c.status[5].Load(),
		LatencySum: lat.Sum, Latency: lat,
	}
}

// trafficRegistry holds every distribution's counters by id. It outlives
// snapshots: Apply binds each site of a new snapshot to its primary's
// counters, so requests reach them through the site they already looked
// up, and a config change does not reset them.
type trafficRegistry struct {
	mu   sync.Mutex
	byID map[string]*distCounters
}

func (t *trafficRegistry) counters(id string) *distCounters {
	if t.byID == nil {
		t.byID = map[string]*distCounters{}
	}
	c := t.byID[id]
	if c == nil {
		c = &distCounters{id: id}
		t.byID[id] = c
	}
	return c
}

func (t *trafficRegistry) read() []DistTraffic {
	t.mu.Lock()
	all := make([]*distCounters, 0, len(t.byID))
	for _, c := range t.byID {
		all = append(all, c)
	}
	t.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].id < all[j].id })
	out := make([]DistTraffic, len(all))
	for i, c := range all {
		out[i] = DistTraffic{DistributionID: c.id,
			Primary: c.sides[cdn.Primary].read(), Staging: c.sides[cdn.Staging].read()}
	}
	return out
}

// bind returns a copy of snap whose sites point at their counters. The
// caller's snapshot is left as it was (it may be applied to several
// servers); sites shared by a domain and its aliases stay shared.
func (t *trafficRegistry) bind(snap *Snapshot) *Snapshot {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := &Snapshot{Rev: snap.Rev, hosts: make(map[string]*site, len(snap.hosts))}
	bound := map[*site]*site{}
	for host, st := range snap.hosts {
		b := bound[st]
		if st.stagingOnly {
			// Viewers reach a staging distribution through its primary,
			// which counts them; asked directly, it refuses them.
			b = st
		} else if b == nil {
			cp := *st
			cp.traffic = t.counters(st.primary.id)
			b = &cp
			bound[st] = b
		}
		out.hosts[host] = b
	}
	return out
}
