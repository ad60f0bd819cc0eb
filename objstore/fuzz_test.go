package objstore

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzKeyPath checks that no accepted key maps to a path outside its bucket,
// and that the mapping is one-to-one (the key can be read back from the path).
func FuzzKeyPath(f *testing.F) {
	for _, k := range []string{"a", "a/b/", "../x", "a/../../b", "/abs", "a//b", ".", "a/./b", "x\x00y", ".edgecd-folder", "ü/ß/"} {
		f.Add(k)
	}
	const bucketDir = "/srv/edgecd/bucket"
	f.Fuzz(func(t *testing.T, key string) {
		kp, err := parseKey(key)
		if err != nil {
			return
		}
		full := filepath.Join(bucketDir, kp.rel())
		if !strings.HasPrefix(full, bucketDir+"/") || full != bucketDir+"/"+kp.rel() {
			t.Fatalf("key %q maps to %q, outside or not canonical", key, full)
		}
		for _, seg := range append(slices.Clone(kp.dirs), kp.base) {
			if seg == "" || seg == "." || seg == ".." || strings.ContainsAny(seg, "/\x00") {
				t.Fatalf("key %q has unsafe segment %q", key, seg)
			}
		}
		back := strings.Join(kp.dirs, "/")
		if kp.base == folderName {
			back += "/"
		} else if back != "" {
			back += "/" + kp.base
		} else {
			back = kp.base
		}
		if back != key {
			t.Fatalf("key %q maps to %q which reads back as %q", key, kp.rel(), back)
		}
	})
}

// FuzzList compares List against the in-memory model for fuzzed options.
func FuzzList(f *testing.F) {
	f.Add("", "", "", 0)
	f.Add("a/", "/", "", 2)
	f.Add("a", "-", "a-c", 1)
	f.Add("../", "/", "a/", 3)
	f.Add("a/b", "b", "a/", 1000)
	s := newStore(f, Options{})
	ctx := context.Background()
	newBucket(f, s, "b1b")
	keys := []string{"a", "a-c", "a.d", "ab/", "ab/c", "b/a/b", "b/a-c/d", "b/b", "c/", "c/d/e/f", "é/x"}
	slices.Sort(keys) // the model expects byte order
	for _, k := range keys {
		put(f, s, "b1b", k, k)
	}
	f.Fuzz(func(t *testing.T, prefix, delim, after string, max int) {
		if max < 0 || max > 2000 {
			return
		}
		o := ListOptions{Prefix: prefix, Delimiter: delim, StartAfter: after, MaxKeys: max}
		res, err := s.List(ctx, "b1b", o)
		if err != nil {
			t.Fatal(err)
		}
		objs, prefixes, trunc := modelList(keys, o)
		if got := keysOf(res); !slices.Equal(got, objs) || !slices.Equal(res.CommonPrefixes, prefixes) || res.IsTruncated != trunc {
			t.Fatalf("%+v: got %q %q %v, want %q %q %v", o, got, res.CommonPrefixes, res.IsTruncated, objs, prefixes, trunc)
		}
	})
}

// FuzzValidatePolicy checks that the policy validator never panics and
// accepts only JSON objects.
func FuzzValidatePolicy(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}`)
	f.Add(`{"Statement":{"Effect":"Deny"}}`)
	f.Add(`{"Statement":[]}`)
	f.Add(`[1,2]`)
	f.Fuzz(func(t *testing.T, policy string) {
		if ValidatePolicy([]byte(policy)) != nil {
			return
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(policy), &v); err != nil {
			t.Fatalf("accepted non-object %q: %v", policy, err)
		}
	})
}

// FuzzPutStaysInBucket writes, reads and deletes fuzzed keys through the
// store and checks that nothing appears outside the bucket's own trees.
func FuzzPutStaysInBucket(f *testing.F) {
	for _, k := range []string{"a", "a/b/", "../other/x", "a/../../other/y", "/abs", "..", "x/./y", ".edgecd-folder", "dir/.edgecd-folder"} {
		f.Add(k)
	}
	s := newStore(f, Options{})
	ctx := context.Background()
	newBucket(f, s, "b1b")
	newBucket(f, s, "other")
	allowed := map[string]bool{"b1b": true, "other": true, metaDir: true, bucketsDir: true, uploadsDir: true, tmpDir: true}
	f.Fuzz(func(t *testing.T, key string) {
		_, perr := parseKey(key)
		_, err := s.Put(ctx, "b1b", key, strings.NewReader("fuzz"), PutOptions{})
		if perr != nil && err == nil {
			t.Fatalf("Put accepted invalid key %q", key)
		}
		if err == nil {
			f, _, err := s.Open(ctx, "b1b", key)
			if err != nil {
				t.Fatalf("Open %q after Put: %v", key, err)
			}
			f.Close()
			if err := s.Delete(ctx, "b1b", key); err != nil {
				t.Fatalf("Delete %q: %v", key, err)
			}
		}
		entries, _ := os.ReadDir(s.Root())
		for _, e := range entries {
			if !allowed[e.Name()] {
				t.Fatalf("key %q left %q at the store root", key, e.Name())
			}
		}
		if entries, _ := os.ReadDir(filepath.Join(s.Root(), "other")); len(entries) != 0 {
			t.Fatalf("key %q wrote into another bucket", key)
		}
		if entries, _ := os.ReadDir(filepath.Join(s.Root(), "b1b")); len(entries) != 0 {
			t.Fatalf("key %q left %v in the bucket after Delete", key, entries)
		}
	})
}
