package e2e

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// awsCLI is the real aws CLI v2 from Debian's awscli package. (A v1 from
// pyenv may be first on PATH; the tests never use it.)
const awsCLI = "/usr/bin/aws"

// env is the environment for a client of p: its endpoint and keys, and no
// user configuration that could leak in. Only PATH and TMPDIR come from
// the test's own environment: AWS_* (profiles, CA bundles, keys), proxy
// variables (which the aws CLI, unlike Go, applies to 127.0.0.1) or a
// PYTHONPATH of the CI machine would change what the clients do.
func (p *proc) env() []string {
	dir := p.t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	var base []string
	for _, k := range []string{"PATH", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			base = append(base, k+"="+v)
		}
	}
	return append(base,
		"AWS_ENDPOINT_URL="+p.info.APIURL,
		"AWS_ACCESS_KEY_ID="+p.info.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+p.info.SecretAccessKey,
		"AWS_DEFAULT_REGION="+p.info.Region,
		"AWS_REGION="+p.info.Region,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+empty,
		"AWS_SHARED_CREDENTIALS_FILE="+empty,
		"AWS_PAGER=",
		"HOME="+dir,
	)
}

// run runs a client command against p and returns its stdout; it fails the
// test when the command fails.
func (p *proc) run(name string, args ...string) string {
	p.t.Helper()
	out, errOut, err := p.try(name, args...)
	if err != nil {
		p.t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", name, strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// try runs a client command and returns stdout, stderr and its error.
func (p *proc) try(name string, args ...string) (string, string, error) {
	p.t.Helper()
	return p.tryEnv(nil, name, args...)
}

// tryEnv is try with extra environment variables (later ones win).
func (p *proc) tryEnv(extra []string, name string, args ...string) (string, string, error) {
	p.t.Helper()
	if name == "aws" {
		if _, err := os.Stat(awsCLI); err != nil {
			p.t.Skip("the aws CLI v2 (Debian package awscli) is not installed; scripts/test.sh installs it")
		}
		name = awsCLI
		// The CLI v2.9 in Debian predates AWS_ENDPOINT_URL.
		args = append([]string{"--endpoint-url", p.info.APIURL}, args...)
	} else if name == "edgecd" {
		name = binary
	}
	cmd := exec.Command(name, args...)
	cmd.Env = append(p.env(), extra...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

// runJSON runs an aws command and decodes its JSON output.
func (p *proc) runJSON(v any, args ...string) {
	p.t.Helper()
	out := p.run("aws", append(args, "--output", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		p.t.Fatalf("aws %s: %v in %q", strings.Join(args, " "), err, out)
	}
}

// binomialBounds is the two-sided 99.9% normal-approximation interval of
// the number of successes in n draws with probability w.
func binomialBounds(n int, w float64) (lo, hi float64) {
	const z = 3.2905 // 99.9%
	mean := float64(n) * w
	sd := math.Sqrt(float64(n) * w * (1 - w))
	return mean - z*sd, mean + z*sd
}

func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
