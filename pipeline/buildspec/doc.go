// Package buildspec reads CodeBuild buildspec files (version 0.2) and runs
// them on this machine.
//
// Data enters as the bytes of a buildspec.yml (Parse, which reports every
// problem with its file:line:col) and as RunOptions (the work directory, the
// base environment, a parameter-store lookup, a log writer and a timeout). It
// leaves as a Result: per-phase status and duration, the artifact files the
// spec selects, and the exported variables; the build's combined output is
// streamed line by line to the log, with CodeBuild's "[Container]" markers.
//
// Commands run as CodeBuild runs version 0.2: every command of every phase in
// one shell instance, so `cd` and variables carry over; a failing command
// skips the rest of its phase's commands, then the phase's finally block runs.
// A failed install or pre_build ends the build; a failed build still runs
// post_build, with CODEBUILD_BUILD_SUCCEEDING=0.
//
// Isolation: the build is a local process group of the user running edgecd,
// with the work directory as its current directory, a clean environment and a
// timeout after which the whole group is killed. It is not a sandbox: the
// commands can read and write whatever that user can, and reach the network.
// Run only buildspecs you trust, or put a container behind the Runner seam.
package buildspec
