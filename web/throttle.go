package web

import (
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Failed logins are limited per client address: after maxFailures within
// failureWindow, logins from that address are refused with 429 until the
// window has passed. Generated secrets cannot be guessed anyway; a secret
// chosen by an operator (--secret-access-key) might be weaker.
const (
	maxFailures   = 10
	failureWindow = 5 * time.Minute
	maxTracked    = 10000 // addresses remembered at most (expired ones go first)
)

type throttle struct {
	mu    sync.Mutex
	fails map[string]*failures
}

type failures struct {
	n     int
	since time.Time
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// check refuses a login from an address that failed too often lately.
func (t *throttle) check(addr string, now time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.fails[addr]
	if f == nil || now.Sub(f.since) >= failureWindow || f.n < maxFailures {
		return nil
	}
	wait := failureWindow - now.Sub(f.since)
	return &apiError{status: http.StatusTooManyRequests, code: "TooManyFailedLogins",
		msg:  "too many failed logins from " + addr + ": try again in " + strconv.Itoa(int(wait.Seconds())+1) + " s",
		hint: "use the keys `edgecd up` printed (they are in up.json in its data directory)"}
}

// fail counts a failed login.
func (t *throttle) fail(addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fails == nil {
		t.fails = map[string]*failures{}
	}
	f := t.fails[addr]
	if f == nil || now.Sub(f.since) >= failureWindow {
		if f == nil && len(t.fails) >= maxTracked {
			t.sweep(now)
		}
		f = &failures{since: now}
		t.fails[addr] = f
	}
	f.n++
}

// succeed forgets an address's failures.
func (t *throttle) succeed(addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, addr)
}

// sweep drops expired entries, and when none has expired, all of them:
// a flood of addresses must not grow the map without bound.
func (t *throttle) sweep(now time.Time) {
	for a, f := range t.fails {
		if now.Sub(f.since) >= failureWindow {
			delete(t.fails, a)
		}
	}
	if len(t.fails) >= maxTracked {
		clear(t.fails)
	}
}
