// Package asl is a pure Amazon States Language interpreter: definitions in,
// decisions out. It does no I/O, reads no clock and draws no randomness of
// its own, and needs no goroutines, so a durable executor can drive it one
// recorded step at a time and tests can run it exhaustively.
//
// Data enters through three doors:
//
//   - Parse(definition) validates a definition and returns a *Definition, or
//     a *ValidationError listing every problem with a JSON path such as
//     $.States.Foo.Next (this also backs ValidateStateMachineDefinition).
//   - Start(def, input, ContextObject, Env) creates an *Execution and returns
//     the first Effects.
//   - (*Execution).Step(def, Event, Env) applies one outside event
//     (TaskSucceeded, TaskFailed, TaskHeartbeat, TimerFired, Stop) and
//     returns the Effects it causes.
//
// Effects leave as plain values the executor performs and records:
// ScheduleTask, CancelTask, StartTimer, CancelTimer, HistoryEvent (with the
// GetExecutionHistory type names and detail fields) and, last,
// ExecutionFinished. Env carries the time of the event and the injected
// sources of randomness (retry jitter, States.MathRandom, $random), UUIDs
// and task tokens: a Task whose resource ends in ".waitForTaskToken" asks
// Env.TaskToken for a token, exposes it as $$.Task.Token and sends it in
// ScheduleTask.Token.
//
// An Execution is a plain value that marshals to JSON and back without loss
// (numbers keep their exact text), so the executor stores it after every step.
// Run drives all of this in memory with a logical clock, for tests and
// benchmarks.
//
// Both query languages are supported: JSONPath (paths, reference paths,
// Parameters with ".$" keys, intrinsic functions, Choice rules) and JSONata
// (Arguments, Output, Assign, Condition, "{% %}" expressions, $states and the
// Step Functions functions $partition, $range, $hash, $random, $uuid, $parse)
// through github.com/blues/jsonata-go.
//
// Not run here: Map ItemReader (reading items from S3 is refused at Parse) and
// ResultWriter (accepted, ignored); items come from the state input.
package asl
