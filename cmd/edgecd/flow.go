package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/edgecd/edgecd/flow"
)

const flowUsage = `Usage: edgecd flow run [--input JSON | --input-file F] [--real-time] DEFINITION.json

Runs a States Language definition in memory and prints its history as it
happens, then its output. No service is called: a Task state fails with
States.Runtime naming its resource (Retry and Catch apply). Wait states pass
at once unless --real-time.
`

func cmdFlow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprint(stderr, flowUsage)
		return errors.New(`the only flow command is "run"`)
	}
	fs := newFlagSet("flow run", stderr)
	fs.Usage = func() { fmt.Fprint(stderr, flowUsage); fs.PrintDefaults() }
	input := fs.String("input", "{}", "execution input (JSON)")
	inputFile := fs.String("input-file", "", "read the input from this file")
	realTime := fs.Bool("real-time", false, "sleep through waits and back-offs")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return errors.New("give one definition file")
	}
	def, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	in := []byte(*input)
	if *inputFile != "" {
		if in, err = os.ReadFile(*inputFile); err != nil {
			return err
		}
	}
	x, err := flow.RunLocal(ctx, def, in, stdout, flow.LocalOptions{Color: isTerminal(stdout), RealTime: *realTime})
	if err != nil {
		return err
	}
	if x.Status != "SUCCEEDED" {
		return fmt.Errorf("execution %s: %s: %s", x.Status, x.Error, x.Cause)
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
