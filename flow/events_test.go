package flow

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/edgecd/edgecd/asl"
	"github.com/edgecd/edgecd/store"
)

func eventIDs(t *testing.T, evs []json.RawMessage) []int64 {
	t.Helper()
	var ids []int64
	for _, raw := range evs {
		var ev struct{ ID int64 }
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
	}
	return ids
}

// A step's events share one stored row; paging must still cut inside it.
func TestHistoryPagesInsideARow(t *testing.T) {
	h := newHarness(t, Options{})
	m := h.machine("passes", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"C"},"C":{"Type":"Pass","End":true}}}`)
	x := h.wait(h.start(m, "p", `{}`).ARN)
	all, err := h.e.History(h.ctx, x.ARN, 0, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := eventIDs(t, all); !slices.Equal(got, []int64{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Fatalf("ids %v", got)
	}
	rows, _ := h.db.ListEntries(h.ctx, kindEvent, store.Query{Prefix: x.ARN + "/"})
	if len(rows) != 1 {
		t.Fatalf("%d rows for one step's events, want 1", len(rows))
	}
	tests := []struct {
		name    string
		after   int64
		limit   int
		reverse bool
		want    []int64
	}{
		{"first page", 0, 3, false, []int64{1, 2, 3}},
		{"next page inside the row", 3, 3, false, []int64{4, 5, 6}},
		{"last page", 6, 3, false, []int64{7, 8}},
		{"newest first", 0, 3, true, []int64{8, 7, 6}},
		{"older page newest first", 6, 3, true, []int64{5, 4, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := h.e.History(h.ctx, x.ARN, tt.after, tt.limit, tt.reverse)
			if err != nil {
				t.Fatal(err)
			}
			if got := eventIDs(t, evs); !slices.Equal(got, tt.want) {
				t.Fatalf("ids %v, want %v", got, tt.want)
			}
		})
	}
}

// Rows written one event per row (before event rows) still read back.
func TestHistoryReadsSingleEventRows(t *testing.T) {
	h := newHarness(t, Options{})
	m := h.machine("wait", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`)
	x := h.start(m, "w", `{}`)
	// Rewrite the stored rows the old way: one event per row.
	rows, _ := h.db.ListEntries(h.ctx, kindEvent, store.Query{Prefix: x.ARN + "/"})
	var old []store.Entry
	for _, r := range rows {
		evs, err := splitRow(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range evs {
			old = append(old, store.Entry{ID: eventKey(x.ARN, ev.id), Body: ev.body})
		}
	}
	if _, err := h.db.Update(h.ctx, func(ctx context.Context, tx store.Tx) error {
		etx := tx.(store.EntryTx)
		for _, r := range rows {
			if _, err := etx.DeleteEntry(ctx, kindEvent, r.ID); err != nil {
				return err
			}
		}
		return etx.PutEntries(ctx, kindEvent, old)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.Stop(h.ctx, x.ARN, "", ""); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, h.wait(x.ARN), asl.Aborted)
	evs, _ := h.e.History(h.ctx, x.ARN, 0, 0, false)
	if got := eventIDs(t, evs); !slices.Equal(got, []int64{1, 2, 3, 4}) {
		t.Fatalf("ids %v, want 1 to 4 across old and new rows", got)
	}
	if got := h.history(x.ARN); got[len(got)-1] != "ExecutionAborted" {
		t.Fatalf("history %v", got)
	}
}

// The engine decodes an execution again when its stored record is not the
// one it wrote (another node stepped it): the cache never hides a change.
func TestCachedStateYieldsToTheStore(t *testing.T) {
	h := newHarness(t, Options{})
	m := h.machine("wait", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`)
	x := h.start(m, "w", `{"v":1}`)
	if _, err := h.db.Update(h.ctx, func(ctx context.Context, tx store.Tx) error {
		etx := tx.(store.EntryTx)
		body, err := etx.GetEntry(ctx, kindExecution, x.ARN)
		if err != nil {
			return err
		}
		var rec execRecord
		json.Unmarshal(body, &rec)
		rec.Input = json.RawMessage(`{"v":2}`) // as another node's write would differ
		body, _ = json.Marshal(&rec)
		return etx.PutEntry(ctx, kindExecution, x.ARN, body)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.Stop(h.ctx, x.ARN, "", ""); err != nil {
		t.Fatal(err)
	}
	got := h.wait(x.ARN)
	wantStatus(t, got, asl.Aborted)
	jsonEqual(t, got.Input, `{"v":2}`)
}

func TestStoredEventsAreTheWireShape(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 123_000_000, time.UTC)
	tests := []asl.HistoryEvent{
		{ID: 1, Timestamp: at, Type: "ExecutionStarted", DetailsField: "executionStartedEventDetails",
			Details: map[string]any{"input": `{"k":"é\u2028<"}`, "roleArn": "arn:aws:iam::1:role/r"}},
		{ID: 7, PreviousEventID: 6, Timestamp: at, Type: "WaitStateAborted"},
		{ID: 8, PreviousEventID: 7, Timestamp: at, Type: "Odd \"type\"", DetailsField: "x"},
	}
	for _, ev := range tests {
		got, err := appendEvent(nil, ev)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(ev.Wire())
		var a, b any
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("%s is not JSON: %v", got, err)
		}
		json.Unmarshal(want, &b)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("stored %s, want %s", got, want)
		}
	}
}
