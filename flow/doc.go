// Package flow is edgecd's durable executor for Amazon States Language: it
// drives the pure interpreter in package asl one recorded step at a time on
// a store.Store, so executions survive restarts and kill -9.
//
// Data enters through the Engine's methods (CreateMachine, Start, Stop,
// SendTaskSuccess/Failure/Heartbeat, ...), from task integrations
// finishing, and from timers coming due. All of them become inputs of one
// commit loop, which applies a batch of inputs (several executions' steps)
// in ONE store transaction: the new interpreter state, its history events,
// timers, task records and token records are committed together, and only
// after the commit do tasks go out, waiters wake and timers get scheduled.
// Group commits keep throughput from collapsing to one fsync per step.
//
// Records (see records.go): an execution record holds the interpreter state;
// history events are append-only rows, one per execution per transaction
// (events.go); a start-time index lists executions newest first;
// timers are records keyed by due time, so the due ones are a prefix scan;
// an outstanding task is a record with a dispatch lease (owner node and
// expiry); a task token maps to its task.
//
// Semantics after a crash: every input is applied exactly once, because it
// consumes the record that announced it (a timer record, a task record) in
// the same transaction as the step. Tasks are at-least-once, as on the
// cloud: a task whose outcome was not recorded before the crash is
// dispatched again when its lease owner restarts (or when the lease expires,
// for another node). Integrations that must not run twice should be
// idempotent (HTTP webhooks may post twice). Nested executions
// (states:startExecution[.sync[:2]]) start inside the parent's transaction,
// so they happen exactly once. Timers fire at most once even when several
// nodes scan them.
//
// Data leaves as store records read back by the Engine's query methods
// (Execution, Executions, History, Machine, ...), which the Step Functions
// API in awsapi/sfn serves, and as calls to task integrations: TaskFunc for
// a resource ARN, SDKFunc for arn:aws:states:::aws-sdk:<service>:<action>,
// and the built-in arn:aws:states:::http:invoke and
// arn:aws:states:::states:startExecution[.sync[:2]|.waitForTaskToken].
//
// Status changes (Options.OnStatus: RUNNING, then SUCCEEDED, FAILED,
// TIMED_OUT or ABORTED) leave through an outbox written in the same
// transaction and delivered at least once by a goroutine of their own.
// Package flow/awssdk serves the aws-sdk:cloudfront, s3 and ssm resources
// with edgecd's own API handlers.
//
// Clock and randomness are injected (Options.Clock, Random, Jitter) so tests
// drive waits, back-offs and timeouts without sleeping. RunLocal runs a
// definition in memory for `edgecd flow run`; TestState runs one state once
// (the TestState operation). Both use the engine's integrations but no store.
package flow
