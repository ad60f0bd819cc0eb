package spec

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// keySpec is one with: key of a kind.
type keySpec struct {
	name     string
	required bool
	def      string // filled in when absent ("" = none)
	// check validates a value without references; values with references
	// are checked at run time by the action itself.
	check func(v string) error
	// static forbids references: Compile needs the value.
	static bool
}

// kindSpec is what Parse knows about an action kind.
type kindSpec struct {
	keys    []keySpec
	outputs []string // the output variables the action always sets
	dynamic bool     // and any other name (build's exported variables)
}

// kinds is the table of action kinds. Cross-key rules (exactly one of
// header and weight, defaults drawn from earlier actions) are in check.go.
var kinds = map[string]kindSpec{
	KindSourceGit: {
		keys:    []keySpec{{name: "source"}},
		outputs: []string{"CommitId", "CommitShort", "BranchName", "CommitMessage", "Author", "AuthorDate", "RepositoryName", "SourceDir"},
	},
	KindBuild: {
		keys: []keySpec{
			{name: "buildspec", def: "buildspec.yml", check: relPath},
			{name: "source"},
		},
		// ArtifactsDir (the directory holding the artifacts) and ArtifactFiles
		// (their count) always; the
		// rest are the buildspec's env.exported-variables.
		outputs: []string{"ArtifactsDir", "ArtifactFiles"},
		dynamic: true,
	},
	KindDeploy: {
		keys: []keySpec{
			{name: "dir"},
			{name: "to", required: true, check: s3URL},
			{name: "delete", def: "false", check: boolValue},
		},
		outputs: []string{"Bucket", "Prefix", "Version", "OriginPath", "Uploaded", "Skipped", "Deleted"},
	},
	KindReleaseStage: {
		keys: []keySpec{
			{name: "primary", required: true, check: nonEmpty},
			{name: "origin_path", required: true, check: originPath},
			{name: "version"},
			{name: "header", check: cdHeader},
			{name: "weight", check: weight},
			{name: "sticky_idle", check: durationValue},
			{name: "sticky_max", check: durationValue},
		},
		outputs: []string{"StagingDistributionId", "StagingDomainName", "PolicyId", "OriginPath", "Version"},
	},
	KindApproval: {
		keys: []keySpec{
			{name: "webhook", check: httpURL},
			{name: "timeout", check: durationValue, static: true},
			{name: "message", def: "Approve #{codepipeline.PipelineName} run #{codepipeline.PipelineExecutionId}?"},
		},
		outputs: []string{"Result", "ApprovedBy", "Comment"},
	},
	KindReleasePromote: {
		keys: []keySpec{
			{name: "primary", required: true, check: nonEmpty},
			{name: "invalidate", check: paths},
		},
		outputs: []string{"PrimaryDistributionId", "Version", "OriginPath", "PreviousOriginPath", "InvalidationId"},
	},
	KindReleaseAbort: {
		keys:    []keySpec{{name: "primary", required: true, check: nonEmpty}},
		outputs: []string{"StagingDistributionId"},
	},
	KindReleaseAnalyze: {
		// A canary gate: it fails unless staging's traffic over the window
		// passes release.Analyze's checks, so the pipeline's cleanup rule
		// aborts a staged release that serves errors or is slow.
		keys: []keySpec{
			{name: "primary", required: true, check: nonEmpty},
			{name: "window", def: "60s", check: durationValue},
			{name: "min_requests", def: "50", check: positiveInt},
			{name: "max_5xx_rate", def: "0.01", check: rate},
			{name: "max_4xx_rate", check: rate},
		},
		outputs: []string{"Verdict", "StagingRequests", "PrimaryRequests", "Staging5xxRate", "Primary5xxRate", "StagingLatencyP95", "PrimaryLatencyP95"},
	},
	KindReleaseRamp: {
		// A progressive rollout of a weighted release: each step held
		// (analyze: gated like release.analyze, over the hold), then a
		// promote; a gate that does not pass aborts the release.
		keys: []keySpec{
			{name: "primary", required: true, check: nonEmpty},
			{name: "steps", def: "0.05,0.25,0.5,1", check: rampSteps},
			{name: "hold", def: "5m", check: durationValue},
			{name: "analyze", def: "false", check: boolValue},
			{name: "promote", def: "true", check: boolValue},
			{name: "invalidate", check: paths},
			{name: "min_requests", check: positiveInt},
			{name: "max_5xx_rate", check: rate},
			{name: "max_4xx_rate", check: rate},
		},
		outputs: []string{"Outcome", "PrimaryDistributionId", "Weight", "Steps", "OriginPath", "Version", "PreviousOriginPath"},
	},
	KindInvalidate: {
		keys: []keySpec{
			{name: "distribution", required: true, check: nonEmpty},
			{name: "paths", def: "/*", check: paths},
			{name: "wait", def: "false", check: boolValue},
		},
		outputs: []string{"InvalidationId", "Status"},
	},
	KindStepFunctions: {
		keys: []keySpec{
			{name: "state_machine", required: true, check: nonEmpty},
			{name: "input", def: "{}"},
		},
		outputs: []string{"ExecutionArn", "StateMachineArn", "Status", "Output"},
	},
	KindHTTP: {
		keys: []keySpec{
			{name: "url", required: true, check: httpURL},
			{name: "method", def: "POST", check: httpMethod},
			{name: "body"},
		},
		outputs: []string{"StatusCode", "Body"},
	},
}

// Kinds lists the action kinds, sorted.
func Kinds() []string {
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Outputs lists the variables an action of kind always sets; any is true
// when it may set others too (build: its exported variables).
func Outputs(kind string) (vars []string, any bool) {
	k := kinds[kind]
	return append([]string(nil), k.outputs...), k.dynamic
}

func (k kindSpec) keyNames() []string {
	out := make([]string, len(k.keys))
	for i, ks := range k.keys {
		out[i] = ks.name
	}
	return out
}

func (k kindSpec) key(name string) (keySpec, bool) {
	for _, ks := range k.keys {
		if ks.name == name {
			return ks, true
		}
	}
	return keySpec{}, false
}

// Value checks.

func nonEmpty(v string) error {
	if strings.TrimSpace(v) == "" {
		return fmt.Errorf("is empty")
	}
	return nil
}

func relPath(v string) error {
	if v == "" || strings.HasPrefix(v, "/") || strings.Contains("/"+v+"/", "/../") {
		return fmt.Errorf("%q must be a path inside the source tree, e.g. buildspec.yml", v)
	}
	return nil
}

func s3URL(v string) error {
	rest, ok := strings.CutPrefix(v, "s3://")
	bucket, _, _ := strings.Cut(rest, "/")
	if !ok || bucket == "" {
		return fmt.Errorf("%q must be s3://bucket/prefix/", v)
	}
	return nil
}

func boolValue(v string) error {
	_, err := parseBool(v)
	return err
}

func durationValue(v string) error {
	_, err := parseDuration(v)
	return err
}

func originPath(v string) error {
	if !strings.HasPrefix(v, "/") || (len(v) > 1 && strings.HasSuffix(v, "/")) {
		return fmt.Errorf("%q must start with / and not end with /, e.g. /2.0.0", v)
	}
	return nil
}

// cdHeader checks NAME=VALUE with CloudFront's rule for the header name.
func cdHeader(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || value == "" {
		return fmt.Errorf("%q must be NAME=VALUE, e.g. aws-cf-cd-env=staging", v)
	}
	if !strings.HasPrefix(strings.ToLower(name), "aws-cf-cd-") {
		return fmt.Errorf("header name %q must start with \"aws-cf-cd-\"", name)
	}
	return nil
}

// weight accepts any share in (0, 1]: edgecd's native mode allows more
// than CloudFront's 0.15 cap, which compatibility mode enforces at run
// time.
func weight(v string) error {
	w, err := strconv.ParseFloat(v, 64)
	if err != nil || !(w > 0 && w <= 1) {
		return fmt.Errorf("%q must be a number greater than 0 and at most 1, e.g. 0.1", v)
	}
	return nil
}

// rampSteps are a ramp's weights: comma-separated fractions (or
// percentages), each in (0, 1], increasing (as release.ParseSteps reads
// them at run time).
func rampSteps(v string) error {
	prev := 0.0
	for _, f := range strings.Split(v, ",") {
		num, pct := strings.CutSuffix(strings.TrimSpace(f), "%")
		w, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if pct {
			w /= 100
		}
		if err != nil || !(w > 0 && w <= 1) || w <= prev {
			return fmt.Errorf("%q must be increasing weights greater than 0 and at most 1, e.g. 0.05,0.25,0.5,1", v)
		}
		prev = w
	}
	return nil
}

func positiveInt(v string) error {
	if n, err := strconv.Atoi(v); err != nil || n < 1 {
		return fmt.Errorf("%q must be a whole number of at least 1, e.g. 50", v)
	}
	return nil
}

// rate is a share of answers, as a fraction: 0.01 is 1 %.
func rate(v string) error {
	r, err := strconv.ParseFloat(v, 64)
	if err != nil || !(r > 0 && r <= 1) {
		return fmt.Errorf("%q must be a fraction greater than 0 and at most 1, e.g. 0.01 for 1%%", v)
	}
	return nil
}

func paths(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); !strings.HasPrefix(s, "/") {
			return fmt.Errorf("%q must be comma-separated paths starting with /, e.g. /* or /index.html,/app.js", v)
		}
	}
	return nil
}

func httpURL(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q must be an http:// or https:// URL", v)
	}
	return nil
}

func httpMethod(v string) error {
	switch v {
	case "GET", "POST", "PUT", "PATCH", "DELETE":
		return nil
	}
	return fmt.Errorf("%q must be GET, POST, PUT, PATCH or DELETE", v)
}

// jsonTemplate checks that s is a JSON object once every reference is
// replaced by a value: 0 stands for both "#{A.B}" inside a string and a
// bare #{A.B} used as a number.
func jsonTemplate(s string) error {
	var b strings.Builder
	last := 0
	for _, r := range References(s) {
		b.WriteString(s[last:r.Offset])
		b.WriteString("0")
		last = r.Offset + r.Len
	}
	b.WriteString(s[last:])
	var v map[string]any
	if err := json.Unmarshal([]byte(b.String()), &v); err != nil {
		return fmt.Errorf("must be a JSON object: %v", err)
	}
	return nil
}
