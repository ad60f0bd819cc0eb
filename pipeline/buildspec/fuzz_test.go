package buildspec

import (
	"regexp"
	"strings"
	"testing"
)

var problemShape = regexp.MustCompile(`^f\.yml:\d+:\d+: .+`)

func FuzzParse(f *testing.F) {
	f.Add([]byte("version: 0.2\nphases:\n  build:\n    commands: [make]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, problems := Parse("f.yml", data)
		if (s == nil) == (len(problems) == 0) {
			t.Fatalf("spec %v with %d problems: want exactly one of them", s != nil, len(problems))
		}
		for _, p := range problems {
			if p.Line < 1 || p.Column < 1 || !problemShape.MatchString(p.String()) {
				t.Fatalf("problem without a place: %q", p.String())
			}
		}
		if s == nil {
			return
		}
		if s.Version != "0.2" {
			t.Fatalf("accepted version %q", s.Version)
		}
		for _, ph := range s.Phases {
			if len(ph.Commands) == 0 {
				t.Fatalf("accepted phase %s without commands", ph.Name)
			}
			for _, c := range append(ph.Commands, ph.Finally...) {
				if strings.TrimSpace(c.Text) == "" {
					t.Fatalf("accepted an empty command in %s", ph.Name)
				}
			}
		}
		if s.Artifacts != nil && len(s.Artifacts.Files) == 0 {
			t.Fatalf("accepted artifacts without files")
		}
		for _, name := range s.Env.Exported {
			if !identifier.MatchString(name) {
				t.Fatalf("accepted exported variable %q", name)
			}
		}
	})
}

func FuzzMatch(f *testing.F) {
	f.Add("**/*", "a/b/c.html")
	f.Add("dist/**/*.js", "dist/js/app.js")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if len(pattern) > 200 || len(name) > 200 {
			return
		}
		got := Match(pattern, name)
		// "**/x" and "x" agree on a single-segment name.
		if !strings.Contains(name, "/") && !strings.Contains(pattern, "/") && pattern != "**" {
			if Match("**/"+pattern, name) != got {
				t.Fatalf("**/%s and %s disagree on %q", pattern, pattern, name)
			}
		}
	})
}
