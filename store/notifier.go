package store

import "sync"

// Notifier fans committed revisions out to subscribers, as Store.Subscribe
// promises: deliveries are coalesced (a subscriber that has not read yet
// holds only the newest revision) and never go backwards. Backends embed
// one in a field; the zero value is ready to use.
type Notifier struct {
	mu   sync.Mutex
	subs map[int]chan int64
	next int
	last int64 // the newest revision announced
}

// Subscribe implements Store.Subscribe.
func (n *Notifier) Subscribe() (<-chan int64, func()) {
	ch := make(chan int64, 1)
	n.mu.Lock()
	if n.subs == nil {
		n.subs = map[int]chan int64{}
	}
	id := n.next
	n.next++
	n.subs[id] = ch
	n.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			n.mu.Lock()
			delete(n.subs, id)
			n.mu.Unlock()
			close(ch)
		})
	}
}

// Publish announces rev to every subscriber, unless a newer revision was
// announced already (a backend may hear of its own commit twice: once
// locally, once from the database's notification).
func (n *Notifier) Publish(rev int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if rev <= n.last {
		return
	}
	n.last = rev
	for _, ch := range n.subs {
		// Keep only the newest revision: drop a stale pending one.
		select {
		case ch <- rev:
		default:
			select {
			case <-ch:
			default:
			}
			select {
			case ch <- rev:
			default:
			}
		}
	}
}
