//go:build !unix

package buildspec

import (
	"context"
	"errors"
)

// LocalRunner runs builds as local processes; it needs a Unix system.
type LocalRunner struct{}

// Start implements Runner.
func (LocalRunner) Start(ctx context.Context, c ShellCommand) (Process, error) {
	return nil, errors.New("local builds need a Unix system (bash or sh and process groups)")
}
