//go:build linux

package buildspec

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// alive reports whether pid is a live process (a zombie waiting for a
// reaper counts as dead: it runs nothing).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) S ...: the state follows the last ')'.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// waitDead polls until pid is gone; the kill is asynchronous.
func waitDead(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs after the build ended", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The spec starts a background sleeper and writes its pid, then blocks; the
// run must end by timeout or cancel and take the background process along.
const blockingSpec = `version: 0.2
phases:
  build:
    commands:
      - sleep 300 & echo $! > bg.pid
      - echo started > started
      - sleep 300
  post_build:
    commands: ["echo post"]
`

func readPid(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "bg.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func TestRunTimeoutKillsTheProcessGroup(t *testing.T) {
	dir := t.TempDir()
	var log syncBuffer
	res, err := Run(context.Background(), mustParse(t, blockingSpec), RunOptions{Dir: dir, Log: &log, Timeout: 3 * time.Second})
	var be *BuildError
	if !errors.As(err, &be) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a *BuildError wrapping DeadlineExceeded", err)
	}
	if be.Phase != Build || be.ExitCode != -1 {
		t.Errorf("BuildError = %+v", be)
	}
	if _, err := os.Stat(filepath.Join(dir, "started")); err != nil {
		t.Skipf("the build did not get to its blocking command within the timeout on this busy machine: %v", err)
	}
	if be.Command != "sleep 300" {
		t.Errorf("failing command = %q", be.Command)
	}
	want := map[string]PhaseStatus{Build: TimedOut, PostBuild: Skipped}
	if got := statuses(res); got[Build] != want[Build] || got[PostBuild] != want[PostBuild] {
		t.Errorf("phases = %v, want %v", got, want)
	}
	waitDead(t, readPid(t, dir))
}

func TestRunCancelStopsTheBuild(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := filepath.Join(dir, "started")
	go func() {
		// Cancel once the build is inside its blocking command.
		for ctx.Err() == nil {
			if _, err := os.Stat(started); err == nil {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	res, err := Run(ctx, mustParse(t, blockingSpec), RunOptions{Dir: dir, Timeout: time.Minute})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := statuses(res); got[Build] != Stopped {
		t.Errorf("phases = %v", got)
	}
	waitDead(t, readPid(t, dir))
}

func TestRunEndsBackgroundProcessesAfterASuccessfulBuild(t *testing.T) {
	dir := t.TempDir()
	_, err := Run(context.Background(), mustParse(t, `version: 0.2
phases:
  build:
    commands:
      - sleep 300 > /dev/null 2>&1 & echo $! > bg.pid
`), RunOptions{Dir: dir, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	waitDead(t, readPid(t, dir))
}

// A process that leaves the build's process group escapes the kill (the
// documented limit of local builds); if it still holds the build's output
// open, Run must return anyway.
func TestRunReturnsWhenAnEscapedProcessHoldsTheOutput(t *testing.T) {
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skip("setsid is not installed")
	}
	dir := t.TempDir()
	t.Cleanup(func() {
		if b, err := os.ReadFile(filepath.Join(dir, "bg.pid")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	_, err := Run(context.Background(), mustParse(t, `version: 0.2
phases:
  build:
    commands:
      - setsid sleep 300 & echo $! > bg.pid
      - sleep 300
`), RunOptions{Dir: dir, Timeout: 2 * time.Second})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
}
