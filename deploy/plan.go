package deploy

import (
	"mime"
	"path"
	"regexp"
	"sort"
	"strings"
)

// File is one local file to deploy.
type File struct {
	Key          string // the S3 key
	Path         string // the local path
	Size         int64
	ETag         string // what S3 will report for it, without quotes
	ContentType  string
	CacheControl string

	data []byte // the content, for small files read while hashing
}

// Action is what a deploy does to a key.
type Action struct {
	Op   string // "upload", "delete", "skip"
	File *File  // nil for deletes
	Key  string
}

// Plan is the difference between a directory and a prefix.
type Plan struct {
	Uploads, Deletes, Skips []Action
	UploadBytes             int64
}

// Rule sets headers for keys matching a pattern (path.Match on the key
// relative to the prefix, or on its base name when the pattern has no '/').
type Rule struct {
	Pattern      string `json:"pattern"`
	CacheControl string `json:"cache_control,omitempty"`
	ContentType  string `json:"content_type,omitempty"`
}

// hashedName matches build tools' fingerprinted file names
// (app.3f2a9c1b.js, index-BjKz8v2q.css, chunk.5e1d2c.woff2).
var hashedName = regexp.MustCompile(`[.-][A-Za-z0-9_]{8,}\.[a-z0-9]+$|[.-][0-9a-f]{6,}\.[a-z0-9]+$`)

// Default headers: fingerprinted assets never change, so viewers and the
// CDN may keep them a year; HTML must be revalidated so a release shows up.
const (
	ImmutableCache = "public, max-age=31536000, immutable"
	RevalidateHTML = "no-cache"
)

// webTypes are the types of files a web build emits that Go's built-in
// table lacks, so a deploy sets the same Content-Type on every machine
// whatever its /etc/mime.types says.
var webTypes = map[string]string{
	".txt":         "text/plain; charset=utf-8",
	".md":          "text/markdown; charset=utf-8",
	".map":         "application/json",
	".webmanifest": "application/manifest+json",
	".ico":         "image/x-icon",
	".woff":        "font/woff",
	".woff2":       "font/woff2",
	".ttf":         "font/ttf",
	".otf":         "font/otf",
	".mp4":         "video/mp4",
	".webm":        "video/webm",
	".csv":         "text/csv; charset=utf-8",
}

func headersFor(rel string, rules []Rule) (contentType, cacheControl string) {
	ext := strings.ToLower(path.Ext(rel))
	contentType = webTypes[ext]
	if contentType == "" {
		contentType = mime.TypeByExtension(ext)
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	switch {
	case ext == ".html" || ext == ".htm":
		cacheControl = RevalidateHTML
	case hashedName.MatchString(path.Base(rel)):
		cacheControl = ImmutableCache
	}
	for _, r := range rules {
		target := rel
		if !strings.Contains(r.Pattern, "/") {
			target = path.Base(rel)
		}
		if ok, _ := path.Match(r.Pattern, target); ok {
			if r.CacheControl != "" {
				cacheControl = r.CacheControl
			}
			if r.ContentType != "" {
				contentType = r.ContentType
			}
		}
	}
	return contentType, cacheControl
}

// Diff plans the uploads and deletes that make remote (key -> ETag) equal
// local. Deletes are only planned when del is true.
func Diff(local []File, remote map[string]string, del bool) *Plan {
	p := &Plan{}
	seen := make(map[string]bool, len(local))
	for i := range local {
		f := &local[i]
		seen[f.Key] = true
		if strings.Trim(remote[f.Key], `"`) == f.ETag {
			p.Skips = append(p.Skips, Action{Op: "skip", File: f, Key: f.Key})
			continue
		}
		p.Uploads = append(p.Uploads, Action{Op: "upload", File: f, Key: f.Key})
		p.UploadBytes += f.Size
	}
	if del {
		for k := range remote {
			if !seen[k] {
				p.Deletes = append(p.Deletes, Action{Op: "delete", Key: k})
			}
		}
		sort.Slice(p.Deletes, func(i, j int) bool { return p.Deletes[i].Key < p.Deletes[j].Key })
	}
	return p
}
