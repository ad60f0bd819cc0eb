package buildspec

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// artifacts is the UPLOAD_ARTIFACTS phase: it selects the files of the
// artifacts section. Nothing is copied; the deployer reads them in place.
func (b *build) artifacts() {
	a := b.spec.Artifacts
	if a == nil {
		return
	}
	pr := PhaseResult{Name: UploadArtifacts, Status: Succeeded, Start: time.Now()}
	b.log.container("Entering phase %s", UploadArtifacts)
	base := filepath.Join(b.dir, filepath.FromSlash(a.BaseDirectory))
	files, err := Select(base, a.Files, a.Exclude)
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("no files in %s match artifacts.files %s", displayBase(a.BaseDirectory), strings.Join(a.Files, ", "))
	}
	if err == nil && a.DiscardPaths {
		err = sameBaseNames(files)
	}
	b.res.ArtifactsDir = base
	b.res.DiscardPaths = a.DiscardPaths
	pr.Duration = time.Since(pr.Start)
	if err != nil {
		pr.Status = Failed
		b.log.container("Phase complete: %s State: FAILED", UploadArtifacts)
		b.log.container("Phase context status code: CLIENT_ERROR Message: %v", err)
		b.fail(&BuildError{Phase: UploadArtifacts, ExitCode: -1, Err: err})
	} else {
		b.res.Files = files
		b.log.container("Expanding %d artifact files in %s", len(files), displayBase(a.BaseDirectory))
		b.log.container("Phase complete: %s State: SUCCEEDED", UploadArtifacts)
	}
	b.res.Phases = append(b.res.Phases, pr)
}

// sameBaseNames refuses a flattened artifact in which two files would get
// the same name: one would silently replace the other in the deployment.
func sameBaseNames(files []string) error {
	seen := make(map[string]string, len(files))
	for _, f := range files {
		b := path.Base(f)
		if other, ok := seen[b]; ok {
			return fmt.Errorf("artifacts.discard-paths: %s and %s would both be %s; narrow artifacts.files or keep the paths", other, f, b)
		}
		seen[b] = f
	}
	return nil
}

func displayBase(dir string) string {
	if dir == "" {
		return "the source directory"
	}
	return dir
}

// Select returns the regular files under base whose slash-separated path
// relative to base matches one of patterns and none of exclude, sorted. A
// pattern is path.Match syntax per path segment, where a "**" segment matches
// any number of directories ("**/*" is every file); a pattern that matches a
// directory selects every file below it. Symbolic links are not followed
// and not selected, so an artifact never reads outside the build's files.
func Select(base string, patterns, exclude []string) ([]string, error) {
	fi, err := os.Lstat(base)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("artifacts.base-directory %s does not exist after the build", base)
	}
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("artifacts.base-directory %s is not a directory", base)
	}
	var files []string
	err = filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(base, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if selects(patterns, rel) && !selects(exclude, rel) {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("artifacts: %w", err)
	}
	sort.Strings(files)
	return files, nil
}

// selects reports whether file, or a directory above it, matches a pattern.
func selects(patterns []string, file string) bool {
	for _, pat := range patterns {
		for p := file; p != "." && p != ""; p = path.Dir(p) {
			if Match(pat, p) {
				return true
			}
		}
	}
	return false
}

// Match reports whether the slash-separated name matches pattern, where each
// segment is matched with path.Match and a "**" segment matches zero or more
// segments. It runs in time proportional to the product of the segment
// counts, whatever the pattern.
func Match(pattern, name string) bool {
	ps := strings.Split(pattern, "/")
	ns := strings.Split(name, "/")
	// ok[j]: ps[:i] matches ns[:j], for the current i.
	ok := make([]bool, len(ns)+1)
	ok[0] = true
	for _, seg := range ps {
		next := make([]bool, len(ns)+1)
		if seg == "**" {
			any := false
			for j := 0; j <= len(ns); j++ {
				any = any || ok[j]
				next[j] = any
			}
		} else {
			for j := 1; j <= len(ns); j++ {
				if ok[j-1] {
					m, err := path.Match(seg, ns[j-1])
					next[j] = m && err == nil
				}
			}
		}
		ok = next
	}
	return ok[len(ns)]
}
