package metrics

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Requests counts HTTP requests by a key (an API's service name) and
// status code, with a Latency histogram per key. Observe takes a lock: an
// API request, which reaches a database, can afford one; the edge's
// viewer path cannot and keeps its own atomics. The key set must be small
// and fixed by the program, never taken verbatim from a client. The zero
// value is ready to use.
type Requests struct {
	mu    sync.Mutex
	byKey map[string]*keyed
}

type keyed struct {
	codes   map[int]uint64
	latency Latency
}

// Observe records one answered request.
func (r *Requests) Observe(key string, code int, d time.Duration) {
	r.mu.Lock()
	if r.byKey == nil {
		r.byKey = map[string]*keyed{}
	}
	k := r.byKey[key]
	if k == nil {
		k = &keyed{codes: map[int]uint64{}}
		r.byKey[key] = k
	}
	k.codes[code]++
	r.mu.Unlock()
	k.latency.Observe(d)
}

// Start begins timing a request: it returns the writer the handler must
// write to, and a function to call when the handler returned, which
// records the status written (200 when the handler wrote nothing) and
// the time taken.
func (r *Requests) Start(w http.ResponseWriter, key string) (http.ResponseWriter, func()) {
	start := time.Now()
	cw := &codeWriter{ResponseWriter: w}
	return cw, func() {
		code := cw.code
		if code == 0 {
			code = http.StatusOK
		}
		r.Observe(key, code, time.Since(start))
	}
}

// Collect writes two families: name_requests_total{label,code} and
// name_request_duration_seconds{label}.
func (r *Requests) Collect(e *Encoder, name, label, help string) {
	type row struct {
		key   string
		codes []int
		n     []uint64
		lat   Buckets
	}
	r.mu.Lock()
	rows := make([]row, 0, len(r.byKey))
	for key, k := range r.byKey {
		rw := row{key: key, lat: k.latency.Snapshot()}
		for c := range k.codes {
			rw.codes = append(rw.codes, c)
		}
		sort.Ints(rw.codes)
		for _, c := range rw.codes {
			rw.n = append(rw.n, k.codes[c])
		}
		rows = append(rows, rw)
	}
	r.mu.Unlock()
	sort.Slice(rows, func(i, j int) bool { return rows[i].key < rows[j].key })
	e.Family(name+"_requests_total", Counter, help+" requests answered, by HTTP status code.")
	for _, rw := range rows {
		for i, c := range rw.codes {
			e.Uint(rw.n[i], Label{label, rw.key}, Label{"code", strconv.Itoa(c)})
		}
	}
	e.Family(name+"_request_duration_seconds", Histogram, help+" request latency, from the request read to the handler's return.")
	for _, rw := range rows {
		e.Histogram(rw.lat, Label{label, rw.key})
	}
}

// codeWriter notes the status a handler writes. It passes Flush and
// ReadFrom (sendfile) through, and Unwrap lets http.ResponseController
// reach the connection's writer.
type codeWriter struct {
	http.ResponseWriter
	code int
}

func (w *codeWriter) WriteHeader(code int) {
	if w.code == 0 && code >= 200 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *codeWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *codeWriter) ReadFrom(src io.Reader) (int64, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if rf, ok := w.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(src)
	}
	return io.Copy(w.ResponseWriter, src)
}

func (w *codeWriter) Flush() {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack keeps a handler that takes over the connection working.
func (w *codeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

func (w *codeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
