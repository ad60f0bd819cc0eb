package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/edgecd/edgecd/store/sqlite"
)

// BenchmarkDurableTransitions runs b.N executions of five chained tasks,
// 500 at a time, on a SQLite file with the real clock, and reports durable
// transitions per second (each start and each task outcome is one committed
// interpreter step) and the StartExecution latency percentiles.
//
//	go test -run '^$' -bench DurableTransitions -benchtime 5000x ./flow
func BenchmarkDurableTransitions(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	e, _ := New(Options{Store: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Tasks: map[string]TaskFunc{
		"arn:aws:states:::edgecd:echo": func(ctx context.Context, t Task) (json.RawMessage, error) { return t.Parameters, nil },
	}})
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	def := `{"StartAt":"T1","States":{`
	for i := 1; i <= 5; i++ {
		next := fmt.Sprintf(`"Next":"T%d"`, i+1)
		if i == 5 {
			next = `"End":true`
		}
		def += fmt.Sprintf(`"T%d":{"Type":"Task","Resource":"arn:aws:states:::edgecd:echo",%s}`, i, next)
		if i < 5 {
			def += ","
		}
	}
	def += `}}`
	m, err := e.CreateMachine(ctx, Machine{ARN: MachineARN("us-east-1", "123456789012", "bench"), Name: "bench", Definition: def, RoleArn: "arn:aws:iam::123456789012:role/r"})
	if err != nil {
		b.Fatal(err)
	}
	const concurrent = 500
	sem := make(chan struct{}, concurrent)
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	b.ResetTimer()
	begin := time.Now()
	for i := range b.N {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			t0 := time.Now()
			x, err := e.Start(ctx, m.ARN, fmt.Sprintf("b-%d", i), json.RawMessage(`{"k":1}`))
			if err != nil {
				b.Error(err)
				return
			}
			d := time.Since(t0)
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
			if _, err := e.Wait(ctx, x.ARN); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N*6)/elapsed.Seconds(), "transitions/s")
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "start-p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "start-p99-ms")
	}
}

// BenchmarkStartLatency starts executions one after another on an otherwise
// idle engine: StartExecution returns once the start and the first state's
// entry are committed (fsync included), so its latency is the
// StartExecution -> first state latency.
//
//	go test -run '^$' -bench StartLatency -benchtime 500x ./flow
func BenchmarkStartLatency(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "latency.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	e, _ := New(Options{Store: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	m, err := e.CreateMachine(ctx, Machine{ARN: MachineARN("us-east-1", "123456789012", "lat"), Name: "lat",
		Definition: `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`, RoleArn: "arn:aws:iam::123456789012:role/r"})
	if err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		t0 := time.Now()
		if _, err := e.Start(ctx, m.ARN, fmt.Sprintf("l-%d", i), nil); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
