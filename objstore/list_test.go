package objstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// modelList is the specification of List over an in-memory sorted key set:
// items are keys and common prefixes in byte order, each returned once, and
// only those after StartAfter.
func modelList(keys []string, o ListOptions) (objs, prefixes []string, truncated bool) {
	limit := o.MaxKeys
	if limit == 0 {
		limit = 1000
	}
	n := 0
	for _, k := range keys {
		if !strings.HasPrefix(k, o.Prefix) {
			continue
		}
		item, isPrefix := k, false
		if o.Delimiter != "" {
			if i := strings.Index(k[len(o.Prefix):], o.Delimiter); i >= 0 {
				item, isPrefix = k[:len(o.Prefix)+i+len(o.Delimiter)], true
			}
		}
		if item <= o.StartAfter || isPrefix && len(prefixes) > 0 && prefixes[len(prefixes)-1] == item {
			continue
		}
		if n == limit {
			return objs, prefixes, true
		}
		n++
		if isPrefix {
			prefixes = append(prefixes, item)
		} else {
			objs = append(objs, k)
		}
	}
	return objs, prefixes, false
}

// TestListOrderIsBytewiseNotDirectoryOrder pins the case a directory walk
// gets wrong: '-' (0x2D) and '.' (0x2E) sort before '/' (0x2F).
func TestListOrderIsBytewiseNotDirectoryOrder(t *testing.T) {
	s := newStore(t, Options{})
	newBucket(t, s, "b1b")
	for _, k := range []string{"a/b", "a-c", "a.d", "a0", "a/", "a/a/z", "a/a-", "b", "A"} {
		put(t, s, "b1b", k, k)
	}
	res, err := s.List(context.Background(), "b1b", ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"A", "a-c", "a.d", "a/", "a/a-", "a/a/z", "a/b", "a0", "b"}
	if got := keysOf(res); !slices.Equal(got, want) {
		t.Fatalf("List = %q\nwant   %q", got, want)
	}
	res, err = s.List(context.Background(), "b1b", ListOptions{Delimiter: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf(res); !slices.Equal(got, []string{"A", "a-c", "a.d", "a0", "b"}) || !slices.Equal(res.CommonPrefixes, []string{"a/"}) {
		t.Fatalf("List / = %q %q", got, res.CommonPrefixes)
	}
}

func TestListMatchesModel(t *testing.T) {
	s := newStore(t, Options{})
	s.noOpenat2.Store(true) // the symlink tests cover openat2; cover the walk here
	ctx := context.Background()
	newBucket(t, s, "b1b")
	rng := rand.New(rand.NewPCG(1, 2))
	segs := []string{"a", "b", "a-c", "a.b", "ab", "-", "b0", "~", "é"}
	var keys []string
	for len(keys) < 200 {
		depth := 1 + rng.IntN(3)
		parts := make([]string, depth)
		for i := range parts {
			parts[i] = segs[rng.IntN(len(segs))]
		}
		k := strings.Join(parts, "/")
		if rng.IntN(8) == 0 {
			k += "/"
		}
		_, err := s.Put(ctx, "b1b", k, strings.NewReader(k), PutOptions{})
		switch {
		case errors.Is(err, ErrKeyConflict):
			continue // "a" and "a/b" cannot both exist
		case err != nil:
			t.Fatal(err)
		}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)

	randomString := func() string {
		if rng.IntN(2) == 0 {
			k := keys[rng.IntN(len(keys))]
			return k[:rng.IntN(len(k)+1)]
		}
		var b strings.Builder
		for range rng.IntN(5) {
			b.WriteString([]string{"a", "/", "-", "b", ".", "c", "//", ".."}[rng.IntN(8)])
		}
		return b.String()
	}
	delims := []string{"", "/", "-", "a", "/b", "é"}
	for i := 0; i < 200; i++ {
		o := ListOptions{Prefix: randomString(), Delimiter: delims[rng.IntN(len(delims))], MaxKeys: 1 + rng.IntN(7)}
		if rng.IntN(2) == 0 {
			o.StartAfter = randomString()
		}
		name := fmt.Sprintf("%+v", o)
		// One page.
		res, err := s.List(ctx, "b1b", o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		wantObjs, wantPrefixes, wantTrunc := modelList(keys, o)
		if got := keysOf(res); !slices.Equal(got, wantObjs) || !slices.Equal(res.CommonPrefixes, wantPrefixes) || res.IsTruncated != wantTrunc {
			t.Fatalf("%s:\n got %q %q %v\nwant %q %q %v", name, got, res.CommonPrefixes, res.IsTruncated, wantObjs, wantPrefixes, wantTrunc)
		}
		// All pages, following NextStartAfter, add up to one unbounded page.
		all := o
		all.MaxKeys = 100000
		wantObjs, wantPrefixes, _ = modelList(keys, all)
		var gotObjs, gotPrefixes []string
		for page := 0; ; page++ {
			if page > len(keys)+1 {
				t.Fatalf("%s: pagination does not end", name)
			}
			for _, obj := range res.Objects {
				if obj.ETag != md5hex(obj.Key) || obj.Size != int64(len(obj.Key)) {
					t.Fatalf("%s: %s listed with ETag %s size %d", name, obj.Key, obj.ETag, obj.Size)
				}
			}
			gotObjs = append(gotObjs, keysOf(res)...)
			gotPrefixes = append(gotPrefixes, res.CommonPrefixes...)
			if !res.IsTruncated {
				break
			}
			next := o
			next.StartAfter = res.NextStartAfter
			if res, err = s.List(ctx, "b1b", next); err != nil {
				t.Fatal(err)
			}
		}
		if !slices.Equal(gotObjs, wantObjs) || !slices.Equal(gotPrefixes, wantPrefixes) {
			t.Fatalf("%s: paged\n got %q %q\nwant %q %q", name, gotObjs, gotPrefixes, wantObjs, wantPrefixes)
		}
	}
}

func TestListErrors(t *testing.T) {
	s := newStore(t, Options{})
	ctx := context.Background()
	if _, err := s.List(ctx, "nope", ListOptions{}); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("missing bucket: %v", err)
	}
	newBucket(t, s, "b1b")
	if _, err := s.List(ctx, "b1b", ListOptions{MaxKeys: -1}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("negative MaxKeys: %v", err)
	}
	res, err := s.List(ctx, "b1b", ListOptions{Prefix: "../../etc/"})
	if err != nil || len(res.Objects) != 0 {
		t.Fatalf("traversal prefix: %+v %v", res, err)
	}
}

// TestListSkipsEmptyDirectories checks that directories holding no object
// (left by a crash or made by hand) yield no keys and no common prefixes.
func TestListSkipsEmptyDirectories(t *testing.T) {
	s := newStore(t, Options{})
	ctx := context.Background()
	newBucket(t, s, "b1b")
	put(t, s, "b1b", "x/y/z", "1")
	put(t, s, "b1b", "x/w", "2")
	if err := s.Delete(ctx, "b1b", "x/y/z"); err != nil {
		t.Fatal(err)
	}
	// An empty directory made behind the store's back.
	mkdirAll(t, s.Root()+"/b1b/empty/deeper")
	res, err := s.List(ctx, "b1b", ListOptions{Delimiter: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 0 || !slices.Equal(res.CommonPrefixes, []string{"x/"}) {
		t.Fatalf("List = %q %q", keysOf(res), res.CommonPrefixes)
	}
	if err := s.Delete(ctx, "b1b", "x/w"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(ctx, "b1b"); err != nil {
		t.Fatalf("bucket with only empty directories is empty: %v", err)
	}
}

// TestListLargeDirectoryUsesFreshListing pages through a directory large
// enough for its sorted listing to be cached, then changes it through the
// store and behind its back, and checks that every listing shows the change.
func TestListLargeDirectoryUsesFreshListing(t *testing.T) {
	s := newStore(t, Options{})
	s.dirs.min = 100 // the real threshold would make the test slow, not stronger
	ctx := context.Background()
	newBucket(t, s, "b1b")
	var keys []string
	for i := range 150 {
		k := fmt.Sprintf("big/k%04d", i)
		if i%50 == 0 {
			k += "-dir/x" // subdirectories among the files
		}
		put(t, s, "b1b", k, k)
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dir := filepath.Join(s.Root(), "b1b", "big")
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(dir, old, old); err != nil {
		t.Fatal(err)
	}
	listAll := func(o ListOptions) []string {
		t.Helper()
		o.MaxKeys = min(o.MaxKeys, 20)
		if o.MaxKeys == 0 {
			o.MaxKeys = 20
		}
		t.Helper()
		var got []string
		for {
			res, err := s.List(ctx, "b1b", o)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, keysOf(res)...)
			got = append(got, res.CommonPrefixes...)
			if !res.IsTruncated {
				return got
			}
			o.StartAfter = res.NextStartAfter
		}
	}
	if got := listAll(ListOptions{Prefix: "big/", MaxKeys: 15}); !slices.Equal(got, keys) {
		t.Fatalf("listing differs from keys: %d vs %d", len(got), len(keys))
	}
	s.dirs.mu.Lock()
	_, cached := s.dirs.dirs["b1b/big/"]
	s.dirs.mu.Unlock()
	if !cached {
		t.Fatal("the large directory's listing was not cached")
	}

	put(t, s, "b1b", "big/k0100a", "new")
	if got := listAll(ListOptions{Prefix: "big/k01", MaxKeys: 7}); !slices.Contains(got, "big/k0100a") {
		t.Fatalf("a key put through the store is missing: %v", got)
	}
	if err := os.Chtimes(dir, old, old); err != nil {
		t.Fatal(err)
	}
	listAll(ListOptions{Prefix: "big/"}) // cache again
	if err := os.WriteFile(filepath.Join(dir, "k0140b"), []byte("by hand"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := listAll(ListOptions{Prefix: "big/", StartAfter: "big/k0140"}); !slices.Contains(got, "big/k0140b") {
		t.Fatalf("a file added by hand is missing")
	}
	if !slices.Contains(listAll(ListOptions{Prefix: "big/"}), "big/k0120") {
		t.Fatal("big/k0120 should be listed before it is deleted")
	}
	if err := s.Delete(ctx, "b1b", "big/k0120"); err != nil {
		t.Fatal(err)
	}
	if got := listAll(ListOptions{Prefix: "big/"}); slices.Contains(got, "big/k0120") {
		t.Fatal("a deleted key is still listed")
	}
}

func TestObjectsIteratesAllPages(t *testing.T) {
	s := newStore(t, Options{})
	s.objectsPage = 7
	newBucket(t, s, "b1b")
	var want []string
	for i := range 60 {
		k := fmt.Sprintf("v/%d/f%d", i%3, i)
		put(t, s, "b1b", k, "x")
		want = append(want, k)
	}
	put(t, s, "b1b", "other", "x")
	slices.Sort(want)
	var got []string
	for o, err := range s.Objects(context.Background(), "b1b", "v/") {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, o.Key)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Objects yielded %d keys, want %d", len(got), len(want))
	}
	for _, err := range s.Objects(context.Background(), "nope", "") {
		if !errors.Is(err, ErrNoSuchBucket) {
			t.Fatalf("missing bucket: %v", err)
		}
	}
}

func TestCommonPrefixRollsUpAtTheFirstDelimiterAfterPrefix(t *testing.T) {
	tests := []struct {
		key, prefix, delimiter, want string
	}{
		{"photos/2024/a.jpg", "", "/", "photos/"},
		{"photos/2024/a.jpg", "photos/", "/", "photos/2024/"},
		{"photos/a.jpg", "photos/", "/", ""},
		{"photos/a.jpg", "", "", ""},
		{"a--b--c", "a", "--", "a--"},
		{"x/", "x/", "/", ""},
	}
	for _, tt := range tests {
		if got := commonPrefix(tt.key, tt.prefix, tt.delimiter); got != tt.want {
			t.Errorf("commonPrefix(%q, %q, %q) = %q, want %q", tt.key, tt.prefix, tt.delimiter, got, tt.want)
		}
	}
}
