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
// read as #{Namespace.Variable}, pipeline-level variables
// (#{variables.Name}, also #{Pipeline.Name}) and
// #{codepipeline.PipelineExecutionId} / #{codepipeline.PipelineName}.
//
// # Definition
//
//	name: site                      # required; A-Z a-z 0-9 . @ _ -, at most 100
//	variables: {Bucket: site}       # defaults; a run may override them
//	sources:                        # git repositories
//	  - name: site                  # required
//	    repo: ./site.git            # required: path, file://, http(s)://, ssh://, git://
//	    branch: main                # default main
//	    trigger: poll               # poll | webhook | manual (default)
//	    poll_interval: 1m           # poll only; default 1m
//	    secret_env: HOOK_SECRET     # webhook only, required there
//	approval: {webhook: URL, timeout: 24h}   # defaults of every approval action
//	cleanup: {on_reject: true}      # default true: abort the staged release when a run fails
//	stages:                         # at most 50, run in order
//	  - name: Build                 # at most 36 characters, no "/"
//	    actions:                    # at most 50; same run_order = in parallel
//	      - name: Build
//	        kind: build
//	        namespace: Build        # optional; unique; where outputs go
//	        run_order: 1            # 1-999, default 1
//	        timeout: 10m            # optional (approval: with.timeout)
//	        with: {buildspec: buildspec.yml}
//
// # Kinds: with keys (* required, = default) and output variables
//
//	source.git       source (= the only source)
//	                 → CommitId CommitShort BranchName CommitMessage Author AuthorDate RepositoryName SourceDir
//	build            buildspec (= buildspec.yml), source (= the source of the only earlier source.git)
//	                 → ArtifactsDir ArtifactFiles, and any exported variable
//	deploy           dir (= #{<only earlier build>.ArtifactsDir}), to* (s3://bucket/prefix/), delete (= false)
//	                 → Bucket Prefix Version OriginPath Uploaded Skipped Deleted
//	release.stage    primary*, origin_path* (/v1), version, header (aws-cf-cd-NAME=VALUE)
//	                 or weight (0-1], sticky_idle + sticky_max (weight only)
//	                 → StagingDistributionId StagingDomainName PolicyId OriginPath Version
//	approval         webhook (= approval.webhook), timeout (= approval.timeout; no variables),
//	                 message (= "Approve #{codepipeline.PipelineName} run ...?")
//	                 → Result ApprovedBy Comment
//	release.promote  primary*, invalidate (paths, e.g. /*)
//	                 → PrimaryDistributionId Version OriginPath PreviousOriginPath InvalidationId
//	release.abort    primary*                          → StagingDistributionId
//	release.analyze  primary*, window (= 60s), min_requests (= 50), max_5xx_rate (= 0.01),
//	                 max_4xx_rate (unset: 4xx not gated); fails (Pipeline.CanaryFailed or
//	                 Pipeline.CanaryInconclusive) unless the canary analysis of staging
//	                 against primary over the window passes (edgecd endpoints only)
//	                 → Verdict StagingRequests PrimaryRequests Staging5xxRate Primary5xxRate
//	                   StagingLatencyP95 PrimaryLatencyP95
//	release.ramp     primary*, steps (= 0.05,0.25,0.5,1), hold (= 5m), analyze (= false),
//	                 promote (= true), invalidate, and with analyze release.analyze's
//	                 min_requests, max_5xx_rate, max_4xx_rate: walks the weight of a release
//	                 staged with a weight up, each step held (analyze: judged over the
//	                 hold; one that does not pass aborts the release and fails as
//	                 release.analyze does), then promotes (above 0.15: edgecd --native)
//	                 → Outcome PrimaryDistributionId Weight Steps OriginPath Version PreviousOriginPath
//	invalidate       distribution*, paths (= /*), wait (= false) → InvalidationId Status
//	stepfunctions    state_machine*, input (= {}; a JSON object) → ExecutionArn StateMachineArn Status Output
//	http             url*, method (= POST), body        → StatusCode Body
//
// A reference must name a variable of a built-in namespace or an output of
// an action that runs before (an earlier stage, or a lower run_order in the
// same stage). Values without references are checked here; values with
// references are checked by the action once expanded.
package spec
