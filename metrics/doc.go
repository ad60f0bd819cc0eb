// Package metrics keeps the counters edgecd exports and writes them in the
// Prometheus text exposition format (version 0.0.4).
//
// Data enters in two ways: hot paths (the edge, the API gateway) update
// lock-free counters and Latency histograms they own, and at scrape time
// a Handler calls its collectors, which read those counters and write
// families through an Encoder. Nothing here keeps global state: each
// node builds its own Handler from the parts it runs.
package metrics
