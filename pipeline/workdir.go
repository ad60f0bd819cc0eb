package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"

	"github.com/edgecd/edgecd/pipeline/source"
	"github.com/edgecd/edgecd/pipeline/spec"
)

// workDir is where a run's sources are checked out.
func (s *Service) workDir(run, src string) string { return filepath.Join(s.dir, "work", run, src) }

func (s *Service) removeWork(run string) {
	if run != "" {
		os.RemoveAll(filepath.Join(s.dir, "work", run))
	}
}

// checkout puts exactly commit of src into the run's work dir, once.
func (s *Service) checkout(ctx context.Context, run string, src spec.Source, commit string) (*source.Commit, error) {
	dir := s.workDir(run, src.Name)
	marker := dir + ".commit"
	if b, err := os.ReadFile(marker); err == nil {
		var c source.Commit
		if json.Unmarshal(b, &c) == nil && (c.ID == commit || strings.HasPrefix(c.ID, commit)) {
			return &c, nil
		}
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return nil, err
	}
	c, err := source.Checkout(ctx, source.Repo{URL: src.Repo, Branch: src.Branch}, commit, dir)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(c)
	if err := os.WriteFile(marker, b, 0o600); err != nil {
		return nil, err
	}
	return c, nil
}
