package objstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Run: go test -run '^$' -bench . -benchtime 2000x ./objstore

func benchStore(b *testing.B, sync bool) *Store {
	b.Helper()
	s, err := OpenWith(b.TempDir(), Options{NoSync: !sync, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	newBucket(b, s, "bench")
	return s
}

func BenchmarkPut1KiB(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 1024)
	for _, sync := range []bool{false, true} {
		b.Run(fmt.Sprintf("fsync=%v", sync), func(b *testing.B) {
			s := benchStore(b, sync)
			ctx := context.Background()
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				key := fmt.Sprintf("site/%d/asset-%d.js", i%100, i)
				if _, err := s.Put(ctx, "bench", key, bytes.NewReader(body), PutOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkOpenRead1KiB(b *testing.B) {
	s := benchStore(b, false)
	ctx := context.Background()
	body := bytes.Repeat([]byte("x"), 1024)
	const n = 1000
	for i := range n {
		if _, err := s.Put(ctx, "bench", fmt.Sprintf("site/assets/f%d.css", i), bytes.NewReader(body), PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	buf := make([]byte, 4096)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		f, _, err := s.Open(ctx, "bench", fmt.Sprintf("site/assets/f%d.css", i%n))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(f, buf[:1024]); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkListPage lists a whole prefix of 10,000 keys (in 100
// subdirectories) in pages of 1000, as aws s3 sync does.
func BenchmarkListPage(b *testing.B) {
	s := benchStore(b, false)
	ctx := context.Background()
	for i := range 10000 {
		key := fmt.Sprintf("2.0.0/d%02d/file-%05d.txt", i%100, i)
		if _, err := s.Put(ctx, "bench", key, bytes.NewReader([]byte("x")), PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	pages := 0
	for b.Loop() {
		opts := ListOptions{Prefix: "2.0.0/"}
		for {
			res, err := s.List(ctx, "bench", opts)
			if err != nil {
				b.Fatal(err)
			}
			pages++
			if !res.IsTruncated {
				break
			}
			opts.StartAfter = res.NextStartAfter
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(pages), "ns/page")
}

// BenchmarkListFlat lists one page of 1000 from the middle of a directory of
// 20,000 files, the case where every page would read the whole directory.
func BenchmarkListFlat(b *testing.B) {
	s := benchStore(b, false)
	ctx := context.Background()
	for i := range 20000 {
		key := fmt.Sprintf("flat/file-%05d.txt", i)
		if _, err := s.Put(ctx, "bench", key, bytes.NewReader([]byte("x")), PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	// A directory last changed a while ago, so its sorted listing is cached
	// (see dirCache); a directory changed in the last two seconds is read
	// afresh for every page, as without the cache.
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(filepath.Join(s.Root(), "bench", "flat"), old, old); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res, err := s.List(ctx, "bench", ListOptions{Prefix: "flat/", StartAfter: "flat/file-10000.txt"})
		if err != nil || len(res.Objects) != 1000 {
			b.Fatal(err, len(res.Objects))
		}
	}
}

// BenchmarkPut8MiB measures streaming throughput (MD5 and copy to disk).
func BenchmarkPut8MiB(b *testing.B) {
	s := benchStore(b, false)
	ctx := context.Background()
	body := bytes.Repeat([]byte("0123456789abcdef"), 8<<20/16)
	b.SetBytes(int64(len(body)))
	for i := 0; b.Loop(); i++ {
		if _, err := s.Put(ctx, "bench", fmt.Sprintf("big/%d", i%4), bytes.NewReader(body), PutOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
