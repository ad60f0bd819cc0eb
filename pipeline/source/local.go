package source

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// localPath reports whether u names a repository on this machine, and its
// path. Local repositories are opened in-process: go-git's file:// transport
// would run the git-upload-pack binary, which we do not want to require.
func localPath(u string) (string, bool) {
	if strings.HasPrefix(u, "file://") {
		p, err := url.Parse(u)
		if err != nil || (p.Host != "" && p.Host != "localhost") {
			return "", false
		}
		return p.Path, true
	}
	if strings.Contains(u, "://") {
		return "", false
	}
	// scp-like syntax user@host:path or host:path, as git reads it: a colon
	// before any slash.
	if i := strings.IndexByte(u, ':'); i > 0 && !strings.Contains(u[:i], "/") {
		return "", false
	}
	return u, true
}

func openLocal(path string) (*git.Repository, error) {
	repo, err := git.PlainOpenWithOptions(path, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("%w: %s has no .git directory and is not a bare repository", ErrNotRepository, path)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: open %s: %v", ErrNotRepository, path, err)
	}
	return repo, nil
}

func resolveLocal(ctx context.Context, path string, r Repo) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	repo, err := openLocal(path)
	if err != nil {
		return "", err
	}
	h, err := branchHead(repo, r)
	if err != nil {
		return "", err
	}
	return h.String(), nil
}

func branchHead(repo *git.Repository, r Repo) (plumbing.Hash, error) {
	ref, err := repo.Reference(plumbing.NewBranchReferenceName(r.Branch), true)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		var names []string
		if it, err := repo.Branches(); err == nil {
			_ = it.ForEach(func(ref *plumbing.Reference) error {
				names = append(names, ref.Name().Short())
				return nil
			})
		}
		return plumbing.ZeroHash, unknownBranch(r, names)
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read branch %q of %s: %w", r.Branch, r.URL, err)
	}
	return ref.Hash(), nil
}

// unknownBranch names the branches that do exist, so the message says what to
// write instead.
func unknownBranch(r Repo, have []string) error {
	sort.Strings(have)
	switch {
	case len(have) == 0:
		return fmt.Errorf("%w: %s has no branches (push a commit first)", ErrUnknownBranch, r.URL)
	case len(have) > 10:
		have = append(have[:10], "...")
	}
	return fmt.Errorf("%w: %s has no branch %q; it has %s", ErrUnknownBranch, r.URL, r.Branch, strings.Join(have, ", "))
}

func commitLocal(ctx context.Context, path string, r Repo, id string) (*object.Commit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	repo, err := openLocal(path)
	if err != nil {
		return nil, err
	}
	if id == "" {
		h, err := branchHead(repo, r)
		if err != nil {
			return nil, err
		}
		id = h.String()
	}
	return findCommit(repo, r, id)
}

// findCommit looks id (full or a prefix) up among repo's commits.
func findCommit(repo *git.Repository, r Repo, id string) (*object.Commit, error) {
	if len(id) == 40 {
		c, err := repo.CommitObject(plumbing.NewHash(id))
		if errors.Is(err, plumbing.ErrObjectNotFound) {
			return nil, unknownCommit(r, id)
		}
		if err != nil {
			return nil, fmt.Errorf("read commit %s of %s: %w", id, r.URL, err)
		}
		return c, nil
	}
	it, err := repo.CommitObjects()
	if err != nil {
		return nil, fmt.Errorf("list commits of %s: %w", r.URL, err)
	}
	var found []*object.Commit
	err = it.ForEach(func(c *object.Commit) error {
		if strings.HasPrefix(c.Hash.String(), id) {
			found = append(found, c)
			if len(found) > 1 {
				return storer.ErrStop
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list commits of %s: %w", r.URL, err)
	}
	switch len(found) {
	case 0:
		return nil, unknownCommit(r, id)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%w: %q is ambiguous in %s: give more digits of the commit id", ErrUnknownCommit, id, r.URL)
}

func unknownCommit(r Repo, id string) error {
	return fmt.Errorf("%w: %s has no commit %s (is it pushed? check the id with git log %s)", ErrUnknownCommit, r.URL, id, r.Branch)
}
