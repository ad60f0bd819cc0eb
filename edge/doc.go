// Package edge is edgecd's data plane: the HTTP server viewers talk to.
//
// Per request: Host (domain or alias) -> distribution -> continuous
// deployment decision (cdn.Route) -> cache behavior -> cache -> origin.
// Configuration lives in an immutable Snapshot swapped atomically by the
// Watcher, which follows the store's revision, purges invalidated paths and
// acknowledges each revision it applied; the request path itself never
// takes a lock for configuration and never touches the database.
//
// Origins are local buckets (an S3 origin whose DomainName names a bucket,
// read from objstore as plain files) or custom HTTP origins. Cached objects
// are kept in memory (cache.go), keyed by the serving distribution and its
// origin, so primary and staging never share an entry.
//
// Viewers reach the Server through Listen: a fast path of our own answers
// plain GET/HEAD cache hits on keep-alive connections with prebuilt header
// blocks (fastpath.go, request.go, head.go) and hands every other
// connection, with the bytes it read, to net/http and ServeHTTP, which
// implement everything (docs/decisions/0091-edge-http-fast-path.md).
//
// Both paths count each answered request under the distribution whose host
// was asked for and the side that served it (traffic.go): atomic counters
// bound to the snapshot's sites when it is applied, read by Traffic and
// written for Prometheus by CollectMetrics (docs/decisions/0151-metrics.md).
package edge
