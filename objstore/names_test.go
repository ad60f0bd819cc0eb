package objstore

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateBucketName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"site", true},
		{"my-bucket.example", true},
		{"a1b", true},
		{strings.Repeat("a", 63), true},
		{"ab", false},
		{strings.Repeat("a", 64), false},
		{"My-Bucket", false},
		{"under_score", false},
		{"-start", false},
		{"end-", false},
		{".meta", false},
		{".tmp", false},
		{"a..b", false},
		{"192.168.1.1", false},
		{"xn--abc", false},
		{"sthree-x", false},
		{"bucket-s3alias", false},
		{"bucket--ol-s3", false},
		{"a/b", false},
		{"a\x00b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateBucketName(tt.name)
			if tt.ok && err != nil {
				t.Fatalf("ValidateBucketName(%q) = %v, want ok", tt.name, err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalidBucketName) {
				t.Fatalf("ValidateBucketName(%q) = %v, want ErrInvalidBucketName", tt.name, err)
			}
		})
	}
}

func TestParseKey(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		wantRel string
		wantErr error
	}{
		{"plain file", "index.html", "index.html", nil},
		{"nested", "1.0.0/assets/app.js", "1.0.0/assets/app.js", nil},
		{"folder marker", "photos/", "photos/" + folderName, nil},
		{"nested folder marker", "a/b/", "a/b/" + folderName, nil},
		{"dots inside a segment", "a/..b/c..", "a/..b/c..", nil},
		{"spaces and unicode", "dir/ü ñ 文件.txt", "dir/ü ñ 文件.txt", nil},
		{"empty", "", "", ErrInvalidKey},
		{"dot dot segment", "a/../b", "", ErrInvalidKey},
		{"leading dot dot", "../etc/passwd", "", ErrInvalidKey},
		{"only dot dot", "..", "", ErrInvalidKey},
		{"dot segment", "a/./b", "", ErrInvalidKey},
		{"trailing dot dot folder", "a/../", "", ErrInvalidKey},
		{"absolute", "/etc/passwd", "", ErrInvalidKey},
		{"only slash", "/", "", ErrInvalidKey},
		{"double slash", "a//b", "", ErrInvalidKey},
		{"NUL", "a\x00b", "", ErrInvalidKey},
		{"invalid UTF-8", "a\xffb", "", ErrInvalidKey},
		{"reserved segment", "a/.edgecd-folder", "", ErrInvalidKey},
		{"reserved prefix", ".edgecd-x/y", "", ErrInvalidKey},
		{"long segment", strings.Repeat("x", 256), "", ErrInvalidKey},
		{"too long", strings.Repeat("a/", 513), "", ErrKeyTooLong},
		{"max length", strings.Repeat("a/", 511) + "bb", strings.Repeat("a/", 511) + "bb", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kp, err := parseKey(tt.key)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("parseKey(%q) error = %v, want %v", tt.key, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseKey(%q) = %v", tt.key, err)
			}
			if got := kp.rel(); got != tt.wantRel {
				t.Fatalf("parseKey(%q) path = %q, want %q", tt.key, got, tt.wantRel)
			}
		})
	}
}

func TestValidatePolicy(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		ok     bool
	}{
		{"seed style", `{"Version":"2012-10-17","Statement":[{"Sid":"AllowCloudFront","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*","Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudfront::123456789012:distribution/E1"}}}]}`, true},
		{"single statement object", `{"Statement":{"Effect":"Deny","Action":"*"}}`, true},
		{"not JSON", `{"Statement":`, false},
		{"array", `[]`, false},
		{"no statement", `{"Version":"2012-10-17"}`, false},
		{"empty statements", `{"Statement":[]}`, false},
		{"bad effect", `{"Statement":[{"Effect":"Maybe"}]}`, false},
		{"bad version", `{"Version":"2020-01-01","Statement":[{"Effect":"Allow"}]}`, false},
		{"too large", `{"Statement":[{"Effect":"Allow","Sid":"` + strings.Repeat("x", 21000) + `"}]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidatePolicy([]byte(tt.policy))
			if tt.ok != (err == nil) {
				t.Fatalf("ValidatePolicy = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrMalformedPolicy) {
				t.Fatalf("error %v is not ErrMalformedPolicy", err)
			}
		})
	}
}
