// Command flow measures the durable flow engine on the SQLite store: how
// many durable transitions per second it commits with many executions
// running at once, and how long StartExecution takes to reach the first
// state (the start committed, the first Task's integration called), idle
// and under that load. It prints the figures; bench/flow.sh runs it.
//
//	go run ./bench/flow -n 20000 -c 1000 -tasks 5
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/store/sqlite"
)

func main() {
	n := flag.Int("n", 20000, "executions in the throughput run")
	c := flag.Int("c", 1000, "executions running at once")
	tasks := flag.Int("tasks", 5, "Task states per execution (each one durable step)")
	idle := flag.Int("idle", 300, "executions started one by one for the idle latency")
	dir := flag.String("dir", "", "data directory (default: a new temporary one, removed after)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the throughput run here")
	memprofile := flag.String("memprofile", "", "write an allocation profile after the throughput run here")
	batch := flag.Int("batch", 0, "inputs per transaction at most (flow.Options.MaxBatch; 0: the default)")
	flag.Parse()
	if err := run(*n, *c, *tasks, *idle, *batch, *dir, *cpuprofile, *memprofile); err != nil {
		fmt.Fprintln(os.Stderr, "bench/flow:", err)
		os.Exit(1)
	}
}

// firstCalls records when each execution's first task reached its
// integration.
type firstCalls struct {
	mu  sync.Mutex
	at  map[string]time.Time
	got map[string]chan struct{}
}

func (f *firstCalls) expect(exec string) chan struct{} {
	ch := make(chan struct{})
	f.mu.Lock()
	f.got[exec] = ch
	f.mu.Unlock()
	return ch
}

func (f *firstCalls) called(exec string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, seen := f.at[exec]; seen {
		return
	}
	f.at[exec] = time.Now()
	if ch := f.got[exec]; ch != nil {
		close(ch)
	}
}

func run(n, c, tasks, idleN, batch int, dir, cpuprofile, memprofile string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if dir == "" {
		d, err := os.MkdirTemp("", "edgecd-flow-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	db, err := sqlite.Open(ctx, filepath.Join(dir, "flow.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	first := &firstCalls{at: map[string]time.Time{}, got: map[string]chan struct{}{}}
	e, err := flow.New(flow.Options{Store: db, Node: "bench", MaxBatch: batch, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Tasks: map[string]flow.TaskFunc{
		"arn:aws:states:::edgecd:echo": func(ctx context.Context, t flow.Task) (json.RawMessage, error) {
			if t.State == "T1" {
				first.called(t.Execution)
			}
			return t.Parameters, nil
		},
	}})
	if err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	m, err := e.CreateMachine(ctx, flow.Machine{ARN: flow.MachineARN("us-east-1", "123456789012", "bench"), Name: "bench",
		Definition: chain(tasks), RoleArn: "arn:aws:iam::123456789012:role/bench"})
	if err != nil {
		return err
	}
	fmt.Printf("flow engine on SQLite (%s), GOMAXPROCS=%d, %d Task states per execution\n", dir, runtime.GOMAXPROCS(0), tasks)

	// Idle: one execution at a time.
	var startLat, firstLat []time.Duration
	for i := range idleN {
		name := fmt.Sprintf("idle-%d", i)
		arn := flow.ExecutionARN(m.ARN, name)
		got := first.expect(arn)
		t0 := time.Now()
		if _, err := e.Start(ctx, m.ARN, name, json.RawMessage(`{"k":1}`)); err != nil {
			return err
		}
		startLat = append(startLat, time.Since(t0))
		<-got
		firstLat = append(firstLat, time.Since(t0))
		if _, err := e.Wait(ctx, arn); err != nil {
			return err
		}
	}
	fmt.Printf("idle, %d executions one at a time:\n", idleN)
	fmt.Printf("  StartExecution (durable)      p50 %s  p99 %s\n", pct(startLat, 50), pct(startLat, 99))
	fmt.Printf("  StartExecution -> first state p50 %s  p99 %s\n", pct(firstLat, 50), pct(firstLat, 99))

	// Loaded: c executions at a time.
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var (
		mu       sync.Mutex
		loadLat  []time.Duration
		loadFrst []time.Duration
		errs     []error
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, c)
	cpu0 := cpuTime()
	begin := time.Now()
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			name := fmt.Sprintf("load-%d", i)
			arn := flow.ExecutionARN(m.ARN, name)
			got := first.expect(arn)
			t0 := time.Now()
			_, err := e.Start(ctx, m.ARN, name, json.RawMessage(`{"k":1}`))
			d := time.Since(t0)
			var x flow.Execution
			if err == nil {
				<-got
				df := time.Since(t0)
				mu.Lock()
				loadLat, loadFrst = append(loadLat, d), append(loadFrst, df)
				mu.Unlock()
				x, err = e.Wait(ctx, arn)
			}
			if err == nil && x.Status != "SUCCEEDED" {
				err = fmt.Errorf("%s ended %s: %s %s", arn, x.Status, x.Error, x.Cause)
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	cpu := cpuTime() - cpu0
	if memprofile != "" {
		f, err := os.Create(memprofile)
		if err != nil {
			return err
		}
		pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
	if len(errs) > 0 {
		return fmt.Errorf("%d executions failed, first: %w", len(errs), errs[0])
	}
	steps := n * (tasks + 1) // the start and each task outcome
	states := n * tasks      // Task states run
	fmt.Printf("loaded, %d executions, %d at a time, %.1f s:\n", n, c, elapsed.Seconds())
	fmt.Printf("  durable transitions (committed steps: start + each task outcome) %8.0f /s\n", float64(steps)/elapsed.Seconds())
	fmt.Printf("  state transitions (Task states run)                              %8.0f /s\n", float64(states)/elapsed.Seconds())
	fmt.Printf("  executions                                                       %8.0f /s\n", float64(n)/elapsed.Seconds())
	// The machine may be shared: CPU time per transition does not depend on
	// how much of it others take, and bounds what 2 idle cores could do.
	fmt.Printf("  CPU per durable transition %.0f µs (process CPU %.1f s): at most %.0f /s per fully used core\n",
		cpu.Seconds()*1e6/float64(steps), cpu.Seconds(), float64(steps)/cpu.Seconds())
	fmt.Printf("  StartExecution (durable)      p50 %s  p99 %s\n", pct(loadLat, 50), pct(loadLat, 99))
	fmt.Printf("  StartExecution -> first state p50 %s  p99 %s\n", pct(loadFrst, 50), pct(loadFrst, 99))
	return nil
}

// cpuTime is the CPU time this process has used (user + system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// chain is a definition of tasks Task states in a row.
func chain(tasks int) string {
	var b strings.Builder
	b.WriteString(`{"StartAt":"T1","States":{`)
	for i := 1; i <= tasks; i++ {
		next := fmt.Sprintf(`"Next":"T%d"`, i+1)
		if i == tasks {
			next = `"End":true`
		}
		if i > 1 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"T%d":{"Type":"Task","Resource":"arn:aws:states:::edgecd:echo",%s}`, i, next)
	}
	b.WriteString(`}}`)
	return b.String()
}

func pct(d []time.Duration, p int) string {
	if len(d) == 0 {
		return "-"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	v := s[min(len(s)-1, len(s)*p/100)]
	return fmt.Sprintf("%6.2f ms", float64(v.Microseconds())/1000)
}
