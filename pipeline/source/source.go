package source

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Errors a caller can test with errors.Is. The wrapping error says which
// repository, branch or commit was wrong and what to do about it.
var (
	// ErrUnknownBranch: the repository has no branch of that name.
	ErrUnknownBranch = errors.New("unknown branch")
	// ErrUnknownCommit: the commit id is malformed, ambiguous, or not in the
	// repository.
	ErrUnknownCommit = errors.New("unknown commit")
	// ErrNotRepository: the URL or path does not lead to a git repository.
	ErrNotRepository = errors.New("not a git repository")
)

// Repo names a branch of a git repository.
type Repo struct {
	// URL is a local path, or a file://, http(s)://, ssh://, git:// or
	// scp-like (user@host:path) URL. Credentials for http(s) may be given
	// as URL user info; ssh uses the running user's ssh agent.
	URL string
	// Branch is a branch name without refs/heads/ ("main").
	Branch string
}

func (r Repo) String() string { return r.URL + "@" + r.Branch }

// Commit describes a checked-out commit.
type Commit struct {
	ID      string // full 40-hex id
	Short   string // first 7 hex digits, as git shows it
	Message string
	Author  string // "Name <email>"
	When    time.Time
}

func newCommit(c *object.Commit) *Commit {
	id := c.Hash.String()
	return &Commit{
		ID:      id,
		Short:   id[:7],
		Message: strings.TrimRight(c.Message, "\n"),
		Author:  fmt.Sprintf("%s <%s>", c.Author.Name, c.Author.Email),
		When:    c.Author.When,
	}
}

// minShort is the shortest commit prefix accepted: git's own abbreviation is
// 7 digits, and shorter prefixes are ambiguous too often to pin a build to.
const minShort = 7

// checkCommitID reports whether id is a commit id a person could have copied
// from git: 7 to 40 hexadecimal digits.
func checkCommitID(id string) error {
	if len(id) < minShort || len(id) > 40 {
		return fmt.Errorf("%w: %q is not a commit id: want %d to 40 hexadecimal digits", ErrUnknownCommit, id, minShort)
	}
	for _, c := range id {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return fmt.Errorf("%w: %q is not a commit id: %q is not a hexadecimal digit", ErrUnknownCommit, id, c)
		}
	}
	return nil
}

func checkRepo(r Repo) error {
	if strings.TrimSpace(r.URL) == "" {
		return fmt.Errorf("%w: the repository URL is empty", ErrNotRepository)
	}
	if r.Branch == "" {
		return fmt.Errorf("%w: no branch given for %s", ErrUnknownBranch, r.URL)
	}
	if !plumbing.NewBranchReferenceName(r.Branch).IsBranch() || strings.HasPrefix(r.Branch, "refs/") {
		return fmt.Errorf("%w: %q: give the branch name without refs/heads/", ErrUnknownBranch, r.Branch)
	}
	return nil
}

// Resolve returns the full id of the commit at the head of r's branch. For a
// remote repository it lists the remote's references without fetching any
// objects (git ls-remote).
func Resolve(ctx context.Context, r Repo) (string, error) {
	if err := checkRepo(r); err != nil {
		return "", err
	}
	if path, ok := localPath(r.URL); ok {
		return resolveLocal(ctx, path, r)
	}
	return resolveRemote(ctx, r)
}

// Checkout writes the tree of the given commit of r into dir, which must be
// empty or not exist yet, and describes the commit. commit is a full or
// abbreviated (at least 7 digits) id; empty means the head of r's branch.
// The commit need not be the branch head (a run may pin an older commit),
// but a remote must let it be fetched: the branch's history is searched,
// then every branch's. Submodules are not checked out.
func Checkout(ctx context.Context, r Repo, commit, dir string) (*Commit, error) {
	if err := checkRepo(r); err != nil {
		return nil, err
	}
	if commit != "" {
		if err := checkCommitID(commit); err != nil {
			return nil, err
		}
		commit = strings.ToLower(commit)
	}
	if err := prepareDir(dir); err != nil {
		return nil, err
	}
	var c *object.Commit
	var err error
	if path, ok := localPath(r.URL); ok {
		c, err = commitLocal(ctx, path, r, commit)
	} else {
		c, err = commitRemote(ctx, r, commit)
	}
	if err != nil {
		return nil, err
	}
	if err := writeTree(ctx, c, dir); err != nil {
		return nil, fmt.Errorf("checkout %s of %s into %s: %w", c.Hash.String()[:7], r.URL, dir, err)
	}
	return newCommit(c), nil
}
