package remote

import (
	"context"
	"strings"
	"testing"
)

// BenchmarkOpenRevalidated is the cost of one edge memory-cache miss on a
// cached object: a conditional GetObject answered 304 by edgecd's S3 API
// over loopback (SigV4 signing and verification included), then an open.
func BenchmarkOpenRevalidated(b *testing.B) {
	o := newOrigin(b)
	o.mkBucket(b, "site")
	o.put(b, "site", "index.html", strings.Repeat("x", 16<<10))
	c := newBuckets(b, o, Options{})
	ctx := context.Background()
	for b.Loop() {
		f, _, err := c.Open(ctx, "site", "index.html")
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
