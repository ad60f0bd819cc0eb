// Command edgecd is the edgecd binary: `edgecd up` runs a demo on this
// machine, `edgecd serve` runs a node without the demo. Subcommands only
// parse flags and wire packages together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `edgecd ships static web frontends through a CDN with staged releases.

Usage:
  edgecd up      [flags]   run everything on loopback with a demo (first start seeds it)
  edgecd serve   [flags]   run a node (role all, edge or control) without the demo
  edgecd deploy  DIR s3://bucket/prefix/   upload a build output by content hash
  edgecd flow run DEFINITION.json   run a state machine definition locally
  edgecd release COMMAND   stage, ramp, analyze, promote, abort, roll back, status, invalidate
  edgecd pipeline COMMAND  create, start, approve, ... release pipelines (edgecd pipeline -h)
  edgecd version           print the version

Run "edgecd <command> -h" for a command's flags.
`

var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "up":
		err = cmdUp(ctx, args[1:], stdout, stderr)
	case "serve":
		err = cmdServe(ctx, args[1:], stdout, stderr)
	case "flow":
		err = cmdFlow(ctx, args[1:], stdout, stderr)
	case "deploy":
		err = cmdDeploy(ctx, args[1:], stdout, stderr)
	case "release":
		err = cmdRelease(ctx, args[1:], stdout, stderr)
	case "pipeline":
		err = cmdPipeline(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "edgecd", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "edgecd: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "edgecd %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}
