// Package pipeline runs release pipelines: a definition (package
// pipeline/spec) is stored with its YAML, compiled onto a flow state
// machine, and each run is one durable flow execution, so a run survives a
// crash wherever it is (building, waiting for approval) for free.
//
// Data enters through triggers (Start with pinned commits, the poll loop,
// a GitHub push webhook), approval decisions (Decide) and the
// CodePipeline-shaped JSON API (API). Actions are flow TaskFuncs (Tasks)
// that check out sources, run buildspecs, deploy, stage, promote and abort
// releases through the node's public AWS API. Data leaves as run records in
// the store (Runs, Run), action logs under the data directory (Log),
// CodePipeline state-change events on the event bus, and whatever the
// actions did to the CDN.
package pipeline
