package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/edgecd/edgecd/store"
)

// Status changes (Options.OnStatus) are delivered at least once through an
// outbox: the transaction that starts or ends an execution also writes a
// flow.status entry holding the execution's summary, and after the commit
// a notifier goroutine calls OnStatus for the entries in key order and
// deletes them. A crash between the commit and the delete delivers again
// after restart; the engine's commit loop never waits for OnStatus.
//
//	flow.status  <unix ns, 20 digits>/<execution ARN>/<status>
const kindStatus = "flow.status"

// statusChanged records a status change of x in the outbox (only when
// somebody listens).
func (t *txn) statusChanged(ctx context.Context, x Execution) error {
	if t.e.opt.OnStatus == nil {
		return nil
	}
	body, err := json.Marshal(&x)
	if err != nil {
		return fmt.Errorf("encode status of %s: %w", x.ARN, err)
	}
	// Keys grow strictly within this process even when the clock stands
	// still (tests) or steps back, so the outbox is read in commit order.
	seq := max(t.now.UnixNano(), t.e.statusSeq+1)
	t.e.statusSeq = seq
	k := fmt.Sprintf("%020d/%s/%s", seq, x.ARN, x.Status)
	if err := t.kv.put(ctx, kindStatus, k, body); err != nil {
		return err
	}
	t.status = true
	return nil
}

func (e *Engine) signalStatus() {
	select {
	case e.statusWake <- struct{}{}:
	default:
	}
}

// statusLoop delivers the outbox to OnStatus until ctx is done. It starts
// by delivering what a previous run left.
func (e *Engine) statusLoop(ctx context.Context) {
	if e.opt.OnStatus == nil {
		return
	}
	for {
		n, err := e.deliverStatus(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			e.log.Error("flow: delivering status changes", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-e.clock.At(e.clock.Now().Add(time.Second)):
			}
			continue
		}
		if n > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-e.statusWake:
		}
	}
}

// deliverStatus hands one page of the outbox to OnStatus, then deletes it.
func (e *Engine) deliverStatus(ctx context.Context) (int, error) {
	recs, err := e.kv.list(ctx, kindStatus, store.Query{Limit: 256})
	if err != nil || len(recs) == 0 {
		return 0, err
	}
	for _, r := range recs {
		var x Execution
		if err := json.Unmarshal(r.Body, &x); err != nil {
			e.log.Error("flow: dropping an unreadable status change", "id", r.ID, "err", err)
			continue
		}
		e.opt.OnStatus(ctx, x)
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
	}
	_, err = e.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
		kv := txKV(tx)
		for _, r := range recs {
			if _, err := kv.del(ctx, kindStatus, r.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return len(recs), err
}
