package edge

import (
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/edgecd/edgecd/cdn"
	"github.com/edgecd/edgecd/store"
)

// Snapshot is one immutable view of every distribution an edge serves.
type Snapshot struct {
	Rev   int64
	hosts map[string]*site
}

// site is what a host name resolves to.
type site struct {
	primary *dist
	policy  *cdn.ContinuousDeploymentPolicyConfig // nil: everyone gets primary
	staging *dist                                 // nil unless policy routes to an existing staging distribution
	// stagingOnly marks the host of a staging distribution, which viewers
	// reach only through its primary.
	stagingOnly bool
	// traffic counts the requests for this site's host; set by Apply
	// (see trafficRegistry.bind), nil in a snapshot not applied.
	traffic *distCounters
}

// routed reports whether the site's policy can send anyone to staging.
func (st *site) routed() bool {
	return st.policy != nil && st.staging != nil && st.staging.enabled
}

// sticky returns the policy's session stickiness, nil when it has none.
func (st *site) sticky() *cdn.SessionStickinessConfig {
	if tc := st.policy.TrafficConfig; tc != nil && tc.SingleWeightConfig != nil {
		return tc.SingleWeightConfig.SessionStickinessConfig
	}
	return nil
}

// dist is a distribution compiled for serving.
type dist struct {
	id, domain string
	arn        string
	enabled    bool
	rootObject string
	rootPath   string // "/" + rootObject, "" when there is none
	origins    map[string]*origin
	behaviors  []behavior // ordered cache behaviors, then the default
	errors     map[int]cdn.CustomErrorResponse
}

type origin struct {
	id     string
	bucket string // local bucket; "" for a custom origin
	path   string // OriginPath, "" or "/x"
	base   *url.URL
}

type behavior struct {
	pattern string // "" for the default behavior
	origin  *origin
	// keyPrefix starts the cache key of every object this behavior serves
	// (see cacheKey).
	keyPrefix string
	compress  bool
	ttl       ttlPolicy
	methods   map[string]bool
}

// ttlPolicy bounds how long an object stays cached, as a cache policy does.
type ttlPolicy struct{ min, def, max int64 }

// Managed cache policies CloudFront users reference by id.
const (
	CachingOptimized = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	CachingDisabled  = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
)

var managedTTL = map[string]ttlPolicy{
	CachingOptimized:                       {1, 86400, 31536000},
	CachingDisabled:                        {0, 0, 0},
	"b2884449-e4de-46a7-ac36-70bc7f1ddd6d": {1, 86400, 31536000}, // CachingOptimizedForUncompressedObjects
}

// BuildSnapshot compiles distribution and policy records into a snapshot.
// A record that cannot be compiled is skipped and reported, never half
// applied: the other distributions keep serving.
func BuildSnapshot(rev int64, recs []store.Record) (*Snapshot, []error) {
	var errs []error
	dists := map[string]*cdn.Distribution{}
	policies := map[string]*cdn.ContinuousDeploymentPolicyConfig{}
	for _, r := range recs {
		switch r.Kind {
		case cdn.KindDistribution:
			var d cdn.Distribution
			if err := json.Unmarshal(r.Body, &d); err != nil {
				errs = append(errs, fmt.Errorf("distribution %s: %w", r.ID, err))
				continue
			}
			dists[d.Id] = &d
		case cdn.KindPolicy:
			var p cdn.ContinuousDeploymentPolicy
			if err := json.Unmarshal(r.Body, &p); err != nil {
				errs = append(errs, fmt.Errorf("policy %s: %w", r.ID, err))
				continue
			}
			policies[p.Id] = &p.ContinuousDeploymentPolicyConfig
		}
	}
	byDomain := map[string]*dist{}
	compiled := map[string]*dist{}
	for id, d := range dists {
		c, err := compile(d)
		if err != nil {
			errs = append(errs, fmt.Errorf("distribution %s: %w", id, err))
			continue
		}
		compiled[id] = c
		byDomain[strings.ToLower(d.DomainName)] = c
	}
	s := &Snapshot{Rev: rev, hosts: map[string]*site{}}
	for id, d := range dists {
		c := compiled[id]
		if c == nil {
			continue
		}
		cfg := &d.DistributionConfig
		if cfg.Staging != nil && *cfg.Staging {
			s.hosts[c.domain] = &site{primary: c, stagingOnly: true}
			continue
		}
		st := &site{primary: c}
		if p := policies[cfg.ContinuousDeploymentPolicyId]; p != nil {
			st.policy = p
			for _, name := range p.StagingDistributionDnsNames.Items {
				st.staging = byDomain[strings.ToLower(name)]
			}
		}
		s.hosts[c.domain] = st
		if cfg.Aliases != nil {
			for _, a := range cfg.Aliases.Items {
				s.hosts[strings.ToLower(a)] = st
			}
		}
	}
	return s, errs
}

func compile(d *cdn.Distribution) (*dist, error) {
	cfg := &d.DistributionConfig
	c := &dist{
		id:         d.Id,
		arn:        d.ARN,
		domain:     strings.ToLower(d.DomainName),
		enabled:    cfg.Enabled,
		rootObject: cfg.DefaultRootObject,
		origins:    map[string]*origin{},
		errors:     map[int]cdn.CustomErrorResponse{},
	}
	if c.rootObject != "" {
		c.rootPath = "/" + c.rootObject
	}
	for _, o := range cfg.Origins.Items {
		org := &origin{id: o.Id, path: o.OriginPath}
		if b, ok := cdn.OriginBucket(o.DomainName); ok && o.CustomOriginConfig == nil {
			org.bucket = b
		} else {
			u, err := customOriginURL(o)
			if err != nil {
				return nil, fmt.Errorf("origin %s: %w", o.Id, err)
			}
			org.base = u
		}
		c.origins[o.Id] = org
	}
	addBehavior := func(pattern, target, cachePolicy string, compress *bool, minTTL, defTTL, maxTTL *int64, allowed *cdn.AllowedMethods) error {
		o := c.origins[target]
		if o == nil {
			return fmt.Errorf("behavior %q targets unknown origin %q", pattern, target)
		}
		b := behavior{pattern: pattern, origin: o, keyPrefix: keyPrefix(c, o), compress: compress != nil && *compress, methods: map[string]bool{"GET": true, "HEAD": true}}
		if allowed != nil {
			for _, m := range allowed.Items {
				b.methods[m] = true
			}
		}
		if t, ok := managedTTL[cachePolicy]; ok {
			b.ttl = t
		} else if cachePolicy != "" {
			b.ttl = managedTTL[CachingOptimized]
		} else {
			b.ttl = ttlPolicy{deref(minTTL, 0), deref(defTTL, 86400), deref(maxTTL, 31536000)}
		}
		c.behaviors = append(c.behaviors, b)
		return nil
	}
	if cfg.CacheBehaviors != nil {
		for _, cb := range cfg.CacheBehaviors.Items {
			if err := addBehavior(cb.PathPattern, cb.TargetOriginId, cb.CachePolicyId, cb.Compress, cb.MinTTL, cb.DefaultTTL, cb.MaxTTL, cb.AllowedMethods); err != nil {
				return nil, err
			}
		}
	}
	db := cfg.DefaultCacheBehavior
	if err := addBehavior("", db.TargetOriginId, db.CachePolicyId, db.Compress, db.MinTTL, db.DefaultTTL, db.MaxTTL, db.AllowedMethods); err != nil {
		return nil, err
	}
	if cfg.CustomErrorResponses != nil {
		for _, e := range cfg.CustomErrorResponses.Items {
			c.errors[int(e.ErrorCode)] = e
		}
	}
	return c, nil
}

func deref(p *int64, def int64) int64 {
	if p == nil {
		return def
	}
	return *p
}

func customOriginURL(o cdn.Origin) (*url.URL, error) {
	scheme, port := "https", int32(443)
	if co := o.CustomOriginConfig; co != nil {
		switch co.OriginProtocolPolicy {
		case "http-only":
			scheme, port = "http", co.HTTPPort
		default:
			port = co.HTTPSPort
		}
	}
	host := o.DomainName
	if port != 0 && !((scheme == "http" && port == 80) || (scheme == "https" && port == 443)) {
		host = net.JoinHostPort(host, strconv.Itoa(int(port)))
	}
	u := &url.URL{Scheme: scheme, Host: host}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("origin domain %q is empty", o.DomainName)
	}
	return u, nil
}

// lookup finds the site for a Host header value (port ignored).
func (s *Snapshot) lookup(host string) *site {
	return lookupHost(s.hosts, host)
}

// lookupHost is the lookup for a Host value held as a string or as bytes
// in a read buffer; the common case (a lower-case name) allocates nothing.
func lookupHost[T ~string | ~[]byte](hosts map[string]*site, host T) *site {
	host = stripPort(host)
	if st, ok := hosts[string(host)]; ok {
		return st
	}
	if n := len(host); n > 0 && host[n-1] == '.' {
		host = host[:n-1]
	}
	var buf [256]byte
	if len(host) > len(buf) {
		return nil // longer than any DNS name
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return hosts[string(buf[:len(host)])]
}

// stripPort drops a ":port" suffix the way net.SplitHostPort would, without
// allocating an error for the usual host without a port.
func stripPort[T ~string | ~[]byte](host T) T {
	n := len(host)
	if n > 0 && host[0] == '[' { // [v6]:port or [v6]
		for i := 1; i < n; i++ {
			if host[i] == ']' {
				if i+1 == n || host[i+1] == ':' {
					return host[1:i]
				}
				return host
			}
		}
		return host
	}
	colon := -1
	for i := 0; i < n; i++ {
		if host[i] == ':' {
			if colon >= 0 {
				return host // several colons: a bare IPv6 address, no port
			}
			colon = i
		}
	}
	if colon < 0 {
		return host
	}
	return host[:colon]
}

// behaviorFor picks the first cache behavior whose pattern matches path,
// else the default behavior.
func (d *dist) behaviorFor(path string) *behavior {
	last := len(d.behaviors) - 1
	for i := 0; i < last; i++ {
		if cdn.MatchPath(d.behaviors[i].pattern, path) {
			return &d.behaviors[i]
		}
	}
	return &d.behaviors[last]
}
