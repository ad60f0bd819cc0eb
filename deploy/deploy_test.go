package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeBuild writes n small files whose mtimes lie in the past, as a build
// that finished a while ago (files hashed within the racy window of their
// last change are never cached).
func writeBuild(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	for i := range n {
		p := filepath.Join(dir, "assets", fmt.Sprintf("d%d", i%4), fmt.Sprintf("f%03d.js", i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("export const v%d = %d;\n", i, i)), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, old, old)
	}
	return dir
}

// lastChange is the newest mtime or ctime (the one writeBuild's Chtimes
// leaves at the time of writing) of dir's files.
func lastChange(t *testing.T, dir string) time.Time {
	t.Helper()
	var newest int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		_, ctime := inodeAndCTime(info)
		newest = max(newest, info.ModTime().UnixNano(), ctime)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return time.Unix(0, newest)
}

func TestRerunAfterInterruptionUploadsOnlyWhatDidNotLand(t *testing.T) {
	const total = 40
	dir := writeBuild(t, total)
	fake, client := newFakeS3(t)
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	confirmed := map[string]bool{} // uploads the first run saw succeed
	_, err := Run(ctx, client, Options{Dir: dir, Bucket: "site", Prefix: "v1/", Concurrency: 3,
		Progress: func(p Progress) {
			mu.Lock()
			defer mu.Unlock()
			confirmed[p.Key] = true
			if len(confirmed) == 10 {
				cancel() // Ctrl-C part way
			}
		}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: err = %v, want context.Canceled", err)
	}
	fake.idle()
	if landed, _ := fake.stored(); landed >= total {
		t.Fatalf("all %d files landed before the interruption; the test needs a partial upload", landed)
	}
	fake.resetPuts()
	var again []string
	fake.mu.Lock()
	fake.onPut = func(key string) {
		fake.mu.Lock()
		again = append(again, key)
		fake.mu.Unlock()
	}
	fake.mu.Unlock()
	sum, err := Run(context.Background(), client, Options{Dir: dir, Bucket: "site", Prefix: "v1/", Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Up to Concurrency requests the first run abandoned may still land
	// while the re-run goes; the server counts those too.
	objects, puts := fake.stored()
	if puts < sum.Uploaded || puts > sum.Uploaded+3 || sum.Uploaded+sum.Skipped != total || sum.Skipped < len(confirmed) {
		t.Fatalf("re-run: %d PUTs, summary %d uploaded + %d skipped; want %d in all and at least the %d confirmed skipped",
			puts, sum.Uploaded, sum.Skipped, total, len(confirmed))
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	for _, k := range again {
		if confirmed[k] {
			t.Errorf("the re-run uploaded %s again, which had landed", k)
		}
	}
	if objects != total {
		t.Errorf("%d objects after the re-run, want %d", objects, total)
	}
}

func TestNoChangeRedeployUploadsNothingWithOrWithoutCache(t *testing.T) {
	dir := writeBuild(t, 12)
	fake, client := newFakeS3(t)
	for _, cacheDir := range []string{"", t.TempDir()} {
		for run := range 2 {
			fake.resetPuts()
			sum, err := Run(context.Background(), client, Options{Dir: dir, Bucket: "site", Prefix: "v/", CacheDir: cacheDir})
			if err != nil {
				t.Fatal(err)
			}
			if _, puts := fake.stored(); puts != 0 || sum.Skipped != 12 {
				if cacheDir == "" && run == 0 && puts == 12 {
					continue // the very first deploy
				}
				t.Fatalf("cache %q run %d: %d uploads, %d skipped; want 0 and 12", cacheDir, run, puts, sum.Skipped)
			}
		}
	}
}

func TestHashCacheNoticesAChangeThatKeepsSizeAndMTime(t *testing.T) {
	dir := writeBuild(t, 5)
	cacheDir := t.TempDir()
	fake, client := newFakeS3(t)
	later := func() time.Time { return time.Now().Add(time.Minute) }
	opts := Options{Dir: dir, Bucket: "site", Prefix: "v/", CacheDir: cacheDir, now: later}
	if _, err := Run(context.Background(), client, opts); err != nil {
		t.Fatal(err)
	}
	if c := loadHashCache(CachePath(cacheDir, dir, 8<<20), dir, 8<<20, later()); len(c.old) != 5 {
		t.Fatalf("the hash cache holds %d files, want 5", len(c.old))
	}
	// Same size, mtime put back: only ctime (and content) tell.
	p := filepath.Join(dir, "assets", "d1", "f001.js")
	st, _ := os.Stat(p)
	os.WriteFile(p, []byte("export const v1 = 9;\n"), 0o644)
	os.Chtimes(p, st.ModTime(), st.ModTime())
	fake.resetPuts()
	sum, err := Run(context.Background(), client, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, puts := fake.stored(); puts != 1 || sum.Uploaded != 1 {
		t.Fatalf("changed file: %d uploads, want 1 (summary %+v)", puts, sum)
	}
}

func TestHashCacheIsUsedForUntouchedFiles(t *testing.T) {
	dir := writeBuild(t, 3)
	cacheDir := t.TempDir()
	c := loadHashCache(CachePath(cacheDir, dir, 100), dir, 100, lastChange(t, dir).Add(time.Minute))
	files, err := scan(context.Background(), dir, "", 100, nil, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.save(dir); err != nil {
		t.Fatal(err)
	}
	// Poison the cached hashes: a second scan must return them, proving it
	// did not read the files again.
	c = loadHashCache(CachePath(cacheDir, dir, 100), dir, 100, time.Now())
	for k, e := range c.old {
		e.ETag = "cached-" + k
		c.old[k] = e
	}
	again, err := scan(context.Background(), dir, "", 100, nil, c)
	if err != nil {
		t.Fatal(err)
	}
	for i := range again {
		if again[i].ETag != "cached-"+files[i].Key {
			t.Fatalf("%s: etag %q, want the cached one", files[i].Key, again[i].ETag)
		}
	}
	// A file changed within the racy window is not trusted next time.
	// "Now" is taken from the files themselves: a wall clock read here
	// could lie beyond the window when a busy machine stalls the test.
	c = loadHashCache(CachePath(cacheDir, dir, 100), dir, 100, lastChange(t, dir).Add(racyWindow/2))
	if _, err := scan(context.Background(), dir, "", 100, nil, c); err != nil {
		t.Fatal(err)
	}
	if len(c.entries) != 0 {
		t.Fatalf("%d files just written were cached", len(c.entries))
	}
	// Another part size is another cache.
	other := loadHashCache(CachePath(cacheDir, dir, 200), dir, 200, time.Now())
	if len(other.old) != 0 {
		t.Fatalf("a cache for part size 100 was used for 200")
	}
}

func TestDeletesWaitForEveryUpload(t *testing.T) {
	dir := writeBuild(t, 6)
	fake, client := newFakeS3(t)
	fake.mu.Lock()
	fake.objects["v/stale.js"] = "00"
	fake.onPut = func(key string) {
		if strings.HasSuffix(key, "f003.js") {
			fake.mu.Lock()
			_, stillThere := fake.objects["v/stale.js"]
			fake.mu.Unlock()
			if !stillThere {
				t.Errorf("stale key deleted while uploads were still running")
			}
		}
	}
	fake.mu.Unlock()
	if _, err := Run(context.Background(), client, Options{Dir: dir, Bucket: "site", Prefix: "v/", Delete: true}); err != nil {
		t.Fatal(err)
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if _, ok := fake.objects["v/stale.js"]; ok {
		t.Fatal("--delete left the stale key")
	}
}

func TestMissingBucketSaysWhatToDo(t *testing.T) {
	_, client := newFakeS3(t)
	_, err := Run(context.Background(), client, Options{Dir: writeBuild(t, 1), Bucket: "nope", Prefix: "v/"})
	if err == nil || !strings.Contains(err.Error(), "aws s3 mb s3://nope") {
		t.Fatalf("err = %v", err)
	}
}

func TestVersionAutoDerivesFromContentOrCommit(t *testing.T) {
	dir := writeBuild(t, 4)
	fake, client := newFakeS3(t)
	sum, err := Run(context.Background(), client, Options{Dir: dir, Bucket: "site", Prefix: "app/", Version: VersionAuto})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Version) != 12 || sum.Prefix != "app/"+sum.Version+"/" {
		t.Fatalf("content version %q, prefix %q", sum.Version, sum.Prefix)
	}
	if n, _ := fake.stored(); n != 4 {
		t.Fatalf("%d objects stored", n)
	}
	again, _ := Run(context.Background(), client, Options{Dir: dir, Bucket: "site", Prefix: "app/", Version: VersionAuto})
	if again.Version != sum.Version || again.Uploaded != 0 {
		t.Fatalf("same build: version %q (was %q), %d uploaded", again.Version, sum.Version, again.Uploaded)
	}
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("<h1>new</h1>"), 0o644)
	changed, _ := Run(context.Background(), client, Options{Dir: dir, Bucket: "site", Version: VersionAuto, DryRun: true})
	if changed.Version == sum.Version {
		t.Fatal("a changed build kept its content version")
	}

	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := t.TempDir()
	gitRun := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", repo, "-c", "user.name=t", "-c", "user.email=t@e"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	gitRun("init", "-q")
	os.WriteFile(filepath.Join(repo, "main.js"), []byte("1"), 0o644)
	gitRun("add", ".")
	gitRun("commit", "-qm", "one")
	short := gitRun("rev-parse", "--short=12", "HEAD")
	out := filepath.Join(repo, "dist")
	os.MkdirAll(out, 0o755)
	os.WriteFile(filepath.Join(out, "index.html"), []byte("built"), 0o644) // untracked output
	sum, err = Run(context.Background(), client, Options{Dir: out, Bucket: "site", Version: VersionAuto, DryRun: true})
	if err != nil || sum.Version != short {
		t.Fatalf("clean work tree: version %q, %v; want the commit %q", sum.Version, err, short)
	}
	os.WriteFile(filepath.Join(repo, "main.js"), []byte("2"), 0o644) // uncommitted change
	sum, _ = Run(context.Background(), client, Options{Dir: out, Bucket: "site", Version: VersionAuto, DryRun: true})
	if !strings.HasPrefix(sum.Version, short+"-") || len(sum.Version) != len(short)+9 {
		t.Fatalf("dirty work tree: version %q, want %s-<content hash>", sum.Version, short)
	}
}

func TestPinnedVersionMustBeOneFolder(t *testing.T) {
	_, client := newFakeS3(t)
	for _, v := range []string{"../x", "a/b", ".."} {
		if _, err := Run(context.Background(), client, Options{Dir: writeBuild(t, 1), Bucket: "site", Version: v}); err == nil {
			t.Errorf("version %q accepted", v)
		}
	}
}

func TestBadRulePatternIsRefusedUpFront(t *testing.T) {
	_, client := newFakeS3(t)
	_, err := Run(context.Background(), client, Options{Dir: writeBuild(t, 1), Bucket: "site", Rules: []Rule{{Pattern: "[", CacheControl: "x"}}})
	if err == nil || !strings.Contains(err.Error(), "not a valid glob") {
		t.Fatalf("err = %v", err)
	}
}

func TestLargeFileGoesMultipartInOrderAndIsRecognisedNextTime(t *testing.T) {
	dir := t.TempDir()
	data := make([]byte, 5<<20+123) // 6 parts of 1 MiB, the last one short
	for i := range data {
		data[i] = byte(i * 31)
	}
	os.WriteFile(filepath.Join(dir, "video.bin"), data, 0o644)
	fake, client := newFakeS3(t)
	opts := Options{Dir: dir, Bucket: "site", Prefix: "v/", PartSize: 1 << 20}
	if _, err := Run(context.Background(), client, opts); err != nil {
		t.Fatal(err)
	}
	fake.mu.Lock()
	got := fake.bodies["v/video.bin"]
	fake.mu.Unlock()
	if !bytes.Equal(got, data) {
		t.Fatalf("the parts put together are %d bytes, not the file's %d (or differ)", len(got), len(data))
	}
	sum, err := Run(context.Background(), client, opts)
	if err != nil || sum.Uploaded != 0 || sum.Skipped != 1 {
		t.Fatalf("re-run: %+v, %v; the multipart ETag was not recognised", sum, err)
	}
}

func TestFailedPartAbortsTheMultipartUpload(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "video.bin"), make([]byte, 3<<20+1), 0o644)
	fake, client := newFakeS3(t)
	fake.mu.Lock() // the handlers read it: the race detector does not see through sockets
	fake.failPart = 2
	fake.mu.Unlock()
	_, err := Run(context.Background(), client, Options{Dir: dir, Bucket: "site", Prefix: "v/", PartSize: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), "part 2") {
		t.Fatalf("err = %v, want the failed part named", err)
	}
	fake.idle()
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if fake.aborted != 1 || len(fake.parts) != 0 || fake.objects["v/video.bin"] != "" {
		t.Fatalf("aborted %d uploads, %d left with parts, object %q; want the upload aborted and nothing stored",
			fake.aborted, len(fake.parts), fake.objects["v/video.bin"])
	}
}
