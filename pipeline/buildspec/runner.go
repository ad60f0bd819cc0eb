package buildspec

import (
	"context"
	"io"
)

// Runner starts the shell a build runs in. It is the seam for isolation:
// LocalRunner starts a local process group; a container runner would start
// the same shell inside a container with Dir mounted at the same path.
type Runner interface {
	Start(ctx context.Context, c ShellCommand) (Process, error)
}

// ShellCommand is the shell a Runner starts.
type ShellCommand struct {
	Path string   // the shell, e.g. "/bin/bash"
	Args []string // arguments after the shell's own name
	Dir  string   // working directory
	Env  []string // the complete environment
}

// Process is a started shell. The build writes the commands to Stdin and
// reads Output until it ends.
type Process interface {
	// Stdin is the shell's standard input.
	Stdin() io.WriteCloser
	// Output is the shell's stdout and stderr combined. Close unblocks a
	// pending Read.
	Output() io.ReadCloser
	// Wait waits for the shell to exit and returns its exit status (-1
	// when it was killed by a signal).
	Wait() (exitCode int, err error)
	// Kill ends the shell and every process it started.
	Kill() error
}
