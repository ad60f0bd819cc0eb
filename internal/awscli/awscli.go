// Package awscli runs the real aws CLI v2 from tests, with an environment
// of its own: no inherited AWS_* variable, profile, CA bundle or pager can
// change what the CLI does, so a test sees what a new user's CLI would do.
// It is test support, imported only from _test.go files.
package awscli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Path is the CLI v2 that Debian's awscli package installs; the first aws
// on PATH may be an old v1.
const Path = "/usr/bin/aws"

// CLI runs aws commands against one endpoint.
type CLI struct {
	T        testing.TB
	Endpoint string
	// Env is the process's whole environment.
	Env []string
	// Prefix goes before every command's arguments, e.g. {"ssm"}.
	Prefix []string
	// Timeout bounds one command (default 60 s).
	Timeout time.Duration
}

// New returns a CLI signed with the given key, in us-east-1, or skips the
// test when the CLI is not installed. extraEnv entries are added last.
func New(t testing.TB, endpoint, keyID, secret string, extraEnv ...string) *CLI {
	t.Helper()
	if _, err := os.Stat(Path); err != nil {
		t.Skipf("the aws CLI v2 is not installed at %s (apt-get install awscli)", Path)
	}
	return &CLI{T: t, Endpoint: endpoint, Env: append(Env(t, keyID, secret), extraEnv...)}
}

// Env is a clean environment for AWS client processes (the aws CLI,
// rclone, edgecd's own commands) signed with the given key: PATH, a
// temporary HOME, empty config files, no retries, no pager.
func Env(t testing.TB, keyID, secret string) []string {
	t.Helper()
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{
		"PATH=/usr/bin:/bin", "HOME=" + dir,
		"AWS_ACCESS_KEY_ID=" + keyID, "AWS_SECRET_ACCESS_KEY=" + secret,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=" + empty, "AWS_SHARED_CREDENTIALS_FILE=" + empty,
		"AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
	}
}

// Try runs `aws <Prefix> <args> --endpoint-url <Endpoint>` and returns its
// output and exit code; it fails the test only when the CLI cannot run.
func (c *CLI) Try(args ...string) (stdout, stderr string, exit int) {
	c.T.Helper()
	limit := c.Timeout
	if limit == 0 {
		limit = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	full := append(append(append([]string{}, c.Prefix...), args...), "--endpoint-url", c.Endpoint)
	cmd := exec.CommandContext(ctx, Path, full...)
	cmd.Env = c.Env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && ctx.Err() == nil:
		exit = ee.ExitCode()
	case err != nil:
		c.T.Fatalf("aws %s: %v\n%s", strings.Join(full, " "), err, errb.String())
	}
	return out.String(), errb.String(), exit
}

// Run runs a command that must succeed, decodes its JSON output into v
// when v is not nil, and returns the output.
func (c *CLI) Run(v any, args ...string) string {
	c.T.Helper()
	out, stderr, exit := c.Try(args...)
	if exit != 0 {
		c.T.Fatalf("aws %s: exit %d\n%s%s", c.line(args), exit, out, stderr)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			c.T.Fatalf("aws %s: %v in %q", c.line(args), err, out)
		}
	}
	return out
}

// Fails runs a command that must fail with the service error code (the
// CLI's exit 254 and "An error occurred (<code>)") and returns its stderr.
func (c *CLI) Fails(code string, args ...string) string {
	c.T.Helper()
	_, stderr, exit := c.Try(args...)
	if exit != 254 || !strings.Contains(stderr, "An error occurred ("+code+")") {
		c.T.Fatalf("aws %s: exit %d, stderr %q; want exit 254 and error %s", c.line(args), exit, stderr, code)
	}
	return stderr
}

func (c *CLI) line(args []string) string {
	return strings.Join(append(append([]string{}, c.Prefix...), args...), " ")
}
