package objstore

import (
	"errors"
	"os"
	"slices"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// walker yields the keys of a bucket in S3 order, depth first over a stack
// of directory listings. Each listing is sorted by the key its entries stand
// for relative to the directory: a file "x" as "x", a directory "x" as "x/"
// and the folder marker as "" (the directory's own key). These sort keys
// keep every directory's keys contiguous and in place among its siblings,
// so the walk yields byte order although '-' and '.' sort before '/'.
type walker struct {
	s      *Store
	bucket string
	bfd    int
	prefix string
	after  string
	stack  []frame
}

// frame is the unvisited part [i, end) of one directory's sorted listing.
type frame struct {
	prefix string   // the key prefix of this directory: "" or "a/b/"
	rels   []string // shared and immutable (it may come from the cache)
	i, end int
}

// newWalker lists the keys with the given prefix that sort after after. It
// starts in the deepest directory the prefix names, so below the start every
// directory's keys have the prefix; a prefix that cannot be a path (it has
// "..", "//", ...) matches nothing.
func (s *Store) newWalker(bfd int, bucket, prefix, after string) (*walker, error) {
	w := &walker{s: s, bucket: bucket, bfd: -1, prefix: prefix, after: after}
	fd, err := unix.Dup(bfd)
	if err != nil {
		return w, err
	}
	w.bfd = fd
	start := prefix[:strings.LastIndexByte(prefix, '/')+1]
	if start != "" {
		for _, seg := range strings.Split(strings.TrimSuffix(start, "/"), "/") {
			if !validSegment(seg) {
				return w, nil
			}
		}
	}
	return w, w.push(start)
}

func (w *walker) close() {
	if w.bfd >= 0 {
		unix.Close(w.bfd)
		w.bfd = -1
	}
}

// push puts the part of directory dir ("" or "a/b/") that can hold wanted
// keys on the stack. A directory that has vanished or is not a directory
// (a race with a delete, a link) contributes nothing.
func (w *walker) push(dir string) error {
	var segs []string
	if dir != "" {
		segs = strings.Split(strings.TrimSuffix(dir, "/"), "/")
	}
	fd, err := walkDirs(w.bfd, segs)
	if err != nil {
		return nil
	}
	rels, err := w.s.dirs.listing(w.bucket, dir, fd)
	if errors.Is(err, unix.ENOENT) {
		return nil // removed (emptied by a delete) since it was opened
	}
	if err != nil {
		return err
	}
	lo, hi := 0, len(rels)
	if len(w.prefix) > len(dir) {
		// Only in the start directory; rest has no '/'.
		rest := w.prefix[len(dir):]
		lo = sort.SearchStrings(rels, rest)
		hi = lo
		for hi < len(rels) && strings.HasPrefix(rels[hi], rest) {
			hi++
		}
	}
	// Entries wholly at or before after form a leading run (each entry's
	// keys sort wholly before the next entry's).
	start := lo + sort.Search(hi-lo, func(i int) bool {
		return !wholeBefore(rels[lo+i], dir+rels[lo+i], w.after)
	})
	if start < hi {
		w.stack = append(w.stack, frame{prefix: dir, rels: rels, i: start, end: hi})
	}
	return nil
}

// wholeBefore reports whether every key that the entry rel (with full key
// k) stands for sorts at or before after. A directory entry ("x/") stands
// for all keys starting with k: they are all before after when after is
// beyond k without starting with it.
func wholeBefore(rel, k, after string) bool {
	if rel == "" || !strings.HasSuffix(rel, "/") {
		return k <= after
	}
	return after > k && !strings.HasPrefix(after, k)
}

// next returns the next key, or ok=false at the end.
func (w *walker) next() (key string, ok bool, err error) {
	for len(w.stack) > 0 {
		top := &w.stack[len(w.stack)-1]
		if top.i == top.end {
			w.stack = w.stack[:len(w.stack)-1]
			continue
		}
		rel := top.rels[top.i]
		top.i++
		k := top.prefix + rel
		if rel == "" || !strings.HasSuffix(rel, "/") {
			return k, true, nil
		}
		if err := w.push(k); err != nil {
			return "", false, err
		}
	}
	return "", false, nil
}

// skipPrefix drops every remaining key that starts with p. Such keys come
// next in order, so they are the leading entries of the innermost frames.
func (w *walker) skipPrefix(p string) {
	for len(w.stack) > 0 {
		top := &w.stack[len(w.stack)-1]
		if strings.HasPrefix(top.prefix, p) {
			w.stack = w.stack[:len(w.stack)-1]
			continue
		}
		for top.i < top.end && strings.HasPrefix(top.prefix+top.rels[top.i], p) {
			top.i++
		}
		return
	}
}

// readListing reads directory fd (and closes it) into sorted relative keys:
// files by name, directories as "name/", the folder marker as "". Names that
// cannot be key segments and anything but files and directories (links,
// devices) are left out.
func readListing(fd int, dir string) ([]string, error) {
	f := os.NewFile(uintptr(fd), dir)
	entries, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return nil, err
	}
	rels := make([]string, 0, len(entries))
	for _, e := range entries {
		name := e.Name()
		switch t := e.Type(); {
		case t.IsRegular() && name == folderName && dir != "":
			rels = append(rels, "")
		case !validSegment(name):
		case t.IsRegular():
			rels = append(rels, name)
		case t.IsDir():
			rels = append(rels, name+"/")
		}
	}
	slices.Sort(rels)
	return rels, nil
}
