package node

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/metrics"
)

// MetricsPath is where a node serves its Prometheus metrics.
const MetricsPath = "/metrics"

// MetricsService is the SigV4 service name a signed scrape uses (e.g.
// awscurl --service edgecd). A request signed for another service, such
// as a path-style S3 call for a bucket named "metrics", goes to the API.
const MetricsService = "edgecd"

// nodeMetrics are the counters the node keeps for /metrics besides the
// edge's own (edge.Server.CollectMetrics).
type nodeMetrics struct {
	api  metrics.Requests // by gateway service
	flow flowCounts
}

// flowCounts counts execution status changes as the flow engine reports
// them (flow.Options.OnStatus). The engine delivers each change at least
// once, so a change redelivered after a crash counts twice.
type flowCounts struct {
	mu      sync.Mutex
	started uint64
	ended   map[asl.Status]uint64
}

// onStatus counts x's new status, then calls next (when set).
func (m *nodeMetrics) onStatus(next func(context.Context, flow.Execution)) func(context.Context, flow.Execution) {
	return func(ctx context.Context, x flow.Execution) {
		f := &m.flow
		f.mu.Lock()
		if x.Status == asl.Running {
			f.started++
		} else {
			if f.ended == nil {
				f.ended = map[asl.Status]uint64{}
			}
			f.ended[x.Status]++
		}
		f.mu.Unlock()
		if next != nil {
			next(ctx, x)
		}
	}
}

// apiService is the service label of an API request: the gateway's
// service name when it serves it, "unknown" otherwise (the name comes
// from the client; it must not make new series).
func apiService(name string, served bool) string {
	if !served {
		return "unknown"
	}
	return name
}

func (m *nodeMetrics) collect(e *metrics.Encoder) {
	m.api.Collect(e, "edgecd_api", "service", "AWS-compatible API")
	f := &m.flow
	f.mu.Lock()
	started := f.started
	statuses := make([]string, 0, len(f.ended))
	ended := map[string]uint64{}
	for s, n := range f.ended {
		statuses = append(statuses, string(s))
		ended[string(s)] = n
	}
	f.mu.Unlock()
	sort.Strings(statuses)
	e.Family("edgecd_flow_executions_started_total", metrics.Counter, "State machine executions started.")
	e.Uint(started)
	e.Family("edgecd_flow_executions_ended_total", metrics.Counter, "State machine executions ended, by final status.")
	for _, s := range statuses {
		e.Uint(ended[s], metrics.Label{Name: "status", Value: s})
	}
}

// metricsHandler serves the metrics of the parts this node runs, behind
// the scrape gate.
func (n *Node) metricsHandler(keys iam.KeyStore) http.Handler {
	var cs []metrics.Collector
	if n.Edge != nil {
		cs = append(cs, n.Edge.CollectMetrics)
	}
	if n.cfg.Role != RoleEdge {
		cs = append(cs, n.metrics.collect)
	}
	cs = append(cs, metrics.Runtime)
	return scrapeGate(keys, n.cfg.MetricsToken, time.Now, metrics.Handler(n.cfg.Logger.With("part", "metrics"), cs...))
}

// withMetrics serves GET and HEAD /metrics on the API listener, unless the
// request is signed for an AWS service (see MetricsService), and hands
// everything else to api.
func (n *Node) withMetrics(ctx context.Context, api http.Handler) http.Handler {
	m := n.metricsHandler(iam.NewCachedKeys(ctx, n.Store, keyCacheTTL))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isScrape(r) {
			m.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

func isScrape(r *http.Request) bool {
	if r.URL.Path != MetricsPath || r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	sc, signed := iam.ParseScope(r)
	return !signed || sc.Service == MetricsService
}

// startMetrics serves /metrics alone on Config.MetricsAddr, when set: the
// way to scrape an edge-only node, which has no API listener.
func (n *Node) startMetrics(ctx context.Context) error {
	if n.cfg.MetricsAddr == "" {
		return nil
	}
	ln, err := listen(n.cfg.MetricsAddr, "--metrics-addr")
	if err != nil {
		return err
	}
	n.metricsLn = ln
	mux := http.NewServeMux()
	mux.Handle(MetricsPath, n.metricsHandler(iam.NewCachedKeys(ctx, n.Store, keyCacheTTL)))
	n.serve(ln, mux)
	return nil
}

// MetricsAddr is the address of the --metrics-addr listener ("" without one).
func (n *Node) MetricsAddr() string { return addrOf(n.metricsLn) }

// scrapeGate lets a scrape through when it comes from a loopback address,
// carries Authorization: Bearer with the configured token, or is signed
// with SigV4 by a valid key (any key: metrics reveal traffic, not
// content). Behind a reverse proxy on the same host every request looks
// local: set a token and let the proxy require it.
func scrapeGate(keys iam.KeyStore, token string, now func() time.Time, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		bearer, isBearer := strings.CutPrefix(auth, "Bearer ")
		switch {
		case isBearer:
			if token == "" || subtle.ConstantTimeCompare([]byte(bearer), []byte(token)) != 1 {
				refuse(w, http.StatusUnauthorized, "edgecd: the bearer token does not match --metrics-token")
				return
			}
		case auth != "" || r.URL.Query().Has("X-Amz-Signature"):
			if _, err := iam.Verify(r.Context(), r, keys, now()); err != nil {
				status := http.StatusForbidden
				if !errors.Is(err, iam.ErrAccessDenied) && !errors.As(err, new(*iam.AuthError)) {
					status = http.StatusInternalServerError
				}
				refuse(w, status, "edgecd: the request's signature was not accepted: "+err.Error())
				return
			}
		case !fromLoopback(r):
			refuse(w, http.StatusUnauthorized, "edgecd: metrics are open to loopback clients only; elsewhere send Authorization: Bearer <--metrics-token> or sign the request with SigV4 (service \"edgecd\")")
			return
		}
		h.ServeHTTP(w, r)
	})
}

func refuse(w http.ResponseWriter, status int, msg string) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="edgecd metrics"`)
	}
	http.Error(w, msg, status)
}

func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
