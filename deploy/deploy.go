package deploy

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Options describe one deploy.
type Options struct {
	Dir    string
	Bucket string
	Prefix string // "2.0.0/" (a trailing '/' is added when missing)
	// Version, when set, is appended to Prefix as a folder: Prefix+Version+"/".
	// VersionAuto derives it from the build (see DeriveVersion).
	Version     string
	Delete      bool // remove remote keys under Prefix that Dir lacks, after all uploads
	DryRun      bool
	Concurrency int   // parallel uploads; default DefaultConcurrency
	PartSize    int64 // multipart part size and threshold; default 8 MiB
	Rules       []Rule
	// CacheDir, when set, keeps a local cache of file hashes keyed by
	// size, mtime, ctime and inode there (see CachePath), so a re-run
	// does not re-read untouched files. Content hashes are still what is
	// compared with the remote ETags.
	CacheDir string
	// Progress is called after each file is uploaded, from one goroutine
	// at a time.
	Progress func(Progress)

	now func() time.Time // tests move the clock past the cache's racy window
}

// VersionAuto as Options.Version derives the version from the build.
const VersionAuto = "auto"

// Progress is a running count.
type Progress struct {
	Files, TotalFiles int
	Bytes, TotalBytes int64
	Elapsed           time.Duration
	Key               string
}

// Summary is what a deploy did.
type Summary struct {
	Bucket   string   `json:"bucket"`
	Prefix   string   `json:"prefix"`
	Version  string   `json:"version,omitempty"`
	Uploaded int      `json:"uploaded"`
	Skipped  int      `json:"skipped"`
	Deleted  int      `json:"deleted"`
	Bytes    int64    `json:"bytes"`
	Seconds  float64  `json:"seconds"`
	DryRun   bool     `json:"dry_run"`
	Planned  []string `json:"planned,omitempty"` // dry run: "upload key" / "delete key"
}

// ParseS3URL splits s3://bucket/prefix/.
func ParseS3URL(u string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok || rest == "" {
		return "", "", fmt.Errorf("%q is not an S3 URL: use s3://bucket/prefix/", u)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("%q names no bucket: use s3://bucket/prefix/", u)
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return bucket, prefix, nil
}

// Run deploys o.Dir to s3://o.Bucket/o.Prefix with client. The local scan
// and the remote listing run at the same time; only files whose content
// hash differs from the remote ETag are uploaded, so a run interrupted
// part way resumes where it stopped when run again.
func Run(ctx context.Context, client *s3.Client, o Options) (*Summary, error) {
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.PartSize <= 0 {
		o.PartSize = 8 << 20
	}
	if o.Prefix != "" && !strings.HasSuffix(o.Prefix, "/") {
		o.Prefix += "/"
	}
	for _, r := range o.Rules {
		if _, err := path.Match(r.Pattern, ""); err != nil || r.Pattern == "" {
			return nil, fmt.Errorf("header rule pattern %q is not a valid glob (path.Match syntax, e.g. *.txt or assets/*.js)", r.Pattern)
		}
	}
	if st, err := os.Stat(o.Dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory: give the build output directory", o.Dir)
	}
	var cache *hashCache
	if o.CacheDir != "" {
		now := start
		if o.now != nil {
			now = o.now()
		}
		cache = loadHashCache(CachePath(o.CacheDir, o.Dir, o.PartSize), o.Dir, o.PartSize, now)
	}
	version, local, err := resolveVersion(ctx, o, cache)
	if err != nil {
		return nil, err
	}
	if version != "" {
		if err := checkVersion(version); err != nil {
			return nil, err
		}
		o.Prefix += version + "/"
	}
	type listing struct {
		remote map[string]string
		err    error
	}
	listed := make(chan listing, 1)
	go func() {
		r, err := listRemote(ctx, client, o.Bucket, o.Prefix)
		listed <- listing{r, err}
	}()
	if local == nil {
		local, err = scan(ctx, o.Dir, o.Prefix, o.PartSize, o.Rules, cache)
	} else {
		for i := range local {
			local[i].Key = o.Prefix + local[i].Key
		}
	}
	if err != nil {
		return nil, err // the deferred cancel stops the listing
	}
	l := <-listed
	if l.err != nil {
		return nil, l.err
	}
	if err := cache.save(o.Dir); err != nil {
		slog.WarnContext(ctx, "could not save the local hash cache; the next deploy re-reads every file", "err", err)
	}
	plan := Diff(local, l.remote, o.Delete)
	sum := &Summary{Bucket: o.Bucket, Prefix: o.Prefix, Version: version, Skipped: len(plan.Skips), DryRun: o.DryRun}
	if o.DryRun {
		for _, a := range plan.Uploads {
			sum.Planned = append(sum.Planned, "upload "+a.Key)
		}
		for _, a := range plan.Deletes {
			sum.Planned = append(sum.Planned, "delete "+a.Key)
		}
		sum.Uploaded, sum.Deleted, sum.Bytes = len(plan.Uploads), len(plan.Deletes), plan.UploadBytes
		sum.Seconds = time.Since(start).Seconds()
		return sum, nil
	}
	if err := upload(ctx, client, o, plan, start, sum); err != nil {
		return sum, err
	}
	// Only now: a failed upload must never leave the prefix missing files
	// the old version's pages still reference.
	if err := deleteKeys(ctx, client, o.Bucket, plan.Deletes); err != nil {
		return sum, err
	}
	sum.Deleted = len(plan.Deletes)
	sum.Seconds = time.Since(start).Seconds()
	return sum, nil
}

func upload(parent context.Context, client *s3.Client, o Options, plan *Plan, start time.Time, sum *Summary) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	work := make(chan *File)
	var (
		mu, progressMu sync.Mutex
		firstErr       error
		files          atomic.Int64
		bytes          atomic.Int64
		wg             sync.WaitGroup
	)
	for range min(o.Concurrency, max(len(plan.Uploads), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				if err := putFile(ctx, client, o, f); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("upload %s: %w", f.Key, err)
						cancel()
					}
					mu.Unlock()
					continue
				}
				progressMu.Lock() // counts and reports in order
				n, b := files.Add(1), bytes.Add(f.Size)
				if o.Progress != nil {
					o.Progress(Progress{Files: int(n), TotalFiles: len(plan.Uploads), Bytes: b, TotalBytes: plan.UploadBytes, Elapsed: time.Since(start), Key: f.Key})
				}
				progressMu.Unlock()
			}
		}()
	}
	for _, a := range plan.Uploads {
		select {
		case work <- a.File:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	sum.Uploaded, sum.Bytes = int(files.Load()), bytes.Load()
	if firstErr == nil && parent.Err() != nil {
		// Interrupted between files: some were never tried.
		return fmt.Errorf("deploy interrupted after %d of %d uploads (run it again to finish): %w", sum.Uploaded, len(plan.Uploads), parent.Err())
	}
	return firstErr
}

func putFile(ctx context.Context, client *s3.Client, o Options, f *File) error {
	if f.data != nil {
		in := &s3.PutObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(f.Key), Body: bytes.NewReader(f.data),
			ContentLength: aws.Int64(int64(len(f.data))), ContentType: aws.String(f.ContentType)}
		if f.CacheControl != "" {
			in.CacheControl = aws.String(f.CacheControl)
		}
		_, err := client.PutObject(ctx, in)
		return err
	}
	fh, err := os.Open(f.Path)
	if err != nil {
		return err
	}
	defer fh.Close()
	in := &s3.PutObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(f.Key), Body: fh, ContentType: aws.String(f.ContentType)}
	if f.CacheControl != "" {
		in.CacheControl = aws.String(f.CacheControl)
	}
	if f.Size <= o.PartSize {
		in.ContentLength = aws.Int64(f.Size)
		_, err = client.PutObject(ctx, in)
		return err
	}
	return putMultipart(ctx, client, in, fh, f.Size, o.PartSize)
}

func deleteKeys(ctx context.Context, client *s3.Client, bucket string, dels []Action) error {
	for i := 0; i < len(dels); i += 1000 {
		batch := dels[i:min(i+1000, len(dels))]
		ids := make([]s3types.ObjectIdentifier, len(batch))
		for j, a := range batch {
			ids[j] = s3types.ObjectIdentifier{Key: aws.String(a.Key)}
		}
		out, err := client.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(bucket), Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
		if err != nil {
			return fmt.Errorf("delete stale keys: %w", err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("delete %s: %s %s", aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
		}
	}
	return nil
}
