package deploy

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHeadersFor(t *testing.T) {
	tests := []struct {
		rel, ct, cc string
		rules       []Rule
	}{
		{"index.html", "text/html; charset=utf-8", RevalidateHTML, nil},
		{"assets/app.3f2a9c1b.js", "text/javascript; charset=utf-8", ImmutableCache, nil},
		{"assets/index-BjKz8v2q.css", "text/css; charset=utf-8", ImmutableCache, nil},
		{"assets/app.js", "text/javascript; charset=utf-8", "", nil},
		{"robots.txt", "text/plain; charset=utf-8", "max-age=60", []Rule{{Pattern: "*.txt", CacheControl: "max-age=60"}}},
		{"data/blob", "application/octet-stream", "", nil},
		{"fonts/inter.3f2a9c1b.woff2", "font/woff2", ImmutableCache, nil},
		{"favicon.ico", "image/x-icon", "", nil},
		{"INDEX.HTML", "text/html; charset=utf-8", RevalidateHTML, nil},
		{"assets/app.js.map", "application/json", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.rel, func(t *testing.T) {
			ct, cc := headersFor(tt.rel, tt.rules)
			if ct != tt.ct || cc != tt.cc {
				t.Fatalf("headers(%q) = %q, %q; want %q, %q", tt.rel, ct, cc, tt.ct, tt.cc)
			}
		})
	}
}

func TestMultipartETagMatchesS3(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "big")
	data := []byte(strings.Repeat("0123456789", 2500)) // 25,000 bytes
	os.WriteFile(p, data, 0o644)
	// S3: md5 of the concatenated binary md5s of each part, then "-parts".
	var cat []byte
	for i := 0; i < len(data); i += 10000 {
		s := md5.Sum(data[i:min(i+10000, len(data))])
		cat = append(cat, s[:]...)
	}
	all := md5.Sum(cat)
	want := fmt.Sprintf("%s-3", hex.EncodeToString(all[:]))
	_, got, err := fileETag(p, 10000)
	if err != nil || got != want {
		t.Fatalf("etag = %q, %v; want %q", got, err, want)
	}
	whole := md5.Sum(data)
	if _, got, _ := fileETag(p, 1<<20); got != hex.EncodeToString(whole[:]) {
		t.Fatalf("single-part etag = %q", got)
	}
}

func TestDiffSkipsSameContentAndDeletesOnlyWhenAsked(t *testing.T) {
	local := []File{{Key: "v/a", ETag: "aa", Size: 1}, {Key: "v/b", ETag: "bb", Size: 2}}
	remote := map[string]string{"v/a": `"aa"`, "v/b": "old", "v/stale": "cc"}
	p := Diff(local, remote, false)
	if len(p.Skips) != 1 || len(p.Uploads) != 1 || p.Uploads[0].Key != "v/b" || len(p.Deletes) != 0 || p.UploadBytes != 2 {
		t.Fatalf("plan = %+v", p)
	}
	p = Diff(local, remote, true)
	if len(p.Deletes) != 1 || p.Deletes[0].Key != "v/stale" {
		t.Fatalf("deletes = %+v", p.Deletes)
	}
}

func TestParseS3URL(t *testing.T) {
	tests := []struct {
		in, bucket, prefix string
		ok                 bool
	}{
		{"s3://site/2.0.0/", "site", "2.0.0/", true},
		{"s3://site/2.0.0", "site", "2.0.0/", true},
		{"s3://site", "site", "", true},
		{"site/2.0.0", "", "", false},
		{"s3:///x", "", "", false},
	}
	for _, tt := range tests {
		b, p, err := ParseS3URL(tt.in)
		if (err == nil) != tt.ok || b != tt.bucket || p != tt.prefix {
			t.Errorf("ParseS3URL(%q) = %q, %q, %v", tt.in, b, p, err)
		}
	}
}

func FuzzParseS3URL(f *testing.F) {
	for _, s := range []string{"s3://site/2.0.0/", "s3://site", "s3:///x", "site/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		b, p, err := ParseS3URL(u)
		if err != nil {
			return
		}
		if b == "" || strings.Contains(b, "/") || (p != "" && !strings.HasSuffix(p, "/")) {
			t.Fatalf("ParseS3URL(%q) = %q, %q", u, b, p)
		}
	})
}
