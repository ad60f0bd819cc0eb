package remote

import (
	"context"
	"sync"
)

// group runs one call per key at a time and gives its result to every
// caller that asked for the key meanwhile (singleflight). The call runs in
// its own goroutine with a context detached from the caller's cancellation,
// so a viewer that goes away does not fail the others waiting on the same
// download; each caller still stops waiting when its own context ends.
type group[T any] struct {
	mu    sync.Mutex
	calls map[string]*call[T]
}

type call[T any] struct {
	done    chan struct{}
	waiters int // callers sharing the call; read by tests
	val     T
	err     error
}

func (g *group[T]) do(ctx context.Context, key string, fn func(context.Context) (T, error)) (T, error) {
	g.mu.Lock()
	if g.calls == nil {
		g.calls = map[string]*call[T]{}
	}
	c, ok := g.calls[key]
	if !ok {
		c = &call[T]{done: make(chan struct{})}
		g.calls[key] = c
		detached := context.WithoutCancel(ctx)
		go func() {
			c.val, c.err = fn(detached)
			g.mu.Lock()
			delete(g.calls, key)
			g.mu.Unlock()
			close(c.done)
		}()
	}
	c.waiters++
	g.mu.Unlock()
	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// waiting is how many callers share the call for key now (0 when none
// runs); tests use it to line callers up without sleeping.
func (g *group[T]) waiting(key string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if c := g.calls[key]; c != nil {
		return c.waiters
	}
	return 0
}
