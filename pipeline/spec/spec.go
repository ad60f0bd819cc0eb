package spec

import (
	"strings"
	"time"

	"github.com/edgecd/edgecd/pipeline/internal/yamlnode"
)

// Pipeline is a checked pipeline definition.
type Pipeline struct {
	File string // the file name Parse was given, for messages
	Name string
	// Variables are the pipeline-level variables and their default values,
	// read as #{Pipeline.Name}; a run may override them.
	Variables map[string]string
	Sources   []Source
	Stages    []Stage
	Approval  Approval
	Cleanup   Cleanup
}

// Trigger says what starts a run for a source.
type Trigger string

// Triggers.
const (
	Poll    Trigger = "poll"    // resolve the branch every PollInterval
	Webhook Trigger = "webhook" // a GitHub-format push webhook signed with the secret in SecretEnv
	Manual  Trigger = "manual"  // only `edgecd pipeline start` (optionally with pinned commits)
)

// Source is a git repository the pipeline follows.
type Source struct {
	Name         string
	Repo         string // local path, file://, http(s)://, ssh://, git://
	Branch       string // default "main"
	Trigger      Trigger
	PollInterval time.Duration // Poll only; default DefaultPollInterval
	SecretEnv    string        // Webhook only: the environment variable holding the HMAC secret
	Line         int
}

// DefaultPollInterval is how often a poll source is resolved unless told.
const DefaultPollInterval = time.Minute

// Stage is a named group of actions; stages run one after another.
type Stage struct {
	Name    string
	Actions []Action // sorted by RunOrder, file order within one RunOrder
	Line    int
}

// Action is one step of a stage. Actions of one stage with the same
// RunOrder run in parallel.
type Action struct {
	Name      string
	Kind      string // one of the Kind* constants
	Namespace string // where the action's output variables go; "" = discarded
	RunOrder  int    // 1 by default
	Timeout   time.Duration
	// With holds the kind's settings as written, defaults filled in; values
	// may contain #{Namespace.Variable} references, expanded at run time.
	With map[string]string
	Line int
}

// Approval holds the pipeline-wide defaults of approval actions.
type Approval struct {
	// Webhook is a Slack-compatible incoming webhook URL (it may use
	// variables); "" = no message is posted.
	Webhook string
	// Timeout rejects an approval nobody answered; 0 = wait forever.
	Timeout time.Duration
}

// Cleanup says what happens after a run fails.
type Cleanup struct {
	// OnReject runs the abort sequence (release.abort on the primary of
	// the run's release.stage action) when an approval is rejected or times
	// out, or a later action fails. Default true.
	OnReject bool
}

// Action kinds.
const (
	KindSourceGit      = "source.git"
	KindBuild          = "build"
	KindDeploy         = "deploy"
	KindReleaseStage   = "release.stage"
	KindApproval       = "approval"
	KindReleasePromote = "release.promote"
	KindReleaseAbort   = "release.abort"
	KindReleaseAnalyze = "release.analyze"
	KindReleaseRamp    = "release.ramp"
	KindInvalidate     = "invalidate"
	KindStepFunctions  = "stepfunctions"
	KindHTTP           = "http"
)

// Problem is one thing wrong with a definition, located in its file.
type Problem = yamlnode.Problem

// Problems is every problem of a definition, usable as one error.
type Problems []Problem

func (ps Problems) Error() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, "\n")
}
