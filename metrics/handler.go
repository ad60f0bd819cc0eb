package metrics

import (
	"bytes"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/metrics"
)

// Collector writes metric families at scrape time.
type Collector func(*Encoder)

// Handler serves the families its collectors write, in the order given,
// at every GET or HEAD. A collector that makes the encoding fail (a bad
// name, a family written twice) gets a 500 and a log line: a scraper
// must never read a half-written exposition.
func Handler(log *slog.Logger, collectors ...Collector) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "metrics: use GET", http.StatusMethodNotAllowed)
			return
		}
		var buf bytes.Buffer
		e := NewEncoder(&buf)
		for _, c := range collectors {
			c(e)
		}
		if err := e.Flush(); err != nil {
			log.Error("metrics exposition failed", "err", err)
			http.Error(w, "metrics: the exposition could not be written; see the server log", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", ContentType)
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodGet {
			w.Write(buf.Bytes())
		}
	})
}

// Runtime writes the Go runtime's basics under the names client_golang
// uses, so stock dashboards find them: goroutines and live heap bytes.
// It reads runtime/metrics, which does not stop the world.
func Runtime(e *Encoder) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	e.Family("go_goroutines", Gauge, "Number of goroutines that currently exist.")
	e.Uint(uint64(runtime.NumGoroutine()))
	if s[0].Value.Kind() == metrics.KindUint64 {
		e.Family("go_memstats_heap_alloc_bytes", Gauge, "Number of heap bytes allocated and still in use.")
		e.Uint(s[0].Value.Uint64())
	}
}
