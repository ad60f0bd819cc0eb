package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// prepareDir makes sure dir exists and is empty, so that after Checkout it
// holds exactly the commit's tree and nothing left from an earlier run.
func prepareDir(dir string) error {
	if dir == "" {
		return errors.New("checkout: no target directory given")
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return fmt.Errorf("checkout: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("checkout: %s is not empty (%s, ...); give a new or empty directory", dir, entries[0].Name())
	}
	return nil
}

// writeTree writes the files of c's tree under dir. All writes go through an
// os.Root, so a symbolic link in the tree can never make a later file land
// outside dir; links themselves are written as git would write them.
func writeTree(ctx context.Context, c *object.Commit, dir string) error {
	tree, err := c.Tree()
	if err != nil {
		return fmt.Errorf("read tree: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	return tree.Files().ForEach(func(f *object.File) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := checkName(f.Name); err != nil {
			return err
		}
		if d := path.Dir(f.Name); d != "." {
			if err := root.MkdirAll(filepath.FromSlash(d), 0o755); err != nil {
				return err
			}
		}
		return writeFile(root, f)
	})
}

// checkName refuses tree entries that git itself refuses to check out.
func checkName(name string) error {
	if !filepath.IsLocal(filepath.FromSlash(name)) {
		return fmt.Errorf("tree entry %q is not a relative path inside the repository", name)
	}
	for _, part := range strings.Split(name, "/") {
		if strings.EqualFold(part, ".git") {
			return fmt.Errorf("tree entry %q would write into a .git directory", name)
		}
	}
	return nil
}

func writeFile(root *os.Root, f *object.File) error {
	name := filepath.FromSlash(f.Name)
	switch f.Mode {
	case filemode.Symlink:
		target, err := f.Contents()
		if err != nil {
			return fmt.Errorf("read link %s: %w", f.Name, err)
		}
		return root.Symlink(target, name)
	case filemode.Regular, filemode.Deprecated, filemode.Executable:
	default:
		return nil // submodules and other entries carry no file content
	}
	perm := os.FileMode(0o644)
	if f.Mode == filemode.Executable {
		perm = 0o755
	}
	rd, err := f.Reader()
	if err != nil {
		return fmt.Errorf("read %s: %w", f.Name, err)
	}
	defer rd.Close()
	w, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, rd); err != nil {
		w.Close()
		return fmt.Errorf("write %s: %w", f.Name, err)
	}
	return w.Close()
}
