package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os/exec"
	"sort"
	"strings"
)

// resolveVersion returns o.Version, or with VersionAuto the version derived
// from the build: the git commit of the directory's work tree (short hash,
// with the content hash appended when tracked files have uncommitted
// changes), else the content hash. It returns the scan when it needed one
// (keys relative, without prefix).
func resolveVersion(ctx context.Context, o Options, cache *hashCache) (string, []File, error) {
	if o.Version != VersionAuto {
		return o.Version, nil, checkVersion(o.Version)
	}
	commit, dirty := gitCommit(ctx, o.Dir)
	if commit != "" && !dirty {
		return commit, nil, nil
	}
	local, err := scan(ctx, o.Dir, "", o.PartSize, o.Rules, cache)
	if err != nil {
		return "", nil, err
	}
	v := ContentVersion(local)
	if commit != "" {
		v = commit + "-" + v[:8]
	}
	return v, local, nil
}

// ContentVersion is a version name derived from the files' keys and
// content hashes: the same build always gets the same name, any change
// another one.
func ContentVersion(files []File) string {
	lines := make([]string, len(files))
	for i, f := range files {
		lines[i] = f.Key + "\x00" + f.ETag
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(sum[:6])
}

// gitCommit returns the short commit of the work tree dir is in and
// whether tracked files differ from it; "" when dir is not in a git work
// tree or git is missing. Untracked files (the build output itself) do not
// count as changes.
func gitCommit(ctx context.Context, dir string) (commit string, dirty bool) {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "", false
	}
	commit = strings.TrimSpace(string(out))
	st, err := exec.CommandContext(ctx, "git", "-C", dir, "status", "--porcelain", "--untracked-files=no").Output()
	return commit, err != nil || len(strings.TrimSpace(string(st))) > 0
}

// checkVersion refuses names that would not make one folder.
func checkVersion(v string) error {
	if v == "" {
		return nil
	}
	if strings.ContainsAny(v, "/\\") || v == "." || v == ".." || strings.TrimSpace(v) != v {
		return fmt.Errorf("version %q must be one folder name (e.g. 2.0.0 or a commit hash), without '/'", v)
	}
	return nil
}
