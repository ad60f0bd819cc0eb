package source

import (
	"context"
	"errors"
	"fmt"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"
)

// remoteError turns transport errors into the package's errors with a hint.
func remoteError(r Repo, err error) error {
	switch {
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return fmt.Errorf("%w: %s: no repository at that URL (check the URL and that it is not private)", ErrNotRepository, r.URL)
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return fmt.Errorf("%w: %s is empty (push a commit first)", ErrUnknownBranch, r.URL)
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		return fmt.Errorf("%s: %w (give credentials in the URL for http(s), or load a key into ssh-agent for ssh)", r.URL, err)
	case errors.Is(err, transport.ErrInvalidAuthMethod):
		return fmt.Errorf("%s: %w", r.URL, err)
	}
	return fmt.Errorf("%s: %w", r.URL, err)
}

func listRemote(ctx context.Context, r Repo) ([]*plumbing.Reference, error) {
	rem := git.NewRemote(memory.NewStorage(), &config.RemoteConfig{Name: "origin", URLs: []string{r.URL}})
	refs, err := rem.ListContext(ctx, &git.ListOptions{})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, remoteError(r, err)
	}
	return refs, nil
}

func resolveRemote(ctx context.Context, r Repo) (string, error) {
	refs, err := listRemote(ctx, r)
	if err != nil {
		return "", err
	}
	want := plumbing.NewBranchReferenceName(r.Branch)
	var have []string
	for _, ref := range refs {
		if ref.Name() == want {
			return ref.Hash().String(), nil
		}
		if ref.Name().IsBranch() {
			have = append(have, ref.Name().Short())
		}
	}
	return "", unknownBranch(r, have)
}

// commitRemote fetches as little as it can to read commit id of r: one commit
// deep when id is the branch head or the server serves a commit by id, else
// the branch's history, else every branch's.
func commitRemote(ctx context.Context, r Repo, id string) (*object.Commit, error) {
	head, err := resolveRemote(ctx, r)
	if err != nil {
		return nil, err
	}
	if id == "" || strings.HasPrefix(head, id) {
		id = head
	}
	branch := plumbing.NewBranchReferenceName(r.Branch)
	if id == head {
		repo, err := clone(ctx, r, &git.CloneOptions{ReferenceName: branch, SingleBranch: true, Depth: 1})
		if err != nil {
			return nil, err
		}
		return findCommit(repo, r, id)
	}
	if len(id) == 40 {
		// Servers that allow it (GitHub, git with uploadpack.allowReachableSHA1InWant)
		// send just that commit; others refuse and we fall back to history.
		if repo, err := fetchCommit(ctx, r, id); err == nil {
			if c, err := findCommit(repo, r, id); err == nil {
				return c, nil
			}
		} else if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	repo, err := clone(ctx, r, &git.CloneOptions{ReferenceName: branch, SingleBranch: true})
	if err != nil {
		return nil, err
	}
	c, err := findCommit(repo, r, id)
	if !errors.Is(err, ErrUnknownCommit) {
		return c, err
	}
	repo, err = clone(ctx, r, &git.CloneOptions{})
	if err != nil {
		return nil, err
	}
	return findCommit(repo, r, id)
}

// clone fetches into memory: the work tree is written by writeTree, and a
// static site's history fits in memory comfortably.
func clone(ctx context.Context, r Repo, o *git.CloneOptions) (*git.Repository, error) {
	o.URL = r.URL
	o.NoCheckout = true
	o.Tags = git.NoTags
	repo, err := git.CloneContext(ctx, memory.NewStorage(), nil, o)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, remoteError(r, err)
	}
	return repo, nil
}

func fetchCommit(ctx context.Context, r Repo, id string) (*git.Repository, error) {
	repo, err := git.Init(memory.NewStorage(), nil)
	if err != nil {
		return nil, err
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{r.URL}}); err != nil {
		return nil, err
	}
	err = repo.FetchContext(ctx, &git.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{config.RefSpec(id + ":refs/heads/pinned")},
		Depth:      1,
		Tags:       git.NoTags,
	})
	if err != nil {
		return nil, err
	}
	return repo, nil
}
