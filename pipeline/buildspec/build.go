package buildspec

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// DefaultTimeout bounds a build when RunOptions.Timeout is 0, as CodeBuild's
// default build timeout does.
const DefaultTimeout = 60 * time.Minute

// killGrace is how long the output may stay open after the shell's group was
// killed (a process that left the group can hold it) before it is closed.
const killGrace = 2 * time.Second

// Run runs spec in opts.Dir and collects its artifacts. A failed build
// returns the Result so far together with a *BuildError.
func Run(ctx context.Context, spec *Spec, opts RunOptions) (*Result, error) {
	if spec == nil {
		return nil, errors.New("buildspec.Run: no spec")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("buildspec.Run: %w", err)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("buildspec.Run: source directory %s does not exist", opts.Dir)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	b := &build{spec: spec, opts: opts, dir: dir, log: newBuildLog(opts.Log), res: &Result{}}
	start := time.Now()
	err = b.run(ctx)
	b.res.Duration = time.Since(start)
	if err != nil {
		var be *BuildError
		if errors.As(err, &be) && be.Tail == "" {
			be.Tail = b.log.lastLines()
		}
		b.log.container("Build failed: %v", err)
		return b.res, err
	}
	return b.res, nil
}

type build struct {
	spec *Spec
	opts RunOptions
	dir  string
	log  *buildLog
	res  *Result
	env  []string
	sh   *session

	// mu guards proc and killed, shared with the goroutine that kills the
	// build on timeout.
	mu     sync.Mutex
	proc   Process
	killed bool
	// first is the first failure; the build goes on in some cases
	// (post_build after a failed build) but reports this one.
	first *BuildError
}

func (b *build) run(ctx context.Context) error {
	b.log.container("Running on edgecd (local process group)")
	b.log.container("Processing environment variables")
	env, err := b.environment(ctx)
	if err != nil {
		return &BuildError{Phase: "PROVISIONING", ExitCode: -1, Err: err}
	}
	b.env = env
	b.log.container("Moving to directory %s", b.dir)
	if err := b.startShell(ctx); err != nil {
		return &BuildError{Phase: "PROVISIONING", ExitCode: -1, Err: err}
	}
	defer func() { b.sh.close() }()

	// Kill the whole group when the build times out or is stopped. The
	// reading loop then sees the output end; if a process outside the
	// group still holds it open, closing it after a grace period ends the
	// read.
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-done:
			return
		case <-ctx.Done():
		}
		b.mu.Lock()
		b.killed = true
		proc := b.proc
		b.mu.Unlock()
		_ = proc.Kill()
		select {
		case <-done:
		case <-time.After(killGrace):
			proc.Output().Close()
		}
	}()

	aborted := false
	for _, ph := range b.spec.Phases {
		if aborted {
			b.res.Phases = append(b.res.Phases, PhaseResult{Name: ph.Name, Status: Skipped})
			continue
		}
		failed, stop := b.phase(ctx, ph)
		if stop {
			aborted = true
			continue
		}
		if failed {
			switch {
			case ph.OnFailure == Continue:
			case ph.OnFailure == Abort, ph.Name == Install, ph.Name == PreBuild:
				// CodeBuild: a failed install or pre_build goes
				// straight to finalizing; build and post_build are
				// skipped and no artifacts are uploaded.
				aborted = true
			}
		}
	}
	if ctx.Err() == nil && !aborted {
		b.artifacts()
	}
	if ctx.Err() == nil && b.sh != nil {
		vars, err := b.sh.exported(b.spec.Env.Exported)
		if err != nil && !errors.Is(err, errShellExited) {
			b.log.container("Reading exported variables: %v", err)
		}
		b.res.Exported = vars
	}
	if b.first != nil {
		return b.first
	}
	return nil
}

func (b *build) fail(be *BuildError) {
	if b.first == nil {
		b.first = be
		be.Tail = b.log.lastLines()
	}
}

// phase runs one phase: its commands until one fails, then its finally
// block. stop is true when the build cannot go on (timeout, stop).
func (b *build) phase(ctx context.Context, ph Phase) (failed, stop bool) {
	pr := PhaseResult{Name: ph.Name, Status: Succeeded, Start: time.Now()}
	b.log.container("Entering phase %s", ph.Name)
	succeeding := "1"
	if b.first != nil {
		succeeding = "0"
	}
	// Not logged: it is the agent's doing, not the user's command.
	b.exec(ctx, "export CODEBUILD_BUILD_SUCCEEDING="+succeeding, false)

	var failure *BuildError
	runAll := func(cmds []Command) {
		for _, c := range cmds {
			if err := ctx.Err(); err != nil {
				// Timed out or stopped between two commands.
				if failure == nil {
					failure = &BuildError{Phase: ph.Name, ExitCode: -1, Err: err}
				}
				return
			}
			code, err := b.exec(ctx, c.Text, true)
			if err == nil && code == 0 {
				continue
			}
			if ctx.Err() != nil {
				code, err = -1, ctx.Err()
			} else if err != nil && !errors.Is(err, errShellExited) {
				code = -1
			}
			if err == nil || errors.Is(err, errShellExited) {
				err = nil
			}
			if failure == nil {
				failure = &BuildError{Phase: ph.Name, Command: c.Text, ExitCode: code, Err: err}
			}
			return
		}
	}
	runAll(ph.Commands)
	if ctx.Err() == nil {
		runAll(ph.Finally) // finally runs whether or not a command failed
	}
	pr.Duration = time.Since(pr.Start)
	if failure != nil {
		pr.Status, pr.Command, pr.ExitCode = Failed, failure.Command, failure.ExitCode
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			pr.Status = TimedOut
			failure.Err = fmt.Errorf("build timed out after %v: %w", b.timeout(), context.DeadlineExceeded)
			stop = true
		case ctx.Err() != nil:
			pr.Status = Stopped
			failure.Err = ctx.Err()
			stop = true
		default:
			b.log.container("Command did not exit successfully %s exit status %d", failure.Command, failure.ExitCode)
		}
		b.fail(failure)
	}
	b.log.container("Phase complete: %s State: %s", ph.Name, pr.Status)
	if failure != nil && !stop {
		b.log.container("Phase context status code: COMMAND_EXECUTION_ERROR Message: Error while executing command: %s. Reason: exit status %d", failure.Command, failure.ExitCode)
	}
	b.res.Phases = append(b.res.Phases, pr)
	return failure != nil, stop
}

func (b *build) timeout() time.Duration {
	if b.opts.Timeout > 0 {
		return b.opts.Timeout
	}
	return DefaultTimeout
}

// exec runs one command in the shell. When the shell has died (exit in a
// command, set -e), the remaining commands (post_build, finally) run in a
// fresh shell: the variables and directory of the dead one are lost.
func (b *build) exec(ctx context.Context, cmd string, show bool) (int, error) {
	if err := ctx.Err(); err != nil {
		return -1, err
	}
	if b.sh.exited {
		b.log.container("The shell exited with status %d; starting a new one for the remaining commands", b.sh.status)
		b.sh.close()
		if err := b.startShell(ctx); err != nil {
			return -1, err
		}
	}
	if show {
		b.log.container("Running command %s", cmd)
	}
	return b.sh.run(cmd)
}

func (b *build) startShell(ctx context.Context) error {
	path, err := shellPath(b.spec.Env.Shell)
	if err != nil {
		return err
	}
	runner := b.opts.Runner
	if runner == nil {
		runner = LocalRunner{}
	}
	token := newToken()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.killed {
		return ctx.Err()
	}
	proc, err := runner.Start(ctx, ShellCommand{
		Path: path,
		Args: []string{"-c", "__EDGECD_TOKEN=" + token + "\n" + driver},
		Dir:  b.dir,
		Env:  b.env,
	})
	if err != nil {
		return fmt.Errorf("start %s: %w", path, err)
	}
	b.proc = proc
	b.sh = newSession(proc, token, b.log)
	return nil
}

func shellPath(shell string) (string, error) {
	name := "bash"
	if shell == "sh" {
		name = "sh"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("env.shell %s: %s is not installed on this machine (or not on PATH)", shell, name)
	}
	return path, nil
}

// environment builds the shell's environment: a minimal base from this
// process, the spec's variables, the resolved parameters, opts.Env (which
// wins, as a CodeBuild project's variables win over the buildspec's) and
// CODEBUILD_SRC_DIR.
func (b *build) environment(ctx context.Context) ([]string, error) {
	var order []string
	vals := map[string]string{}
	set := func(k, v string) {
		if _, ok := vals[k]; !ok {
			order = append(order, k)
		}
		vals[k] = v
	}
	for _, k := range []string{"PATH", "HOME", "LANG", "TMPDIR", "USER"} {
		if v, ok := os.LookupEnv(k); ok {
			set(k, v)
		}
	}
	for _, v := range b.spec.Env.Variables {
		set(v.Name, v.Value)
	}
	for _, v := range b.spec.Env.ParameterStore {
		if b.opts.Parameter == nil {
			return nil, fmt.Errorf("env.parameter-store %s: no parameter store is configured for builds", v.Name)
		}
		val, err := b.opts.Parameter(ctx, v.Value)
		if err != nil {
			return nil, fmt.Errorf("env.parameter-store %s: parameter %s: %w", v.Name, v.Value, err)
		}
		b.log.mask(val)
		set(v.Name, val)
	}
	for _, kv := range b.opts.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			set(k, v)
		}
	}
	set("CODEBUILD_SRC_DIR", b.dir)
	env := make([]string, 0, len(order))
	for _, k := range order {
		env = append(env, k+"="+vals[k])
	}
	return env, nil
}
