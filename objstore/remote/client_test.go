package remote

import (
	"context"
	"strings"
	"testing"
)

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		name     string
		endpoint string
		wantErr  string // "" for a valid endpoint
	}{
		{"edgecd API", "http://127.0.0.1:8081", ""},
		{"https with path", "https://minio.example.com/s3", ""},
		{"AWS regional", "https://s3.eu-west-1.amazonaws.com", ""},
		{"no scheme", "minio:9000", "must start with http:// or https://"},
		{"other scheme", "ftp://minio", "must start with http:// or https://"},
		{"no host", "http://", "names no host"},
		{"port only", "http://:9000", "names no host"},
		{"credentials in URL", "http://key:secret@minio:9000", "must not carry credentials"},
		{"query", "http://minio:9000?x=1", "must not have a query"},
		{"not a URL", "http://[::1", "is not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEndpoint(tt.endpoint)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("ParseEndpoint(%q) = %v, want ok", tt.endpoint, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("ParseEndpoint(%q) = %v, want an error saying %q", tt.endpoint, err, tt.wantErr)
			}
		})
	}
}

func TestNewClientUsesPathStyleOffAWS(t *testing.T) {
	env(t)
	tests := []struct {
		endpoint  string
		pathStyle bool
	}{
		{"http://127.0.0.1:8081", true},
		{"https://minio.internal:9000", true},
		{"https://s3.eu-west-1.amazonaws.com", false},
	}
	for _, tt := range tests {
		c, err := NewClient(context.Background(), tt.endpoint, "eu-west-1")
		if err != nil {
			t.Fatal(err)
		}
		if o := c.Options(); o.UsePathStyle != tt.pathStyle || o.Region != "eu-west-1" || *o.BaseEndpoint != tt.endpoint {
			t.Errorf("%s: path style %v region %s endpoint %s", tt.endpoint, o.UsePathStyle, o.Region, *o.BaseEndpoint)
		}
	}
}

func FuzzParseEndpoint(f *testing.F) {
	f.Add("http://127.0.0.1:8081")
	f.Add("https://user@host/")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseEndpoint(s)
		if err == nil && (u.Hostname() == "" || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil) {
			t.Fatalf("ParseEndpoint(%q) accepted %#v", s, u)
		}
	})
}
