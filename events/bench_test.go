package events

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
)

func BenchmarkMatch(b *testing.B) {
	p, err := CompilePattern([]byte(rejectionPattern))
	if err != nil {
		b.Fatal(err)
	}
	ev := []byte(actionEvent("FAILED"))
	for b.Loop() {
		if !p.Match(ev) {
			b.Fatal("no match")
		}
	}
}

// BenchmarkPut measures a durable Put of one event that 1 of 20 rules
// matches (the commit includes the outbox entry).
func BenchmarkPut(b *testing.B) {
	bus := openBusB(b, filepath.Join(b.TempDir(), "db"))
	bus.RegisterTarget(goTarget, func(context.Context, Event, json.RawMessage) error { return nil })
	for i := range 20 {
		putRule(b, bus, fmt.Sprint("r", i), fmt.Sprintf(`{"source":["app%d"],"detail":{"state":["FAILED"]}}`, i), Target{ID: "t", ARN: goTarget + "x"})
	}
	entries := []Entry{{Source: "app7", DetailType: "d", Detail: `{"state":"FAILED"}`}}
	for b.Loop() {
		if _, err := bus.Put(context.Background(), entries); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutToDelivery measures from Put to the Go target's call, with
// the delivery's lease and record transactions.
func BenchmarkPutToDelivery(b *testing.B) {
	bus := openBusB(b, filepath.Join(b.TempDir(), "db"))
	got := make(chan struct{}, 1)
	bus.RegisterTarget(goTarget, func(context.Context, Event, json.RawMessage) error { got <- struct{}{}; return nil })
	putRule(b, bus, "r", `{"source":["app"]}`, Target{ID: "t", ARN: goTarget + "x"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); bus.Run(ctx) }()
	defer func() { cancel(); <-done }()
	entries := []Entry{{Source: "app", DetailType: "d", Detail: `{}`}}
	for b.Loop() {
		if _, err := bus.Put(context.Background(), entries); err != nil {
			b.Fatal(err)
		}
		<-got
	}
}
