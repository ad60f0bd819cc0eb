package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/store"
)

// ListExecutions answers newest first, as the cloud does, so executions
// have a second key in start-time order:
//
//	flow.bystart  <machine ARN>/<math.MaxInt64 - start unix ns, 20 digits>/<name>
//
// written in the transaction that starts the execution; its body is the
// execution ARN. Stores written before the index get it at Run (marked
// done by flow.meta "bystart").
const (
	kindByStart = "flow.bystart"
	kindMeta    = "flow.meta"
)

func byStartKey(machine string, start time.Time, name string) string {
	return fmt.Sprintf("%s/%020d/%s", machine, math.MaxInt64-start.UnixNano(), name)
}

// indexStart records x in the start-time index.
func (t *txn) indexStart(ctx context.Context, x Execution) error {
	return t.kv.put(ctx, kindByStart, byStartKey(x.Machine, x.Start, x.Name), []byte(x.ARN))
}

// Executions lists a machine's executions newest first, after the
// execution ARN after (the last one of the previous page), only those
// with the given status unless it is empty.
func (e *Engine) Executions(ctx context.Context, machineARN string, status asl.Status, after string, limit int) ([]Execution, error) {
	q := store.Query{Prefix: machineARN + "/", Limit: 200}
	if after != "" {
		x, err := e.Execution(ctx, after)
		if err != nil {
			return nil, err
		}
		q.After = byStartKey(x.Machine, x.Start, x.Name)
	}
	var out []Execution
	for {
		recs, err := e.kv.list(ctx, kindByStart, q)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			x, err := e.Execution(ctx, string(r.Body))
			if errors.Is(err, ErrExecutionNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if status != "" && x.Status != status {
				continue
			}
			out = append(out, x)
			if limit > 0 && len(out) == limit {
				return out, nil
			}
		}
		if len(recs) < q.Limit {
			return out, nil
		}
		q.After = recs[len(recs)-1].ID
	}
}

// indexOldExecutions adds the start-time index entries of executions
// started before the index existed, once per store.
func (e *Engine) indexOldExecutions(ctx context.Context) error {
	if _, err := e.kv.get(ctx, kindMeta, "bystart"); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	after := ""
	for {
		recs, err := e.kv.list(ctx, kindExecution, store.Query{After: after, Limit: 500})
		if err != nil {
			return err
		}
		var entries []store.Entry
		for _, r := range recs {
			var x Execution
			if err := json.Unmarshal(r.Body, &x); err != nil {
				continue
			}
			entries = append(entries, store.Entry{ID: byStartKey(x.Machine, x.Start, x.Name), Body: []byte(x.ARN)})
		}
		last := len(recs) < 500
		_, err = e.st.Update(ctx, func(ctx context.Context, tx store.Tx) error {
			kv := txKV(tx)
			if err := kv.putMany(ctx, kindByStart, entries); err != nil {
				return err
			}
			if last {
				return kv.put(ctx, kindMeta, "bystart", []byte("{}"))
			}
			return nil
		})
		if err != nil || last {
			return err
		}
		after = recs[len(recs)-1].ID
	}
}
