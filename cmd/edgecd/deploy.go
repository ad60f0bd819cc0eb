package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/edgecd/edgecd/deploy"
)

const deployUsage = `Usage: edgecd deploy [flags] DIR s3://bucket/prefix/
       edgecd deploy [flags] --version auto DIR s3://bucket/   (into bucket/<commit or content hash>/)

Uploads what changed in DIR (by content hash), sets Content-Type and Cache-Control
(fingerprinted assets: immutable for a year; HTML: no-cache), and with --delete removes
keys DIR no longer has, after every upload succeeded.
`

func cmdDeploy(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("deploy", stderr)
	fs.Usage = func() { fmt.Fprint(stderr, deployUsage); fs.PrintDefaults() }
	var (
		awsf                       awsFlags
		output, rulesFile, version string
		del, dryRun, noCache       bool
		concurrency                int
		partMiB                    int64
	)
	awsf.register(fs, "S3 endpoint (default: AWS_ENDPOINT_URL, else the real AWS)")
	fs.BoolVar(&del, "delete", false, "delete remote keys under the prefix that DIR does not have (after all uploads)")
	fs.BoolVar(&dryRun, "dry-run", false, "print the plan, change nothing")
	fs.IntVar(&concurrency, "concurrency", deploy.DefaultConcurrency, "parallel uploads")
	fs.Int64Var(&partMiB, "part-size", 8, "multipart part size in MiB (files above it go multipart)")
	fs.StringVar(&output, "output", "text", "text or json (a summary)")
	fs.StringVar(&version, "version", "", `deploy into PREFIX/VERSION/; "auto" derives it from the build (git commit short hash, else a content hash)`)
	fs.BoolVar(&noCache, "no-cache", false, "re-hash every file (by default hashes of untouched files are cached by size, mtime, ctime and inode in the user cache directory)")
	fs.StringVar(&rulesFile, "rules", "", `JSON file of header rules: [{"pattern": "*.txt", "cache_control": "max-age=60"}]`)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		fs.Usage()
		return errors.New("give a directory and an s3:// destination")
	}
	bucket, prefix, err := deploy.ParseS3URL(pos[1])
	if err != nil {
		return err
	}
	var rules []deploy.Rule
	if rulesFile != "" {
		b, err := os.ReadFile(rulesFile)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &rules); err != nil {
			return fmt.Errorf("%s: %w (want a JSON list of {pattern, cache_control, content_type})", rulesFile, err)
		}
	}
	cfg, err := loadAWSConfig(ctx, awsf.endpoint, awsf.region, awsf.profile)
	if err != nil {
		return err
	}
	client := deploy.NewS3Client(cfg, concurrency)
	cacheDir := ""
	if !noCache {
		if d, err := os.UserCacheDir(); err == nil {
			cacheDir = filepath.Join(d, "edgecd", "deploy")
		}
	}
	progress := progressPrinter(stderr)
	sum, err := deploy.Run(ctx, client, deploy.Options{
		Dir: pos[0], Bucket: bucket, Prefix: prefix, Delete: del, DryRun: dryRun,
		Version: version, Concurrency: concurrency, PartSize: partMiB << 20, Rules: rules, CacheDir: cacheDir, Progress: progress,
	})
	if err != nil {
		return err
	}
	if output == "json" {
		return printJSON(stdout, sum)
	}
	for _, p := range sum.Planned {
		fmt.Fprintln(stdout, "(dry run)", p)
	}
	if sum.Version != "" {
		fmt.Fprintf(stdout, "version %s\n", sum.Version)
	}
	fmt.Fprintf(stdout, "s3://%s/%s: %d uploaded (%s), %d unchanged, %d deleted in %.2fs\n",
		sum.Bucket, sum.Prefix, sum.Uploaded, humanBytes(sum.Bytes), sum.Skipped, sum.Deleted, sum.Seconds)
	return nil
}

// progressPrinter shows a deploy's progress on w: on a terminal a bar
// redrawn in place (files, bytes, rate, ETA); in a log one plain line every
// few seconds. deploy.Run calls it from one goroutine at a time.
func progressPrinter(w io.Writer) func(deploy.Progress) {
	tty := isTerminal(w)
	every := 2 * time.Second
	if tty {
		every = 100 * time.Millisecond
	}
	var last time.Time
	return func(p deploy.Progress) {
		if time.Since(last) < every && p.Files != p.TotalFiles {
			return
		}
		last = time.Now()
		secs := max(p.Elapsed.Seconds(), 0.001)
		rate := float64(p.Bytes) / secs
		// Small files cost per request, large ones per byte: the ETA is
		// the longer of the two extrapolations.
		left := max(float64(p.TotalBytes-p.Bytes)/max(rate, 1), secs*float64(p.TotalFiles-p.Files)/float64(max(p.Files, 1)))
		eta := time.Duration(left * float64(time.Second)).Round(time.Second)
		stats := fmt.Sprintf("%d/%d files  %s/%s  %s/s %.0f files/s  ETA %s", p.Files, p.TotalFiles,
			humanBytes(p.Bytes), humanBytes(p.TotalBytes), humanBytes(int64(rate)), float64(p.Files)/secs, eta)
		if !tty {
			fmt.Fprintf(w, "deploy: %s\n", stats)
			return
		}
		const width = 30
		done := width * p.Files / max(p.TotalFiles, 1)
		fmt.Fprintf(w, "\r\033[K[%s%s] %s", strings.Repeat("=", done), strings.Repeat(" ", width-done), stats)
		if p.Files == p.TotalFiles {
			fmt.Fprintln(w)
		}
	}
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
