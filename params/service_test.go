package params

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/edgecd/edgecd/store"
)

func TestSecureStringIsEncryptedAtRest(t *testing.T) {
	st := openStore(t)
	s := NewService(st, Config{})
	ctx := context.Background()
	mustPut(t, s, PutInput{Name: "/app/token", Value: "hunter2-secret", Type: SecureString})
	mustPut(t, s, PutInput{Name: "/app/other", Value: "hunter3-secret", Type: SecureString, KeyID: "alias/release"})

	for _, kind := range []string{kindHead, kindVersion} {
		recs, err := st.List(ctx, kind, storeQuery())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if bytes.Contains(r.Body, []byte("hunter")) {
				t.Fatalf("record %s/%s holds the plaintext: %s", kind, r.ID, r.Body)
			}
		}
	}
	p, err := s.Get(ctx, "/app/token", false)
	if err != nil || p.Value == "hunter2-secret" || p.Value == "" || p.KeyID != DefaultKeyID {
		t.Fatalf("undecrypted get = %+v, %v; want ciphertext and key %s", p, err, DefaultKeyID)
	}
	// A second service on the same store (another node) shares the key.
	p, err = NewService(st, Config{}).Get(ctx, "/app/other", true)
	if err != nil || p.Value != "hunter3-secret" || p.KeyID != "alias/release" {
		t.Fatalf("decrypted get from another service = %+v, %v", p, err)
	}
}

func TestSealedValueDoesNotOpenUnderAnotherName(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	sealed, err := s.seal.seal(ctx, "a", DefaultKeyID, "v")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.seal.open(ctx, "b", DefaultKeyID, sealed); err == nil {
		t.Fatal("a value sealed for parameter a opened as parameter b")
	}
	if got, err := s.seal.open(ctx, "a", DefaultKeyID, sealed); err != nil || got != "v" {
		t.Fatalf("open = %q, %v", got, err)
	}
}

func TestGetSelectors(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	for _, v := range []string{"1.0.0", "2.0.0", "3.0.0"} {
		mustPut(t, s, PutInput{Name: "/svc/version/frontend", Value: v, Type: String, Overwrite: v != "1.0.0"})
	}
	if _, _, err := s.Label(ctx, "/svc/version/frontend", 2, []string{"prod"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref      string
		value    string
		version  int64
		selector string
		want     error
	}{
		{"/svc/version/frontend", "3.0.0", 3, "", nil},
		{"/svc/version/frontend:1", "1.0.0", 1, ":1", nil},
		{"/svc/version/frontend:prod", "2.0.0", 2, ":prod", nil},
		{"/svc/version/frontend:4", "", 0, "", ErrVersionNotFound},
		{"/svc/version/frontend:staging", "", 0, "", ErrVersionNotFound},
		{"/svc/version/backend", "", 0, "", ErrNotFound},
		{"/svc/version/frontend:", "", 0, "", ErrInvalid},
		{"svc/version/frontend", "", 0, "", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			p, err := s.Get(ctx, tt.ref, false)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("Get(%q) = %+v, %v; want %v", tt.ref, p, err, tt.want)
				}
				return
			}
			if err != nil || p.Value != tt.value || p.Version != tt.version || p.Selector != tt.selector || p.Name != "/svc/version/frontend" {
				t.Fatalf("Get(%q) = %+v, %v; want value %s version %d selector %q", tt.ref, p, err, tt.value, tt.version, tt.selector)
			}
		})
	}
}

func TestGetManyListsMissingAsInvalid(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	mustPut(t, s, PutInput{Name: "/a", Value: "1", Type: String})
	mustPut(t, s, PutInput{Name: "/b", Value: "2", Type: String})
	found, invalid, err := s.GetMany(ctx, []string{"/a", "/missing", "/b:1", "/b:7", "/a", "/b:nolabel"}, false)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range found {
		names = append(names, p.Name+p.Selector)
	}
	if !slices.Equal(names, []string{"/a", "/b:1"}) || !slices.Equal(invalid, []string{"/missing", "/b:7", "/b:nolabel"}) {
		t.Fatalf("found %v invalid %v", names, invalid)
	}
	if _, _, err := s.GetMany(ctx, []string{"/a", "bad name"}, false); !errors.Is(err, ErrInvalid) {
		t.Fatalf("ill-formed name: %v, want ErrInvalid", err)
	}
	if _, _, err := s.GetMany(ctx, make([]string, 11), false); !errors.Is(err, ErrInvalid) {
		t.Fatalf("11 names: %v, want ErrInvalid", err)
	}
}

func TestLabels(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	for i := range 3 {
		mustPut(t, s, PutInput{Name: "/p", Value: "v", Type: String, Overwrite: i > 0})
	}
	v, invalid, err := s.Label(ctx, "/p", 1, []string{"prod", "1bad", "awsx", "blue"})
	if err != nil || v != 1 || !slices.Equal(invalid, []string{"1bad", "awsx"}) {
		t.Fatalf("Label = %d, %v, %v", v, invalid, err)
	}
	// Without a version the label goes on the latest, moving from version 1.
	if v, _, err = s.Label(ctx, "/p", 0, []string{"prod"}); err != nil || v != 3 {
		t.Fatalf("Label latest = %d, %v", v, err)
	}
	h, err := s.History(ctx, HistoryQuery{Name: "/p"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64][]string{}
	for _, p := range h.Parameters {
		got[p.Version] = p.Labels
	}
	if !slices.Equal(got[1], []string{"blue"}) || got[2] != nil || !slices.Equal(got[3], []string{"prod"}) {
		t.Fatalf("labels by version %v", got)
	}
	if _, _, err := s.Label(ctx, "/p", 9, []string{"x"}); !errors.Is(err, ErrVersionNotFound) {
		t.Fatalf("label version 9: %v", err)
	}
	if _, _, err := s.Label(ctx, "/nope", 1, []string{"x"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("label missing parameter: %v", err)
	}
	ten := []string{"l0", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "l8", "l9"}
	if _, _, err := s.Label(ctx, "/p", 2, ten); err != nil {
		t.Fatalf("ten labels: %v", err)
	}
	if _, _, err := s.Label(ctx, "/p", 2, []string{"eleventh"}); !errors.Is(err, ErrLabelLimit) {
		t.Fatalf("eleventh label: %v, want ErrLabelLimit", err)
	}
	removed, invalid, err := s.Unlabel(ctx, "/p", 2, []string{"l0", "prod", "ghost"})
	if err != nil || !slices.Equal(removed, []string{"l0"}) || !slices.Equal(invalid, []string{"prod", "ghost"}) {
		t.Fatalf("Unlabel = %v, %v, %v", removed, invalid, err)
	}
	if _, err := s.Get(ctx, "/p:l0", false); !errors.Is(err, ErrVersionNotFound) {
		t.Fatalf("removed label still resolves: %v", err)
	}
}

func TestDeleteAndRecreateStartsAtVersionOne(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	mustPut(t, s, PutInput{Name: "/d", Value: "a", Type: String})
	mustPut(t, s, PutInput{Name: "/d", Value: "b", Type: String, Overwrite: true})
	if err := s.Delete(ctx, "/d"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "/d"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	if _, err := s.Get(ctx, "/d", false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	if res := mustPut(t, s, PutInput{Name: "/d", Value: "c", Type: String}); res.Version != 1 {
		t.Fatalf("recreated at version %d, want 1", res.Version)
	}
	h, err := s.History(ctx, HistoryQuery{Name: "/d"})
	if err != nil || len(h.Parameters) != 1 || h.Parameters[0].Value != "c" {
		t.Fatalf("history after recreate = %+v, %v", h.Parameters, err)
	}
	deleted, invalid, err := s.DeleteMany(ctx, []string{"/d", "/never", "bad name"})
	if err != nil || !slices.Equal(deleted, []string{"/d"}) || !slices.Equal(invalid, []string{"/never", "bad name"}) {
		t.Fatalf("DeleteMany = %v, %v, %v", deleted, invalid, err)
	}
}

func storeQuery() store.Query { return store.Query{} }

func TestConcurrentOverwritesGetDistinctVersions(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	mustPut(t, s, PutInput{Name: "/c", Value: "0", Type: String})
	const writers = 8
	versions := make(chan int64, writers)
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			res, err := s.Put(ctx, PutInput{Name: "/c", Value: string(rune('a' + i)), Overwrite: true})
			versions <- res.Version
			errs <- err
		}()
	}
	seen := map[int64]bool{}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		v := <-versions
		if seen[v] {
			t.Fatalf("version %d written twice", v)
		}
		seen[v] = true
	}
	h, err := s.History(ctx, HistoryQuery{Name: "/c"})
	if err != nil || len(h.Parameters) != writers+1 {
		t.Fatalf("history has %d versions, %v; want %d", len(h.Parameters), err, writers+1)
	}
}
