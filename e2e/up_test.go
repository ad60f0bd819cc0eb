package e2e

import (
	"strings"
	"testing"
)

func TestUpServesHeaderRoutedStaging(t *testing.T) {
	p := startUp(t, t.TempDir())
	if len(p.info.Distributions) != 2 || p.info.AccessKeyID == "" || p.info.APIURL == "" {
		t.Fatalf("up.json is incomplete: %+v", p.info)
	}
	primary := p.info.Distributions[0]
	if primary.Staging || !strings.HasSuffix(primary.Domain, ".edgecd.localhost") {
		t.Fatalf("first distribution should be the primary under .edgecd.localhost: %+v", primary)
	}
	for _, want := range []string{primary.URL, "aws-cf-cd-env: staging", p.info.AccessKeyID} {
		if !strings.Contains(p.out.String(), want) {
			t.Fatalf("up did not print %q:\n%s", want, p.out.String())
		}
	}
	tests := []struct {
		name, path string
		hdr        []string
		want, side string
	}{
		{"primary index", "/index.html", nil, "v1 App", "primary"},
		{"tester by header", "/", []string{"aws-cf-cd-env", "staging"}, "v2 App", "staging"},
		{"asset of the staged version", "/assets/app.css", []string{"aws-cf-cd-env", "staging"}, "h1", "staging"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, h, body := p.get(primary.Domain, tt.path, tt.hdr...)
			if code != 200 || !strings.Contains(body, tt.want) || h.Get("X-Edgecd-Side") != tt.side {
				t.Fatalf("got %d %q side %q", code, body, h.Get("X-Edgecd-Side"))
			}
		})
	}
	code, h, body := p.get(primary.Domain, "/assets/data.bin")
	if code != 200 || len(body) != 1<<20 || h.Get("ETag") == "" {
		t.Fatalf("1 MiB asset: %d, %d bytes, etag %q", code, len(body), h.Get("ETag"))
	}
}

func TestSecondUpKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	first := startUp(t, dir)
	first.stop()
	second := startUp(t, dir)
	if second.info.Distributions[0].ID != first.info.Distributions[0].ID || second.info.AccessKeyID != first.info.AccessKeyID {
		t.Fatalf("restart changed the demo: %+v vs %+v", second.info, first.info)
	}
	if _, _, body := second.get(second.info.Distributions[0].Domain, "/"); !strings.Contains(body, "v1 App") {
		t.Fatalf("after restart: %q", body)
	}
}

func TestKill9KeepsDistributions(t *testing.T) {
	dir := t.TempDir()
	first := startUp(t, dir)
	first.kill() // SIGKILL: no shutdown code runs
	second := startUp(t, dir)
	if second.info.Distributions[0].ID != first.info.Distributions[0].ID {
		t.Fatalf("kill -9 lost the distributions: %s became %s", first.info.Distributions[0].ID, second.info.Distributions[0].ID)
	}
	if _, _, body := second.get(second.info.Distributions[0].Domain, "/", "aws-cf-cd-env", "staging"); !strings.Contains(body, "v2 App") {
		t.Fatalf("staging after kill -9: %q", body)
	}
}

func TestUnknownHostIsRefused(t *testing.T) {
	p := startUp(t, t.TempDir())
	code, _, body := p.get("other.example", "/")
	if code != 404 || !strings.Contains(body, "no distribution serves host") {
		t.Fatalf("unknown host: %d %q", code, body)
	}
}
