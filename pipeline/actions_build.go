package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/edgecd/edgecd/deploy"
	"github.com/edgecd/edgecd/flow"
	"github.com/edgecd/edgecd/pipeline/buildspec"
	"github.com/edgecd/edgecd/pipeline/spec"
)

var timeZero time.Time

// sourceFor picks the source an action works on: with.source, else the
// only (or first) source of the pipeline.
func (s *Service) sourceFor(ctx context.Context, a *actionCall) (spec.Source, error) {
	p, err := s.Pipeline(ctx, a.in.Pipeline)
	if err != nil {
		return spec.Source{}, err
	}
	sp, err := s.spec(p)
	if err != nil {
		return spec.Source{}, err
	}
	if len(sp.Sources) == 0 {
		return spec.Source{}, &flow.TaskError{Name: "Pipeline.MissingSetting", Cause: "pipeline " + p.Name + " has no sources"}
	}
	name := a.get("source", "")
	if name == "" {
		if src := findSource(sp, a.in.Action); src != nil {
			return *src, nil
		}
		return sp.Sources[0], nil
	}
	if src := findSource(sp, name); src != nil {
		return *src, nil
	}
	return spec.Source{}, &flow.TaskError{Name: "Pipeline.MissingSetting",
		Cause: fmt.Sprintf("action %s names source %q; the pipeline's sources are %s", a.in.Action, name, sourceNames(sp))}
}

// sourceGit checks the run's recorded commit of a source out into the
// run's work directory (already done at the trigger; again after a retry
// or a lost work dir).
func (s *Service) sourceGit(ctx context.Context, a *actionCall) (map[string]string, error) {
	src, err := s.sourceFor(ctx, a)
	if err != nil {
		return nil, err
	}
	commit := a.run.Commits[src.Name]
	c, err := s.checkout(ctx, a.run.ID, src, commit)
	if err != nil {
		return nil, fmt.Errorf("check out %s of %s: %w", commit, src.Repo, err)
	}
	fmt.Fprintf(a.log, "[edgecd] source %s: %s@%s is %s %q by %s\n", src.Name, src.Repo, src.Branch, c.ID, firstLine(c.Message), c.Author)
	return map[string]string{
		"CommitId": c.ID, "CommitShort": c.Short, "CommitMessage": firstLine(c.Message), "AuthorDate": c.When.UTC().Format(time.RFC3339),
		"Author": c.Author, "BranchName": src.Branch, "RepositoryName": src.Repo, "SourceDir": s.workDir(a.run.ID, src.Name),
	}, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// build runs the source's buildspec in its work dir, streaming the log,
// and copies the artifacts into a directory of their own for deploy.
func (s *Service) build(ctx context.Context, a *actionCall) (map[string]string, error) {
	src, err := s.sourceFor(ctx, a)
	if err != nil {
		return nil, err
	}
	dir := s.workDir(a.run.ID, src.Name)
	if _, err := s.checkout(ctx, a.run.ID, src, a.run.Commits[src.Name]); err != nil {
		return nil, fmt.Errorf("check out the source: %w", err)
	}
	file := a.get("buildspec", "buildspec.yml")
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(file)))
	if err != nil {
		return nil, &flow.TaskError{Name: "Pipeline.BuildFailed", Cause: fmt.Sprintf("read %s in source %s at %s: %v (add it to the repository or set with.buildspec)", file, src.Name, short(a.run.Commits[src.Name]), err)}
	}
	bs, problems := buildspec.Parse(file, data)
	if len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.String()
		}
		return nil, &flow.TaskError{Name: "Pipeline.BuildFailed", Cause: "invalid buildspec:\n" + strings.Join(msgs, "\n")}
	}
	timeout := 60 * time.Minute
	if v := a.get("timeout", ""); v != "" {
		if timeout, err = time.ParseDuration(v); err != nil {
			return nil, &flow.TaskError{Name: "Pipeline.MissingSetting", Cause: fmt.Sprintf("with.timeout %q: give a duration such as 10m", v)}
		}
	}
	commit := a.run.Commits[src.Name]
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "LANG=C.UTF-8", "TMPDIR=" + os.TempDir(),
		"CODEBUILD_RESOLVED_SOURCE_VERSION=" + commit, "CODEBUILD_BUILD_ID=" + a.in.Pipeline + ":" + a.run.ID,
		"CODEBUILD_BUILD_NUMBER=" + strconv.Itoa(a.attempt()), "EDGECD_PIPELINE=" + a.in.Pipeline, "EDGECD_RUN=" + a.run.ID,
	}
	for k, v := range a.with {
		if name, ok := strings.CutPrefix(k, "env."); ok {
			env = append(env, name+"="+v)
		}
	}
	fmt.Fprintf(a.log, "[edgecd] build %s of %s at %s\n", file, src.Name, commit)
	res, err := buildspec.Run(ctx, bs, buildspec.RunOptions{Dir: dir, Env: env, Log: a.log, Timeout: timeout, Parameter: s.parameter})
	if err != nil {
		var be *buildspec.BuildError
		if errors.As(err, &be) {
			return nil, &flow.TaskError{Name: "Pipeline.BuildFailed", Cause: be.Error() + "\n--- last lines of the log ---\n" + be.Tail}
		}
		return nil, err
	}
	out := map[string]string{}
	for k, v := range res.Exported {
		out[k] = v
	}
	if res.ArtifactsDir != "" {
		art := filepath.Join(s.dir, "artifacts", a.run.ID, unsafeName.ReplaceAllString(a.in.Action, "_"))
		if err := copyArtifacts(res, art); err != nil {
			return nil, fmt.Errorf("collect the artifacts: %w", err)
		}
		out["ArtifactsDir"] = art
		out["ArtifactFiles"] = strconv.Itoa(len(res.Files))
		fmt.Fprintf(a.log, "[edgecd] %d artifact files collected\n", len(res.Files))
	}
	return out, nil
}

func (a *actionCall) attempt() int {
	if _, ar := a.run.action(a.in.Stage, a.in.Action); ar != nil {
		return ar.Attempt
	}
	return 1
}

func short(commit string) string {
	if len(commit) > 7 {
		return commit[:7]
	}
	return commit
}

// copyArtifacts copies the selected files (flattened with discard-paths)
// to dst, replacing what a previous attempt left.
func copyArtifacts(res *buildspec.Result, dst string) error {
	os.RemoveAll(dst)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, f := range res.Files {
		rel := f
		if res.DiscardPaths {
			rel = path.Base(f)
		}
		to := filepath.Join(dst, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if err := copyFile(filepath.Join(res.ArtifactsDir, filepath.FromSlash(f)), to); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// parameter resolves buildspec parameter-store variables through the
// node's SSM API.
func (s *Service) parameter(ctx context.Context, name string) (string, error) {
	cfg, err := s.awsConfig(ctx)
	if err != nil {
		return "", err
	}
	out, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Parameter.Value), nil
}

// earlierOutput finds an output variable of an earlier action of the run
// (the latest one that has it), so deploy finds the build's artifacts and
// release.stage the deployed origin path without being told.
func (a *actionCall) earlierOutput(name string) string {
	v := ""
	for _, st := range a.run.Stages {
		for _, ar := range st.Actions {
			if st.Name == a.in.Stage && ar.Name == a.in.Action {
				return v
			}
			if x, ok := ar.Outputs[name]; ok && ar.Status == StatusSucceeded {
				v = x
			}
		}
	}
	return v
}

// deploy syncs the build output to with.to (s3://bucket/prefix/, the
// prefix usually ending in the version, e.g. the short commit) by content
// hash.
func (s *Service) deploy(ctx context.Context, a *actionCall) (map[string]string, error) {
	to, err := a.need("to")
	if err != nil {
		return nil, err
	}
	bucket, prefix, err := deploy.ParseS3URL(to)
	if err != nil {
		return nil, &flow.TaskError{Name: "Pipeline.MissingSetting", Cause: fmt.Sprintf("with.to %q: %v", to, err)}
	}
	dir := a.get("dir", a.earlierOutput("ArtifactsDir"))
	if dir == "" {
		return nil, &flow.TaskError{Name: "Pipeline.MissingSetting", Cause: "deploy needs the files to upload: run a build with an artifacts section before it, or set with.dir"}
	}
	cfg, err := s.awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(a.log, "[edgecd] deploy %s to %s\n", dir, to)
	sum, err := deploy.Run(ctx, deploy.NewS3Client(cfg, 16), deploy.Options{
		Dir: dir, Bucket: bucket, Prefix: prefix, Delete: a.get("delete", "false") == "true",
		CacheDir: filepath.Join(s.dir, "cache"),
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(a.log, "[edgecd] uploaded %d, unchanged %d, deleted %d (%d bytes) in %.2fs\n", sum.Uploaded, sum.Skipped, sum.Deleted, sum.Bytes, sum.Seconds)
	p := strings.TrimSuffix(sum.Prefix, "/")
	return map[string]string{
		"Bucket": sum.Bucket, "Prefix": sum.Prefix, "Version": path.Base("/" + p), "OriginPath": "/" + p,
		"Uploaded": strconv.Itoa(sum.Uploaded), "Skipped": strconv.Itoa(sum.Skipped), "Deleted": strconv.Itoa(sum.Deleted),
	}, nil
}
