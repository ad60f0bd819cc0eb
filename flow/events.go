package flow

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/store"
)

// History events are stored one row per execution per transaction, not
// one row per event: a step records about five events (entered, scheduled,
// started, succeeded, exited, ...), and writing them as one row costs one
// B-tree insert instead of five. The row's id is the execution ARN and the
// id of its LAST event, so the rows holding events after id k are exactly
// the rows listed after <ARN>/<k>; its body is a JSON array of the events
// in id order, contiguous, so the first event's id is last-len+1. A body
// that is a single JSON object is one event (the layout before rows).

// eventRows gathers a transaction's history events by execution. Events
// are kept as their wire objects and encoded at flush, in parallel
// (encoding is most of a step's work outside SQLite).
type eventRows struct {
	order []string
	rows  map[string]*eventRow
}

type eventRow struct {
	last   int64
	events []asl.HistoryEvent
}

func (r *eventRows) add(exec string, ev asl.HistoryEvent) {
	if r.rows == nil {
		r.rows = map[string]*eventRow{}
	}
	row := r.rows[exec]
	if row == nil {
		row = &eventRow{}
		r.rows[exec] = row
		r.order = append(r.order, exec)
	}
	row.events = append(row.events, ev)
	row.last = ev.ID
}

// entries encodes one store entry per execution.
func (r *eventRows) entries() ([]store.Entry, error) {
	out := make([]store.Entry, len(r.order))
	err := parallel(len(r.order), func(i int) error {
		exec := r.order[i]
		row := r.rows[exec]
		body := []byte{'['}
		for k, ev := range row.events {
			if k > 0 {
				body = append(body, ',')
			}
			var err error
			if body, err = appendEvent(body, ev); err != nil {
				return fmt.Errorf("encode history of %s: %w", exec, err)
			}
		}
		out[i] = store.Entry{ID: eventKey(exec, row.last), Body: append(body, ']')}
		return nil
	})
	return out, err
}

// appendEvent appends ev as the API's HistoryEvent object, the members of
// asl.HistoryEvent.Wire written directly: a map per event and its sorting
// were a tenth of a step's allocations.
func appendEvent(b []byte, ev asl.HistoryEvent) ([]byte, error) {
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, ev.ID, 10)
	b = append(b, `,"previousEventId":`...)
	b = strconv.AppendInt(b, ev.PreviousEventID, 10)
	b = append(b, `,"timestamp":`...)
	b = strconv.AppendFloat(b, float64(ev.Timestamp.UnixMilli())/1000, 'f', -1, 64)
	b = append(b, `,"type":`...)
	b = appendName(b, ev.Type)
	if ev.DetailsField != "" {
		details, err := json.Marshal(ev.Details)
		if err != nil {
			return nil, err
		}
		b = append(b, ',')
		b = appendName(b, ev.DetailsField)
		b = append(b, ':')
		b = append(b, details...)
	}
	return append(b, '}'), nil
}

// appendName appends an event type or member name as a JSON string; they
// are ASCII identifiers, anything else goes through encoding/json.
func appendName(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// parallel runs fn(0..n-1) on up to GOMAXPROCS goroutines: the commit
// loop is one goroutine, and encoding a batch's records on every core
// shortens the time the store's single writer is held.
func parallel(n int, fn func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n/16)
	if workers <= 1 {
		for i := range n {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				if err := fn(i); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// storedEvent is one history event read back with its id.
type storedEvent struct {
	id   int64
	body json.RawMessage
}

// splitRow returns the events of one stored row.
func splitRow(e store.Entry) ([]storedEvent, error) {
	i := strings.LastIndexByte(e.ID, '/')
	last, err := strconv.ParseInt(e.ID[i+1:], 10, 64)
	if i < 0 || err != nil {
		return nil, fmt.Errorf("history row %q has no event id", e.ID)
	}
	body := bytes.TrimSpace(e.Body)
	if len(body) == 0 || body[0] != '[' {
		return []storedEvent{{id: last, body: body}}, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("history row %q: %w", e.ID, err)
	}
	out := make([]storedEvent, len(list))
	first := last - int64(len(list)) + 1
	for k, ev := range list {
		out[k] = storedEvent{id: first + int64(k), body: ev}
	}
	return out, nil
}
