package buildspec

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordingRunner is a Runner as a container runner would be: it decides how
// the shell starts (here: locally) and sees exactly what the build asks for.
type recordingRunner struct {
	mu      sync.Mutex
	started []ShellCommand
}

func (r *recordingRunner) Start(ctx context.Context, c ShellCommand) (Process, error) {
	r.mu.Lock()
	r.started = append(r.started, c)
	r.mu.Unlock()
	return LocalRunner{}.Start(ctx, c)
}

func TestRunGoesThroughTheRunnerSeam(t *testing.T) {
	t.Setenv("EDGECD_SERVER_SECRET", "x")
	dir := t.TempDir()
	rr := &recordingRunner{}
	_, err := Run(context.Background(), mustParse(t, "version: 0.2\nenv: {variables: {A: b}}\nphases:\n  build: {commands: [\"true\"]}\n"),
		RunOptions{Dir: dir, Runner: rr, Env: []string{"CODEBUILD_RESOLVED_SOURCE_VERSION=abc"}, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(rr.started) != 1 {
		t.Fatalf("started %d shells, want 1 for the whole build", len(rr.started))
	}
	c := rr.started[0]
	if c.Dir != dir || !strings.HasSuffix(c.Path, "bash") {
		t.Errorf("shell %s in %s", c.Path, c.Dir)
	}
	env := strings.Join(c.Env, "\n")
	for _, want := range []string{"A=b", "CODEBUILD_SRC_DIR=" + dir, "CODEBUILD_RESOLVED_SOURCE_VERSION=abc", "PATH="} {
		if !strings.Contains(env, want) {
			t.Errorf("environment lacks %s:\n%s", want, env)
		}
	}
	if strings.Contains(env, "EDGECD_SERVER_SECRET") {
		t.Errorf("the build inherited the server's environment:\n%s", env)
	}
}
