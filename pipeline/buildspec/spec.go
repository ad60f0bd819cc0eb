package buildspec

import "github.com/edgecd/edgecd/pipeline/internal/yamlnode"

// Problem is one error (or, in Spec.Warnings, one warning) found in a
// buildspec, located in its file.
type Problem = yamlnode.Problem

// Spec is a parsed buildspec.
type Spec struct {
	File      string
	Version   string // always "0.2"
	Env       Env
	Phases    []Phase // in run order; only the phases the file has
	Artifacts *Artifacts
	// Warnings are settings accepted but not honoured here (run-as,
	// runtime-versions, reports, cache, ...), each with its location.
	Warnings []Problem
}

// Env is the buildspec's env section.
type Env struct {
	Shell     string // "bash" (default) or "sh"
	Variables []Var  // in file order
	// ParameterStore maps a variable to the name of a parameter, resolved
	// through RunOptions.Parameter before the first phase.
	ParameterStore []Var
	Exported       []string // env.exported-variables
}

// Var is a name and a value (or parameter name), in file order.
type Var struct {
	Name, Value string
	Line        int
}

// Phase names, as CodeBuild logs them.
const (
	Install         = "INSTALL"
	PreBuild        = "PRE_BUILD"
	Build           = "BUILD"
	PostBuild       = "POST_BUILD"
	UploadArtifacts = "UPLOAD_ARTIFACTS"
)

// OnFailure is a phase's on-failure setting.
type OnFailure string

const (
	// Default is CodeBuild's behaviour without on-failure: a failed install
	// or pre_build ends the build, a failed build still runs post_build.
	Default OnFailure = ""
	// Abort ends the build when the phase fails.
	Abort OnFailure = "ABORT"
	// Continue goes on with the next phase; the build still fails.
	Continue OnFailure = "CONTINUE"
)

// Phase is one of install, pre_build, build, post_build.
type Phase struct {
	Name      string // INSTALL, PRE_BUILD, BUILD or POST_BUILD
	Commands  []Command
	Finally   []Command
	OnFailure OnFailure
}

// Command is one shell command and where it is written.
type Command struct {
	Text string
	Line int
}

// Artifacts is the artifacts section: which files the build produces.
type Artifacts struct {
	Files         []string // glob patterns relative to BaseDirectory; ** spans directories
	Exclude       []string // artifacts.exclude-paths
	BaseDirectory string   // relative to the source directory; "" = the source directory
	DiscardPaths  bool     // flatten: keep only the base names
	Name          string
}
