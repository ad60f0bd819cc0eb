package objstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestSymlinksAreNeverFollowed plants links inside a bucket that point
// outside it (to a secret file and to a directory) and checks that no read,
// write, list or delete goes through them.
//
// It runs with openat2 (one call per path, Linux 5.6+) and with the
// component-by-component walk used where openat2 is missing.
func TestSymlinksAreNeverFollowed(t *testing.T) {
	for _, walk := range []bool{false, true} {
		t.Run(fmt.Sprintf("walk=%v", walk), func(t *testing.T) {
			s := newStore(t, Options{})
			s.noOpenat2.Store(walk)
			checkSymlinksNotFollowed(t, s)
		})
	}
}

func checkSymlinksNotFollowed(t *testing.T, s *Store) {
	ctx := context.Background()
	newBucket(t, s, "b1b")
	newBucket(t, s, "other")
	put(t, s, "other", "private.txt", "other bucket's secret")

	outside := t.TempDir()
	secret := filepath.Join(outside, "secret")
	if err := os.WriteFile(secret, []byte("host secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	bdir := filepath.Join(s.Root(), "b1b")
	links := map[string]string{
		"file-link":  secret,
		"dir-link":   outside,
		"peer-link":  filepath.Join(s.Root(), "other"),
		"rel-link":   "../other",
		"meta-link":  filepath.Join(s.Root(), metaDir),
		"a-file-lnk": "../other/private.txt",
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(bdir, name)); err != nil {
			t.Fatal(err)
		}
	}

	for _, key := range []string{"file-link", "dir-link/secret", "peer-link/private.txt", "rel-link/private.txt", "a-file-lnk"} {
		if f, _, err := s.Open(ctx, "b1b", key); !errors.Is(err, ErrNoSuchKey) {
			if f != nil {
				f.Close()
			}
			t.Errorf("Open %q through a link = %v, want ErrNoSuchKey", key, err)
		}
	}
	for _, key := range []string{"dir-link/new", "peer-link/private.txt", "rel-link/x/y"} {
		if _, err := s.Put(ctx, "b1b", key, strings.NewReader("overwrite"), PutOptions{}); !errors.Is(err, ErrKeyConflict) {
			t.Errorf("Put %q through a link = %v, want ErrKeyConflict", key, err)
		}
		if err := s.Delete(ctx, "b1b", key); err != nil {
			t.Errorf("Delete %q = %v", key, err)
		}
	}
	res, err := s.List(ctx, "b1b", ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 0 || len(res.CommonPrefixes) != 0 {
		t.Fatalf("List shows links: %v %v", keysOf(res), res.CommonPrefixes)
	}
	// A Put onto a link name replaces the link itself, not its target.
	put(t, s, "b1b", "file-link", "object")
	if b, _ := os.ReadFile(secret); string(b) != "host secret" {
		t.Fatalf("secret changed to %q", b)
	}
	if body, _ := read(t, s, "b1b", "file-link"); body != "object" {
		t.Fatalf("file-link = %q", body)
	}
	if body, _ := read(t, s, "other", "private.txt"); body != "other bucket's secret" {
		t.Fatalf("other bucket changed: %q", body)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Fatalf("files appeared outside the bucket: %v", entries)
	}

	// A bucket directory that is itself a link is not a bucket.
	if err := os.Symlink(outside, filepath.Join(s.Root(), "linked")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Open(ctx, "linked", "secret"); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("Open through a linked bucket = %v", err)
	}
}

// TestReadersNeverSeeMixedVersions overwrites one key many times while
// readers check that every body they read is one whole version and that the
// metadata returned with it is that version's.
func TestReadersNeverSeeMixedVersions(t *testing.T) {
	s := newStore(t, Options{})
	ctx := context.Background()
	newBucket(t, s, "b1b")
	version := func(i int) (string, Metadata) {
		// Versions differ in length and content so a torn read shows.
		body := strings.Repeat(fmt.Sprintf("v%04d;", i), 50+i%7*300)
		return body, Metadata{ContentType: fmt.Sprintf("text/v%d", i), User: map[string]string{"v": fmt.Sprint(i)}}
	}
	body, meta := version(0)
	if _, err := s.Put(ctx, "b1b", "hot/key", strings.NewReader(body), PutOptions{Metadata: meta}); err != nil {
		t.Fatal(err)
	}
	const writes = 120
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 16)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 1 + w; i <= writes; i += 2 {
				b, m := version(i)
				if _, err := s.Put(ctx, "b1b", "hot/key", strings.NewReader(b), PutOptions{Metadata: m}); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	var readers sync.WaitGroup
	for r := 0; r < 3; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				f, info, err := s.Open(ctx, "b1b", "hot/key")
				if err != nil {
					errs <- err
					return
				}
				b := make([]byte, info.Size+10)
				n, _ := f.ReadAt(b, 0)
				f.Close()
				got := string(b[:n])
				var i int
				if _, err := fmt.Sscanf(got, "v%04d;", &i); err != nil {
					errs <- fmt.Errorf("unparseable body %.20q", got)
					return
				}
				want, wantMeta := version(i)
				if got != want {
					errs <- fmt.Errorf("torn body for version %d: %d bytes", i, len(got))
					return
				}
				if info.ETag != md5hex(want) || info.Size != int64(len(want)) {
					errs <- fmt.Errorf("version %d read with ETag %s size %d", i, info.ETag, info.Size)
					return
				}
				if info.ContentType != wantMeta.ContentType || info.User["v"] != wantMeta.User["v"] {
					errs <- fmt.Errorf("version %d read with metadata of another: %+v", i, info.Metadata)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestStaleMetadataIsNotReturned simulates a crash between the data and the
// metadata rename, and a file replaced by hand: the reader must describe the
// bytes it returns, recomputing what it can, and repair the metadata.
func TestStaleMetadataIsNotReturned(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(t *testing.T, dataPath, metaPath string)
	}{
		{"data replaced by hand", func(t *testing.T, dataPath, _ string) {
			writeFile(t, dataPath, "replaced by hand")
		}},
		{"data edited in place", func(t *testing.T, dataPath, _ string) {
			f, err := os.OpenFile(dataPath, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(" appended")
			f.Close()
			// Same size and mtime as before would be undetectable by design;
			// an append changes both.
		}},
		{"metadata missing", func(t *testing.T, _, metaPath string) {
			os.Remove(metaPath)
		}},
		{"metadata garbage", func(t *testing.T, _, metaPath string) {
			writeFile(t, metaPath, "{not json")
		}},
		{"crash between renames", func(t *testing.T, dataPath, _ string) {
			// The new data file landed (a fresh inode with the writer's
			// mtime) but its metadata did not.
			tmp := dataPath + ".new"
			writeFile(t, tmp, "new version")
			now := time.Now()
			os.Chtimes(tmp, now, now)
			if err := os.Rename(tmp, dataPath); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t, Options{})
			ctx := context.Background()
			newBucket(t, s, "b1b")
			if _, err := s.Put(ctx, "b1b", "dir/page.html", strings.NewReader("original"), PutOptions{
				Metadata: Metadata{ContentType: "application/x-original", CacheControl: "max-age=1"},
			}); err != nil {
				t.Fatal(err)
			}
			dataPath := filepath.Join(s.Root(), "b1b", "dir", "page.html")
			metaPath := filepath.Join(s.Root(), metaDir, "b1b", "dir", "page.html")
			tt.corrupt(t, dataPath, metaPath)
			want, _ := os.ReadFile(dataPath)

			body, info := read(t, s, "b1b", "dir/page.html")
			if body != string(want) {
				t.Fatalf("body = %q, want %q", body, want)
			}
			if info.ETag != md5hex(body) || info.Size != int64(len(body)) {
				t.Fatalf("ETag %s size %d do not describe %q", info.ETag, info.Size, body)
			}
			if string(want) != "original" {
				if !info.Recomputed || info.ContentType != "text/html; charset=utf-8" || info.CacheControl != "" {
					t.Fatalf("metadata of another version returned: %+v", info)
				}
			}
			// The listing agrees, and the repaired metadata is used next time.
			res, err := s.List(ctx, "b1b", ListOptions{})
			if err != nil || len(res.Objects) != 1 || res.Objects[0].ETag != info.ETag {
				t.Fatalf("List = %+v, %v", res, err)
			}
			if _, again := read(t, s, "b1b", "dir/page.html"); again.Recomputed || again.ETag != info.ETag {
				t.Fatalf("metadata not repaired: %+v", again)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentPutAndDeleteInOneDirectory races writers that create a
// directory against deletes that remove it when it empties.
func TestConcurrentPutAndDeleteInOneDirectory(t *testing.T) {
	s := newStore(t, Options{})
	ctx := context.Background()
	newBucket(t, s, "b1b")
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			key := fmt.Sprintf("shared/deep/k%d", w)
			for i := 0; i < 80; i++ {
				if _, err := s.Put(ctx, "b1b", key, strings.NewReader("x"), PutOptions{}); err != nil {
					errs <- err
					return
				}
				if err := s.Delete(ctx, "b1b", key); err != nil {
					errs <- err
					return
				}
			}
			if _, err := s.Put(ctx, "b1b", key, strings.NewReader("final"), PutOptions{}); err != nil {
				errs <- err
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for w := 0; w < 2; w++ {
		if body, _ := read(t, s, "b1b", fmt.Sprintf("shared/deep/k%d", w)); body != "final" {
			t.Fatalf("k%d = %q", w, body)
		}
	}
}

// TestSpecialFilesAreNotObjects plants a FIFO and a directory where
// objects would be: Open must neither block on the FIFO nor return them.
func TestSpecialFilesAreNotObjects(t *testing.T) {
	s := newStore(t, Options{})
	ctx := context.Background()
	newBucket(t, s, "b1b")
	if err := syscall.Mkfifo(filepath.Join(s.Root(), "b1b", "fifo"), 0o644); err != nil {
		t.Skip("cannot make a FIFO here:", err)
	}
	mkdirAll(t, filepath.Join(s.Root(), "b1b", "dir"))
	for _, key := range []string{"fifo", "dir"} {
		if _, _, err := s.Open(ctx, "b1b", key); !errors.Is(err, ErrNoSuchKey) {
			t.Errorf("Open %q = %v, want ErrNoSuchKey", key, err)
		}
	}
	if res, err := s.List(ctx, "b1b", ListOptions{}); err != nil || len(res.Objects) != 0 {
		t.Fatalf("List = %v %v", keysOf(res), err)
	}
}

// TestListDuringWrites lists while other goroutines put and delete keys
// around a stable set: every page must be in strict byte order, and every
// stable key must be listed exactly once.
func TestListDuringWrites(t *testing.T) {
	s := newStore(t, Options{})
	ctx := context.Background()
	newBucket(t, s, "b1b")
	var stable []string
	for i := range 200 {
		k := fmt.Sprintf("d%d/s%03d", i%4, i)
		put(t, s, "b1b", k, "x")
		stable = append(stable, k)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("d%d/churn-%d/%d", i%5, w, i%7)
				if _, err := s.Put(ctx, "b1b", k, strings.NewReader("y"), PutOptions{}); err != nil {
					t.Error(err)
					return
				}
				if err := s.Delete(ctx, "b1b", k); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for round := 0; round < 15; round++ {
		var got []string
		o := ListOptions{MaxKeys: 37}
		for {
			res, err := s.List(ctx, "b1b", o)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, keysOf(res)...)
			if !res.IsTruncated {
				break
			}
			o.StartAfter = res.NextStartAfter
		}
		for i := 1; i < len(got); i++ {
			if got[i-1] >= got[i] {
				t.Fatalf("round %d: %q listed before %q", round, got[i-1], got[i])
			}
		}
		for _, k := range stable {
			if _, found := slices.BinarySearch(got, k); !found {
				t.Fatalf("round %d: stable key %q missing", round, k)
			}
		}
	}
}

// TestDeleteBucketRacingPut checks that a Put that reports success always
// left its object in a bucket that still exists.
func TestDeleteBucketRacingPut(t *testing.T) {
	s := newStore(t, Options{})
	ctx := context.Background()
	for round := range 30 {
		newBucket(t, s, "race")
		var putErr, delErr error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, putErr = s.Put(ctx, "race", fmt.Sprintf("dir/k%d", round), strings.NewReader("x"), PutOptions{})
		}()
		go func() {
			defer wg.Done()
			delErr = s.DeleteBucket(ctx, "race")
		}()
		wg.Wait()
		switch {
		case putErr == nil && delErr == nil:
			t.Fatalf("round %d: Put succeeded and the bucket was deleted", round)
		case putErr == nil:
			if !errors.Is(delErr, ErrBucketNotEmpty) {
				t.Fatalf("round %d: DeleteBucket = %v", round, delErr)
			}
			if err := s.Delete(ctx, "race", fmt.Sprintf("dir/k%d", round)); err != nil {
				t.Fatal(err)
			}
			if err := s.DeleteBucket(ctx, "race"); err != nil {
				t.Fatal(err)
			}
		case !errors.Is(putErr, ErrNoSuchBucket) || delErr != nil:
			t.Fatalf("round %d: Put = %v, DeleteBucket = %v", round, putErr, delErr)
		}
	}
}
