package params

import (
	"context"
	"fmt"
	"testing"
)

func BenchmarkGet(b *testing.B) {
	s := NewService(openStore(b), Config{})
	ctx := context.Background()
	if _, err := s.Put(ctx, PutInput{Name: "/svc/version/frontend", Value: "2.0.0", Type: String}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Get(ctx, "/svc/version/frontend", false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetSecureDecrypted(b *testing.B) {
	s := NewService(openStore(b), Config{})
	ctx := context.Background()
	if _, err := s.Put(ctx, PutInput{Name: "/svc/token", Value: "s3cr3t", Type: SecureString}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Get(ctx, "/svc/token", true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPutOverwrite(b *testing.B) {
	s := NewService(openStore(b), Config{})
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if _, err := s.Put(ctx, PutInput{Name: "/svc/version/frontend", Value: fmt.Sprint(i), Type: String, Overwrite: i > 0}); err != nil {
			b.Fatal(err)
		}
		i++
		if i%MaxVersions == 0 {
			b.StopTimer()
			if err := s.Delete(ctx, "/svc/version/frontend"); err != nil {
				b.Fatal(err)
			}
			i = 0
			b.StartTimer()
		}
	}
}
