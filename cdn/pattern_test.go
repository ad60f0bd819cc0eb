package cdn

import (
	"strings"
	"testing"
)

func TestMatchPath(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"*", "/anything/at/all.js", true},
		{"/images/*.jpg", "/images/a.jpg", true},
		{"images/*.jpg", "/images/a.jpg", true},
		{"/images/*.jpg", "/images/sub/dir/a.jpg", true},
		{"/images/*.jpg", "/images/a.png", false},
		{"/images/*.jpg", "/Images/a.jpg", false},
		{"/a?c", "/abc", true},
		{"/a?c", "/ac", false},
		{"/api/*", "/api/", true},
		{"/api/*", "/api", false},
		{"/*.html", "/index.html", true},
		{"/index.html", "/index.html", true},
		{"/index.html", "/index.htm", false},
		{"/a*b*c", "/axxbyyc", true},
		{"/a*b*c", "/axxbyy", false},
		{"", "/x", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" "+tt.path, func(t *testing.T) {
			if got := MatchPath(tt.pattern, tt.path); got != tt.want {
				t.Fatalf("MatchPath(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
			}
		})
	}
}

// naiveMatch is an obviously correct, exponential reference matcher.
func naiveMatch(p, s string) bool {
	if p == "" {
		return s == ""
	}
	switch p[0] {
	case '*':
		return naiveMatch(p[1:], s) || (s != "" && naiveMatch(p, s[1:]))
	case '?':
		return s != "" && naiveMatch(p[1:], s[1:])
	}
	return s != "" && p[0] == s[0] && naiveMatch(p[1:], s[1:])
}

func FuzzMatchPath(f *testing.F) {
	f.Add("/images/*.jpg", "/images/a.jpg")
	f.Add("a?c*", "/abcdef")
	f.Add("*", "")
	f.Fuzz(func(t *testing.T, pattern, path string) {
		if len(pattern) > 24 || len(path) > 40 || strings.Count(pattern, "*") > 4 {
			return // keep the reference matcher fast
		}
		got := MatchPath(pattern, path)
		norm := pattern
		if norm != "*" && !strings.HasPrefix(norm, "/") {
			norm = "/" + norm
		}
		if want := naiveMatch(norm, path); got != want {
			t.Fatalf("MatchPath(%q, %q) = %v, reference says %v", pattern, path, got, want)
		}
	})
}
