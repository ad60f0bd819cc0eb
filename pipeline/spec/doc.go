// Package spec reads, checks and compiles edgecd pipeline definitions
// (edgecd.pipeline.yaml).
//
// A definition enters as YAML bytes through Parse, which returns a
// *Pipeline or every problem it found, each located as file:line:col. A
// checked Pipeline leaves as an Amazon States Language definition through
// Compile: one Task state per action, run by the flow engine, so a pipeline
// run is a durable execution. The package does no I/O; the actions
// themselves (checkout, build, deploy, release, approval, ...) are served by
// the pipeline runtime, which decodes each task's parameters into TaskInput
// and expands #{Namespace.Variable} references with Expand.
//
// The vocabulary follows AWS CodePipeline where it can: stages of actions
// with a run order, action namespaces whose output variables later actions
// read as #{Namespace.Variable}, pipeline-level variables (here the built-in
// namespace "Pipeline") and #{codepipeline.PipelineExecutionId}.
package spec
