package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestWeightedCanaryShareAndStickiness is S2 on the real binary: a
// SingleWeight policy set with the aws CLI sends a share of fresh viewers to
// staging within the binomial 99.9% interval of its weight, and a viewer
// that keeps its cookie keeps its side.
func TestWeightedCanaryShareAndStickiness(t *testing.T) {
	p := startUp(t, t.TempDir())
	primary := p.info.Distributions[0]
	var cfg struct {
		ETag         string
		Distribution struct {
			DistributionConfig struct{ ContinuousDeploymentPolicyId string }
		}
	}
	p.runJSON(&cfg, "cloudfront", "get-distribution", "--id", primary.ID)
	policyID := cfg.Distribution.DistributionConfig.ContinuousDeploymentPolicyId
	var pol struct {
		ETag                             string
		ContinuousDeploymentPolicyConfig map[string]any
	}
	p.runJSON(&pol, "cloudfront", "get-continuous-deployment-policy-config", "--id", policyID)
	const weight = 0.15
	pc := pol.ContinuousDeploymentPolicyConfig
	pc["TrafficConfig"] = map[string]any{"Type": "SingleWeight", "SingleWeightConfig": map[string]any{
		"Weight": weight, "SessionStickinessConfig": map[string]any{"IdleTTL": 300, "MaximumTTL": 600}}}
	p.run("aws", "cloudfront", "update-continuous-deployment-policy", "--id", policyID, "--if-match", pol.ETag,
		"--continuous-deployment-policy-config", mustJSON(t, pc))
	p.run("aws", "cloudfront", "wait", "distribution-deployed", "--id", primary.ID)

	const viewers = 2000
	staged := 0
	var stagingCookie, primaryCookie string
	for i := 0; i < viewers; i++ {
		code, h, _ := p.get(primary.Domain, "/index.html")
		if code != 200 {
			t.Fatalf("viewer %d: status %d", i, code)
		}
		side := h.Get("X-Edgecd-Side")
		cookie := stickyCookie(h)
		if cookie == "" {
			t.Fatalf("viewer %d got no %s cookie", i, "x-amz-continuous-deployment-state")
		}
		if side == "staging" {
			staged++
			stagingCookie = cookie
		} else {
			primaryCookie = cookie
		}
	}
	lo, hi := binomialBounds(viewers, weight)
	if float64(staged) < lo || float64(staged) > hi {
		t.Fatalf("%d of %d fresh viewers went to staging; the 99.9%% interval for weight %.2f is [%.0f, %.0f]", staged, viewers, weight, lo, hi)
	}
	t.Logf("%d of %d fresh viewers went to staging (99.9%% interval [%.0f, %.0f])", staged, viewers, lo, hi)
	for side, cookie := range map[string]string{"staging": stagingCookie, "primary": primaryCookie} {
		for i := 0; i < 50; i++ {
			_, h, body := p.get(primary.Domain, "/index.html", "Cookie", "x-amz-continuous-deployment-state="+cookie)
			if h.Get("X-Edgecd-Side") != side {
				t.Fatalf("a %s viewer with its cookie moved to %s (%q)", side, h.Get("X-Edgecd-Side"), body)
			}
		}
	}
}

func stickyCookie(h http.Header) string {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == "x-amz-continuous-deployment-state" {
			return c.Value
		}
	}
	return ""
}

// TestReleaseCycle runs the seeds' whole release story with edgecd release
// against the running binary, checking what viewers get after each step and
// the SSM parameters the seeds' pipelines read: v1 -> stage v2 by header ->
// promote -> stage v3 by weight -> abort -> rollback.
func TestReleaseCycle(t *testing.T) {
	p := startUp(t, t.TempDir(), "--native")
	primary := p.info.Distributions[0].ID
	domain := p.info.Distributions[0].Domain
	serves := func(step, want string, hdr ...string) {
		t.Helper()
		_, _, body := p.get(domain, "/", hdr...)
		if !strings.Contains(body, want) {
			t.Fatalf("after %s: viewers (headers %v) got %q, want %q", step, hdr, firstLine(body), want)
		}
	}
	param := func(name string) string {
		var out struct{ Parameter struct{ Value string } }
		p.runJSON(&out, "ssm", "get-parameter", "--name", name)
		return out.Parameter.Value
	}
	release := func(args ...string) string { return p.run("edgecd", append([]string{"release"}, args...)...) }

	serves("up", "v1 App")
	release("stage", "--primary", primary, "--origin-path", "/2.0.0", "--header", "aws-cf-cd-env=staging")
	serves("stage v2", "v1 App")
	serves("stage v2", "v2 App", "aws-cf-cd-env", "staging")
	if got := param("/edgecd/version/frontend"); got != "2.0.0" {
		t.Fatalf("version parameter after stage = %q", got)
	}
	again := release("stage", "--primary", primary, "--origin-path", "/2.0.0", "--header", "aws-cf-cd-env=staging", "--output", "json")
	if !strings.Contains(again, `"origin_path": "/2.0.0"`) {
		t.Fatalf("second stage: %s", again)
	}

	release("promote", "--primary", primary)
	serves("promote", "v2 App")
	serves("promote", "v2 App", "aws-cf-cd-env", "staging")
	if out := release("promote", "--primary", primary); !strings.Contains(out, "nothing to do") {
		t.Fatalf("promoting twice should be a no-op: %s", out)
	}

	release("stage", "--primary", primary, "--origin-path", "/3.0.0", "--weight", "1", "--sticky-idle", "300", "--sticky-max", "600")
	serves("stage v3 at weight 1", "v3 App")
	status := release("status", "--primary", primary, "--output", "json")
	for _, want := range []string{`"origin_path": "/3.0.0"`, `"type": "SingleWeight"`, `"enabled": true`} {
		if !strings.Contains(status, want) {
			t.Fatalf("status lacks %s:\n%s", want, status)
		}
	}

	release("abort", "--primary", primary)
	serves("abort", "v2 App")
	if got := param("/edgecd/cloudfront/cfcd-staging"); got != "deleted" {
		t.Fatalf("staging parameter after abort = %q, want deleted", got)
	}
	var list struct {
		DistributionList struct{ Items []struct{ Id string } }
	}
	p.runJSON(&list, "cloudfront", "list-distributions")
	if n := len(list.DistributionList.Items); n != 1 {
		t.Fatalf("after abort %d distributions remain, want only the primary", n)
	}
	release("abort", "--primary", primary) // safe to re-run

	release("rollback", "--primary", primary, "--to", "1.0.0")
	serves("rollback", "v1 App")
	if got := param("/edgecd/version/frontend"); got != "1.0.0" {
		t.Fatalf("version parameter after rollback = %q", got)
	}
	_, errOut, err := p.try("edgecd", "release", "promote", "--primary", "ENOSUCHDIST")
	if err == nil || !strings.Contains(errOut, "NoSuchDistribution") {
		t.Fatalf("promote of a missing distribution: err %v, stderr %q", err, errOut)
	}
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "<h1>") {
			return strings.TrimSpace(l)
		}
	}
	if len(s) > 80 {
		return s[:80]
	}
	return s
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	return jsonString(v)
}
