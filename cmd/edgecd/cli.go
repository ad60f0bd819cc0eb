package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
)

// What the commands share in reading their arguments and printing their
// results.

// newFlagSet is a command's flag set: errors are returned, not fatal, and
// usage and flag errors go to stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// subcommand reads the COMMAND of a command group (edgecd release COMMAND
// [flags]) and returns it with a flag set for its flags. With no command it
// prints usage and fails; with -h it prints usage and returns flag.ErrHelp,
// which run treats as success.
func subcommand(group, usage string, args []string, stdout, stderr io.Writer) (string, *flag.FlagSet, error) {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return "", nil, fmt.Errorf("name a %s command", group)
		}
		return "", nil, flag.ErrHelp
	}
	return args[0], newFlagSet(group+" "+args[0], stderr), nil
}

// parseInterspersed parses flags that may come after positional arguments
// (edgecd deploy DIR s3://b/p/ --delete, as aws s3 sync allows).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// printJSON writes v as indented JSON: what --output json prints.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printOut writes a command's result: v as JSON when output is json, else
// text as it is.
func printOut(w io.Writer, output string, v any, text string) error {
	if output == "json" {
		return printJSON(w, v)
	}
	_, err := io.WriteString(w, text)
	return err
}
