package release

import (
	"slices"
	"testing"
)

func TestSplitPaths(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"/*", []string{"/*"}},
		{"/index.html, /assets/*", []string{"/index.html", "/assets/*"}},
		{" , /a,,/b ,", []string{"/a", "/b"}},
	}
	for _, tt := range tests {
		if got := SplitPaths(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("SplitPaths(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
