package buildspec

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log that the test reads after Run returns; Run writes it
// from one goroutine, but -race wants the hand-over explicit.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var stamp = regexp.MustCompile(`\[Container\] \d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6} `)

// lines returns the log with the markers' time stamps removed.
func lines(log string) []string {
	return strings.Split(strings.TrimRight(stamp.ReplaceAllString(log, "[Container] "), "\n"), "\n")
}

func mustParse(t *testing.T, src string) *Spec {
	t.Helper()
	s, problems := Parse("buildspec.yml", []byte(src))
	if len(problems) > 0 {
		t.Fatalf("parse: %v", problems)
	}
	return s
}

func runSpec(t *testing.T, src string, opts RunOptions) (*Result, []string, error) {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	var log syncBuffer
	opts.Log = &log
	if opts.Timeout == 0 {
		opts.Timeout = time.Minute
	}
	res, err := Run(context.Background(), mustParse(t, src), opts)
	return res, lines(log.String()), err
}

func logHas(t *testing.T, log []string, want ...string) {
	t.Helper()
	i := 0
	for _, l := range log {
		if i < len(want) && l == want[i] {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("log lacks %q (in this order); log:\n%s", want[i], strings.Join(log, "\n"))
	}
}

func statuses(res *Result) map[string]PhaseStatus {
	m := map[string]PhaseStatus{}
	for _, p := range res.Phases {
		m[p.Name] = p.Status
	}
	return m
}

func TestRunKeepsShellStateAcrossCommandsAndPhases(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	res, log, err := runSpec(t, `version: 0.2
phases:
  install:
    commands:
      - cd sub
      - export EXPORTED=one
      - LOCAL=two
  build:
    commands:
      - echo "pwd=$(basename "$PWD") exported=$EXPORTED local=$LOCAL"
      - sh -c 'echo child sees "$EXPORTED" and "${LOCAL:-nothing}"'
`, RunOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	logHas(t, log,
		"[Container] Entering phase INSTALL",
		"[Container] Running command cd sub",
		"[Container] Phase complete: INSTALL State: SUCCEEDED",
		"[Container] Entering phase BUILD",
		`[Container] Running command echo "pwd=$(basename "$PWD") exported=$EXPORTED local=$LOCAL"`,
		"pwd=sub exported=one local=two",
		"child sees one and nothing",
		"[Container] Phase complete: BUILD State: SUCCEEDED")
	if got := statuses(res); !reflect.DeepEqual(got, map[string]PhaseStatus{Install: Succeeded, Build: Succeeded}) {
		t.Errorf("phases = %v", got)
	}
}

func TestRunFailedBuildStillRunsFinallyAndPostBuild(t *testing.T) {
	res, log, err := runSpec(t, `version: 0.2
phases:
  build:
    commands:
      - echo before
      - echo oops >&2; exit_code=7; (exit $exit_code)
      - echo never
    finally:
      - echo cleanup
  post_build:
    commands:
      - echo succeeding=$CODEBUILD_BUILD_SUCCEEDING
artifacts:
  files: ['**/*']
  base-directory: out
`, RunOptions{})
	var be *BuildError
	if !errors.As(err, &be) {
		t.Fatalf("err = %v, want a *BuildError", err)
	}
	if be.Phase != Build || be.Command != "echo oops >&2; exit_code=7; (exit $exit_code)" || be.ExitCode != 7 {
		t.Errorf("BuildError = %+v", be)
	}
	if !strings.Contains(be.Tail, "oops") {
		t.Errorf("tail lacks the failing command's output: %q", be.Tail)
	}
	logHas(t, log, "before", "oops", "[Container] Running command echo cleanup", "cleanup",
		"[Container] Phase complete: BUILD State: FAILED",
		"[Container] Entering phase POST_BUILD", "succeeding=0",
		// CodeBuild attempts UPLOAD_ARTIFACTS even after a failed build.
		"[Container] Entering phase UPLOAD_ARTIFACTS")
	for _, l := range log {
		if l == "never" {
			t.Errorf("the command after the failing one ran")
		}
	}
	want := map[string]PhaseStatus{Build: Failed, PostBuild: Succeeded, UploadArtifacts: Failed}
	if got := statuses(res); !reflect.DeepEqual(got, want) {
		t.Errorf("phases = %v, want %v", got, want)
	}
	if res.Phases[0].Command == "" || res.Phases[0].ExitCode != 7 {
		t.Errorf("build phase result = %+v", res.Phases[0])
	}
}

func TestRunPhaseTransitionsOnFailure(t *testing.T) {
	tests := []struct {
		name string
		spec string
		want map[string]PhaseStatus
	}{
		{"failed install skips the rest", `version: 0.2
phases:
  install: {commands: ["false"]}
  pre_build: {commands: ["true"]}
  build: {commands: ["true"]}
  post_build: {commands: ["true"]}
artifacts: {files: ["**/*"]}
`, map[string]PhaseStatus{Install: Failed, PreBuild: Skipped, Build: Skipped, PostBuild: Skipped}},
		{"failed pre_build skips build and post_build", `version: 0.2
phases:
  pre_build: {commands: ["false"]}
  build: {commands: ["true"]}
  post_build: {commands: ["true"]}
`, map[string]PhaseStatus{PreBuild: Failed, Build: Skipped, PostBuild: Skipped}},
		{"on-failure CONTINUE goes on", `version: 0.2
phases:
  pre_build: {on-failure: CONTINUE, commands: ["false"]}
  build: {commands: ["true"]}
`, map[string]PhaseStatus{PreBuild: Failed, Build: Succeeded}},
		{"on-failure ABORT on build skips post_build", `version: 0.2
phases:
  build: {on-failure: ABORT, commands: ["false"]}
  post_build: {commands: ["true"]}
`, map[string]PhaseStatus{Build: Failed, PostBuild: Skipped}},
		{"failing finally fails the phase", `version: 0.2
phases:
  build: {commands: ["true"], finally: ["false"]}
`, map[string]PhaseStatus{Build: Failed}},
		{"exit in a command ends the shell, post_build runs in a new one", `version: 0.2
phases:
  build: {commands: ["exit 3"]}
  post_build: {commands: ["test $CODEBUILD_BUILD_SUCCEEDING = 0"]}
`, map[string]PhaseStatus{Build: Failed, PostBuild: Succeeded}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, _, err := runSpec(t, tt.spec, RunOptions{})
			var be *BuildError
			if !errors.As(err, &be) {
				t.Fatalf("err = %v, want a *BuildError", err)
			}
			if got := statuses(res); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("phases = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRunEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("EDGECD_TEST_SECRET_OF_SERVER", "leak")
	var asked []string
	res, log, err := runSpec(t, `version: 0.2
env:
  variables:
    FROM_SPEC: spec
    OVERRIDDEN: spec
  parameter-store:
    TOKEN: /app/token
  exported-variables: [VERSION, MULTI, NEVER_SET]
phases:
  build:
    commands:
      - echo "src=$CODEBUILD_SRC_DIR rev=$CODEBUILD_RESOLVED_SOURCE_VERSION spec=$FROM_SPEC over=$OVERRIDDEN server=${EDGECD_TEST_SECRET_OF_SERVER:-unset}"
      - echo "token=$TOKEN"
      - VERSION=v-$(echo $CODEBUILD_RESOLVED_SOURCE_VERSION | cut -c1-7)
      - MULTI="$(printf 'a\nb ü')"
      - printf 'no newline at the end'
`, RunOptions{
		Dir: dir,
		Env: []string{"CODEBUILD_RESOLVED_SOURCE_VERSION=0123456789abcdef0123456789abcdef01234567", "OVERRIDDEN=project"},
		Parameter: func(ctx context.Context, name string) (string, error) {
			asked = append(asked, name)
			return "s3cr3t-value", nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	logHas(t, log,
		"src="+dir+" rev=0123456789abcdef0123456789abcdef01234567 spec=spec over=project server=unset",
		"token=***",
		"no newline at the end",
		"[Container] Phase complete: BUILD State: SUCCEEDED")
	if !reflect.DeepEqual(asked, []string{"/app/token"}) {
		t.Errorf("parameters asked = %v", asked)
	}
	want := map[string]string{"VERSION": "v-0123456", "MULTI": "a\nb ü"}
	if !reflect.DeepEqual(res.Exported, want) {
		t.Errorf("exported = %q, want %q", res.Exported, want)
	}
}

func TestRunParameterStoreFailureStopsBeforeAnyCommand(t *testing.T) {
	_, log, err := runSpec(t, `version: 0.2
env:
  parameter-store: {TOKEN: /missing}
phases:
  build: {commands: ["echo ran"]}
`, RunOptions{Parameter: func(ctx context.Context, name string) (string, error) {
		return "", errors.New("ParameterNotFound")
	}})
	var be *BuildError
	if !errors.As(err, &be) || be.Phase != "PROVISIONING" || !strings.Contains(err.Error(), "/missing") {
		t.Fatalf("err = %v", err)
	}
	for _, l := range log {
		if l == "ran" {
			t.Errorf("a command ran")
		}
	}
}

func TestRunShellSh(t *testing.T) {
	_, log, err := runSpec(t, `version: 0.2
env: {shell: sh}
phases:
  build:
    commands:
      - X=1
      - echo "x=$X"
`, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	logHas(t, log, "x=1")
}

func TestRunArtifacts(t *testing.T) {
	dir := t.TempDir()
	res, _, err := runSpec(t, `version: 0.2
phases:
  build:
    commands:
      - mkdir -p public/css public/js .hidden
      - echo a > public/index.html; echo b > public/css/site.css; echo c > public/js/app.js; echo d > public/js/app.js.map
      - ln -s /etc/passwd public/passwd
artifacts:
  files: ['**/*']
  exclude-paths: ['**/*.map']
  base-directory: public
  discard-paths: no
`, RunOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if res.ArtifactsDir != filepath.Join(dir, "public") {
		t.Errorf("ArtifactsDir = %s", res.ArtifactsDir)
	}
	want := []string{"css/site.css", "index.html", "js/app.js"}
	if !reflect.DeepEqual(res.Files, want) {
		t.Errorf("files = %v, want %v (no symlink, no excluded map)", res.Files, want)
	}
}

func TestRunArtifactsMatchingNothingFails(t *testing.T) {
	res, _, err := runSpec(t, `version: 0.2
phases:
  build: {commands: ["mkdir out"]}
artifacts:
  files: ['*.html']
  base-directory: out
`, RunOptions{})
	var be *BuildError
	if !errors.As(err, &be) || be.Phase != UploadArtifacts || !strings.Contains(err.Error(), "*.html") {
		t.Fatalf("err = %v", err)
	}
	if statuses(res)[Build] != Succeeded {
		t.Errorf("phases = %v", res.Phases)
	}
}

func TestRunDiscardPathsRefusesTwoFilesOfTheSameName(t *testing.T) {
	_, _, err := runSpec(t, `version: 0.2
phases:
  build: {commands: ["mkdir -p a b && touch a/x.js b/x.js c.js"]}
artifacts:
  files: ['**/*.js']
  discard-paths: yes
`, RunOptions{})
	var be *BuildError
	if !errors.As(err, &be) || be.Phase != UploadArtifacts || !strings.Contains(err.Error(), "a/x.js and b/x.js would both be x.js") {
		t.Fatalf("err = %v", err)
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"**/*", "index.html", true},
		{"**/*", "a/b/c.css", true},
		{"*.html", "index.html", true},
		{"*.html", "docs/index.html", false},
		{"**/*.html", "docs/index.html", true},
		{"dist/**/*.js", "dist/app.js", true},
		{"dist/**/*.js", "dist/js/vendor/app.js", true},
		{"dist/**/*.js", "src/app.js", false},
		{"dist/**", "dist/a/b", true},
		{"public", "public", true},
		{"a/*/c", "a/b/c", true},
		{"a/*/c", "a/b/b/c", false},
		{"[", "[", false},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.name); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestBuildErrorSaysWhatFailed(t *testing.T) {
	tests := []struct {
		err  *BuildError
		want string
	}{
		{&BuildError{Phase: Build, Command: "npm test", ExitCode: 1}, `phase BUILD failed: command "npm test" exited with status 1`},
		{&BuildError{Phase: Build, Command: "sleep 9", ExitCode: -1, Err: context.DeadlineExceeded}, `phase BUILD failed: command "sleep 9": context deadline exceeded`},
		{&BuildError{Phase: Build, Command: "kill -9 $$", ExitCode: -1}, `phase BUILD failed: command "kill -9 $$" was killed`},
		{&BuildError{Phase: UploadArtifacts, ExitCode: -1, Err: errors.New("no files")}, "phase UPLOAD_ARTIFACTS failed: no files"},
		{&BuildError{ExitCode: -1, Err: errors.New("bash is not installed")}, "the build failed: bash is not installed"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
