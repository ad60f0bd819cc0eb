//go:build unix

package buildspec

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"syscall"
)

// LocalRunner runs the build's shell as a local process in its own process
// group, as the user running edgecd. Kill signals the whole group, so
// commands the shell started in the background end with it; a process that
// leaves the group on purpose (setsid) escapes, as it would on any machine
// without containers.
type LocalRunner struct{}

// Start implements Runner.
func (LocalRunner) Start(ctx context.Context, c ShellCommand) (Process, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd := &exec.Cmd{
		Path:        c.Path,
		Args:        append([]string{c.Path}, c.Args...),
		Dir:         c.Dir,
		Env:         c.Env,
		Stdin:       inR,
		Stdout:      outW,
		Stderr:      outW,
		SysProcAttr: sysProcAttr(),
	}
	err = cmd.Start()
	// The child holds its own copies; ours must go so that the output
	// reaches EOF when the shell and its children are gone.
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, err
	}
	return &localProcess{cmd: cmd, in: inW, out: outR}, nil
}

type localProcess struct {
	cmd *exec.Cmd
	in  *os.File
	out *os.File
}

func (p *localProcess) Stdin() io.WriteCloser { return p.in }
func (p *localProcess) Output() io.ReadCloser { return p.out }

func (p *localProcess) Wait() (int, error) {
	err := p.cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -1, nil
		}
		return exit.ExitCode(), nil
	}
	if err != nil {
		return -1, err
	}
	return 0, nil
}

// Kill sends SIGKILL to the shell's process group. The group outlives the
// shell while any of its members live, so this also ends background
// commands after the shell has exited.
func (p *localProcess) Kill() error {
	err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}
