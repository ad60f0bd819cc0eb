package buildspec

import (
	"context"
	"fmt"
	"io"
	"time"
)

// RunOptions says where and how to run a spec.
type RunOptions struct {
	// Dir is the source directory: the commands' starting directory and
	// CODEBUILD_SRC_DIR. It must exist.
	Dir string
	// Env holds extra variables ("NAME=value") for the build, as a
	// CodeBuild project's or start-build's variables: they override the
	// spec's env.variables and parameter-store. Put
	// CODEBUILD_RESOLVED_SOURCE_VERSION here. The build's environment is
	// only PATH, HOME, LANG, TMPDIR and USER of this process, the spec's
	// variables, Env and CODEBUILD_SRC_DIR: it never inherits edgecd's own
	// environment (and its secrets) implicitly.
	Env []string
	// Log receives the combined stdout and stderr of the build, line by
	// line, with CodeBuild's "[Container]" phase markers. Nil discards.
	Log io.Writer
	// Timeout bounds the whole build; 0 means 60 minutes (CodeBuild's
	// default). On timeout the process group is killed.
	Timeout time.Duration
	// Parameter resolves env.parameter-store names. Nil makes a spec that
	// uses parameter-store fail before running anything.
	Parameter func(ctx context.Context, name string) (string, error)
	// Runner runs the shell. Nil means LocalRunner (a local process group).
	Runner Runner
}

// PhaseStatus is the outcome of one phase.
type PhaseStatus string

const (
	Succeeded PhaseStatus = "SUCCEEDED"
	Failed    PhaseStatus = "FAILED"
	TimedOut  PhaseStatus = "TIMED_OUT"
	Stopped   PhaseStatus = "STOPPED" // the context was cancelled
	Skipped   PhaseStatus = "SKIPPED" // not run because an earlier phase failed
)

// PhaseResult is what happened in one phase.
type PhaseResult struct {
	Name     string
	Status   PhaseStatus
	Start    time.Time
	Duration time.Duration
	// Command is the failing command, ExitCode its status, when Failed.
	Command  string
	ExitCode int
}

// Result is what a build did. Run returns it also when the build failed,
// with the phases run so far.
type Result struct {
	Phases []PhaseResult
	// ArtifactsDir is the absolute directory the artifact files are
	// relative to (Dir joined with artifacts.base-directory); empty without
	// an artifacts section.
	ArtifactsDir string
	// Files are the regular files the artifacts section selects, as
	// slash-separated paths relative to ArtifactsDir, sorted.
	Files []string
	// DiscardPaths: artifacts.discard-paths; a deployer keeps only
	// path.Base of each file.
	DiscardPaths bool
	// Exported holds env.exported-variables as they were at the end of the
	// build (variables that were never set are absent).
	Exported map[string]string
	Duration time.Duration
}

// BuildError says why a build failed. Run returns it (errors.As) with the
// Result.
type BuildError struct {
	Phase    string // INSTALL, ..., UPLOAD_ARTIFACTS; empty before any phase
	Command  string // the failing command; empty for a timeout between commands
	ExitCode int    // -1 when the shell was killed
	Tail     string // the last lines of the log
	Err      error  // context.DeadlineExceeded on timeout, context.Canceled when stopped, or another cause
}

func (e *BuildError) Error() string {
	phase := "the build"
	if e.Phase != "" {
		phase = "phase " + e.Phase
	}
	switch {
	case e.Command != "" && e.Err != nil:
		return fmt.Sprintf("%s failed: command %q: %v", phase, e.Command, e.Err)
	case e.Command != "" && e.ExitCode < 0:
		return fmt.Sprintf("%s failed: command %q was killed", phase, e.Command)
	case e.Command != "":
		return fmt.Sprintf("%s failed: command %q exited with status %d", phase, e.Command, e.ExitCode)
	case e.Err != nil:
		return fmt.Sprintf("%s failed: %v", phase, e.Err)
	}
	return phase + " failed"
}

func (e *BuildError) Unwrap() error { return e.Err }
