// Package events is edgecd's event bus: EventBridge-shaped events, rules
// that select them with EventBridge's pattern language, and targets that
// receive them at least once.
//
// Data enters through (*Bus).Put (the PutEvents API, the Step Functions
// events:putEvents task, and edgecd's own emitters such as execution and
// pipeline state changes). Put matches each event against the enabled rules
// of its bus and commits the event together with one outbox entry per
// matching (rule, target) in a single store transaction before it returns,
// so an acknowledged event is never lost. Data leaves through (*Bus).Run,
// which delivers the outbox: a state machine target starts an execution
// (through Options.StartExecution), an http(s) target receives a POST of
// the event JSON, and a Go target registered with RegisterTarget is called
// in-process. A failed delivery is retried with exponential back-off until
// Options.MaxEventAge (24 h, as EventBridge's default retry policy) and
// then dropped with an error log. Each delivery is leased to the node
// making it (Options.Node, Options.Lease), so several nodes can share one
// store; entries left when a process stops are delivered after its
// restart, or by another node when their lease runs out.
//
// The pattern language (CompilePattern, Pattern.Match) is a pure function
// over JSON bytes with no I/O, so it is tested exhaustively with tables and
// a fuzzer.
package events
