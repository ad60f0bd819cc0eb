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
// (numbers keep their exact text), so the executor stores it after every step;
// Pending lists the timers and tasks it waits for, to re-arm after a restart.
// Run drives all of this in memory with a logical clock, for tests and
// benchmarks.
//
// Both query languages are supported: JSONPath (paths, reference paths,
// Parameters with ".$" keys, intrinsic functions, Choice rules) and JSONata
// (Arguments, Output, Assign, Condition, "{% %}" expressions, $states and the
// Step Functions functions $partition, $range, $hash, $random, $uuid, $parse)
// through github.com/blues/jsonata-go.
//
// A Map's ItemReader and ResultWriter are tasks for the executor too:
// ScheduleTask.Purpose is "ItemReader" (answer with the array of items) or
// "ResultWriter" (Payload carries the results; answer with the Map's result).
// A distributed Map records MapRunStarted/MapRunSucceeded and keeps its
// iterations' events out of the history, as the cloud's child executions do.
//
// Known differences from the cloud: objects are Go maps, so output keys are
// sorted and wildcards over objects visit keys in sorted order; JSONata is
// jsonata-go (JSONata 1.5.4 plus later functions, see docs/decisions/0011);
// Parallel branches and Map iterations run one after another until they
// block, so sibling events interleave differently from the cloud's.
package asl
