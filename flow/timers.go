package flow

import (
	"context"
	"time"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/store"
)

// timerLoop fires due timers. Timers are records keyed by due time, so the
// due ones are the first records of a prefix scan. Firing consumes the
// record in the same transaction as the step, so a timer fires at most once
// even when several nodes scan: no lease is needed for them.
func (e *Engine) timerLoop(ctx context.Context) {
	for {
		recs, err := e.kv.list(ctx, kindTimer, store.Query{Limit: 512})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			e.log.Error("flow: listing timers", "err", err)
		}
		now := e.clock.Now()
		var due []*input
		var next time.Time
		for _, r := range recs {
			at, exec, id, ok := parseTimerKey(r.ID)
			if !ok {
				continue
			}
			if at.After(now) {
				next = at
				break
			}
			due = append(due, &input{exec: exec, ev: asl.TimerFired{TimerID: id}, timer: r.ID, reply: make(chan result, 1)})
		}
		if len(due) > 0 {
			for _, in := range due {
				select {
				case e.inbox <- in:
				case <-ctx.Done():
					return
				}
			}
			for _, in := range due {
				select {
				case <-in.reply:
				case <-ctx.Done():
					return
				}
			}
			continue
		}
		var at <-chan time.Time
		if !next.IsZero() {
			at = e.clock.At(next)
		} else if err != nil {
			at = e.clock.At(now.Add(time.Second))
		}
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
		case <-at:
		}
	}
}

func epochMillis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return float64(t.UnixMilli()) / 1000
}
