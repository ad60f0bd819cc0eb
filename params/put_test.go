package params

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/edgecd/edgecd/store"
	"github.com/edgecd/edgecd/store/sqlite"
)

func openStore(t testing.TB) store.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "edgecd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// fixedClock advances one second per reading, so versions have distinct,
// predictable times.
func fixedClock() func() time.Time {
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	return func() time.Time { now = now.Add(time.Second); return now }
}

func newService(t *testing.T) *Service {
	t.Helper()
	return NewService(openStore(t), Config{Now: fixedClock()})
}

func ptr(s string) *string { return &s }

func mustPut(t *testing.T, s *Service, in PutInput) PutResult {
	t.Helper()
	res, err := s.Put(context.Background(), in)
	if err != nil {
		t.Fatalf("Put(%s): %v", in.Name, err)
	}
	return res
}

func TestPutRules(t *testing.T) {
	big := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name  string
		setup []PutInput // applied first, each must succeed
		in    PutInput
		want  error // nil or the error Kind
		ver   int64
		tier  Tier
	}{
		{name: "create string", in: PutInput{Name: "/app/a", Value: "v", Type: String}, ver: 1, tier: Standard},
		{name: "create without type", in: PutInput{Name: "/app/a", Value: "v"}, want: ErrInvalid},
		{name: "bad type", in: PutInput{Name: "/app/a", Value: "v", Type: "Number"}, want: ErrInvalid},
		{name: "exists without overwrite",
			setup: []PutInput{{Name: "/app/a", Value: "v", Type: String}},
			in:    PutInput{Name: "/app/a", Value: "w", Type: String}, want: ErrAlreadyExists},
		{name: "slash and no slash are one parameter",
			setup: []PutInput{{Name: "flat", Value: "v", Type: String}},
			in:    PutInput{Name: "/flat", Value: "w", Type: String}, want: ErrAlreadyExists},
		{name: "overwrite adds a version",
			setup: []PutInput{{Name: "/app/a", Value: "v", Type: String}},
			in:    PutInput{Name: "/app/a", Value: "w", Type: String, Overwrite: true}, ver: 2, tier: Standard},
		{name: "overwrite keeps the type when none is given",
			setup: []PutInput{{Name: "/app/a", Value: "v", Type: StringList}},
			in:    PutInput{Name: "/app/a", Value: "w,x", Overwrite: true}, ver: 2, tier: Standard},
		{name: "type change in a hierarchy",
			setup: []PutInput{{Name: "/app/a", Value: "v", Type: String}},
			in:    PutInput{Name: "/app/a", Value: "w", Type: SecureString, Overwrite: true}, want: ErrHierarchyTypeMismatch},
		{name: "type change of a flat name",
			setup: []PutInput{{Name: "flat", Value: "v", Type: String}},
			in:    PutInput{Name: "flat", Value: "w", Type: SecureString, Overwrite: true}, ver: 2, tier: Standard},
		{name: "tags with overwrite", in: PutInput{Name: "/app/a", Value: "v", Type: String, Overwrite: true, Tags: []Tag{{"k", "v"}}}, want: ErrInvalid},
		{name: "reserved prefix", in: PutInput{Name: "/ssm/x", Value: "v", Type: String}, want: ErrInvalid},
		{name: "sixteen levels", in: PutInput{Name: strings.Repeat("/l", 15) + "/x", Value: "v", Type: String}, want: ErrHierarchyTooDeep},
		{name: "empty value", in: PutInput{Name: "/app/a", Value: "", Type: String}, want: ErrInvalid},
		{name: "standard at 4 KiB", in: PutInput{Name: "/app/a", Value: big(4096), Type: String}, ver: 1, tier: Standard},
		{name: "standard over 4 KiB", in: PutInput{Name: "/app/a", Value: big(4097), Type: String}, want: ErrInvalid},
		{name: "advanced at 8 KiB", in: PutInput{Name: "/app/a", Value: big(8192), Type: String, Tier: Advanced}, ver: 1, tier: Advanced},
		{name: "advanced over 8 KiB", in: PutInput{Name: "/app/a", Value: big(8193), Type: String, Tier: Advanced}, want: ErrInvalid},
		{name: "intelligent tiering picks advanced for a big value", in: PutInput{Name: "/app/a", Value: big(5000), Type: String, Tier: IntelligentTiering}, ver: 1, tier: Advanced},
		{name: "intelligent tiering picks standard for a small value", in: PutInput{Name: "/app/a", Value: "v", Type: String, Tier: IntelligentTiering}, ver: 1, tier: Standard},
		{name: "advanced stays advanced",
			setup: []PutInput{{Name: "/app/a", Value: "v", Type: String, Tier: Advanced}},
			in:    PutInput{Name: "/app/a", Value: "w", Overwrite: true}, ver: 2, tier: Advanced},
		{name: "advanced cannot go back to standard",
			setup: []PutInput{{Name: "/app/a", Value: "v", Type: String, Tier: Advanced}},
			in:    PutInput{Name: "/app/a", Value: "w", Overwrite: true, Tier: Standard}, want: ErrInvalid},
		{name: "allowed pattern matches", in: PutInput{Name: "/app/n", Value: "123", Type: String, AllowedPattern: ptr(`^\d+$`)}, ver: 1, tier: Standard},
		{name: "allowed pattern mismatch", in: PutInput{Name: "/app/n", Value: "12a", Type: String, AllowedPattern: ptr(`^\d+$`)}, want: ErrPatternMismatch},
		{name: "allowed pattern matches the whole value", in: PutInput{Name: "/app/n", Value: "a1", Type: String, AllowedPattern: ptr(`\d+`)}, want: ErrPatternMismatch},
		{name: "allowed pattern is kept on overwrite",
			setup: []PutInput{{Name: "/app/n", Value: "1", Type: String, AllowedPattern: ptr(`^\d+$`)}},
			in:    PutInput{Name: "/app/n", Value: "x", Overwrite: true}, want: ErrPatternMismatch},
		{name: "invalid allowed pattern", in: PutInput{Name: "/app/n", Value: "1", Type: String, AllowedPattern: ptr(`(`)}, want: ErrInvalidAllowedPattern},
		{name: "key id on a String", in: PutInput{Name: "/app/a", Value: "v", Type: String, KeyID: "alias/mine"}, want: ErrInvalid},
		{name: "malformed key id", in: PutInput{Name: "/app/s", Value: "v", Type: SecureString, KeyID: "not a key"}, want: ErrInvalidKeyID},
		{name: "custom key alias", in: PutInput{Name: "/app/s", Value: "v", Type: SecureString, KeyID: "alias/release"}, ver: 1, tier: Standard},
		{name: "key ARN", in: PutInput{Name: "/app/s", Value: "v", Type: SecureString, KeyID: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}, ver: 1, tier: Standard},
		{name: "nested parameter reference", in: PutInput{Name: "/app/a", Value: "{{ssm:/other}}", Type: String}, want: ErrInvalid},
		{name: "AMI data type", in: PutInput{Name: "/app/ami", Value: "ami-0123456789abcdef0", Type: String, DataType: "aws:ec2:image"}, ver: 1, tier: Standard},
		{name: "bad AMI id", in: PutInput{Name: "/app/ami", Value: "centos", Type: String, DataType: "aws:ec2:image"}, want: ErrInvalid},
		{name: "unknown data type", in: PutInput{Name: "/app/a", Value: "v", Type: String, DataType: "Text"}, want: ErrInvalid},
		{name: "policies need advanced", in: PutInput{Name: "/app/a", Value: "v", Type: String, Policies: `[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-01T00:00:00Z"}}]`}, want: ErrInvalid},
		{name: "policies on advanced", in: PutInput{Name: "/app/a", Value: "v", Type: String, Tier: Advanced, Policies: `[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-01T00:00:00Z"}}]`}, ver: 1, tier: Advanced},
		{name: "description too long", in: PutInput{Name: "/app/a", Value: "v", Type: String, Description: ptr(big(1025))}, want: ErrInvalid},
		{name: "ARN too long", in: PutInput{Name: "/" + big(1000), Value: "v", Type: String, ARNPrefix: "arn:aws:ssm:us-east-1:123456789012:parameter/"}, want: ErrInvalid},
		{name: "spaces around the name are dropped", in: PutInput{Name: "  /app/a ", Value: "v", Type: String}, ver: 1, tier: Standard},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			for _, in := range tt.setup {
				mustPut(t, s, in)
			}
			res, err := s.Put(context.Background(), tt.in)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("Put = %+v, %v; want %v", res, err, tt.want)
				}
				var e *Error
				if !errors.As(err, &e) || e.Msg == "" {
					t.Fatalf("error %v is not an *Error with a message", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if res.Version != tt.ver || res.Tier != tt.tier {
				t.Fatalf("Put = %+v, want version %d tier %s", res, tt.ver, tt.tier)
			}
		})
	}
}

func TestOverwriteKeepsWhatIsNotGiven(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	mustPut(t, s, PutInput{Name: "/app/s", Value: "one", Type: SecureString, KeyID: "alias/release", Description: ptr("the secret"), User: "arn:aws:iam::123456789012:user/a"})
	mustPut(t, s, PutInput{Name: "/app/s", Value: "two", Overwrite: true, User: "arn:aws:iam::123456789012:user/b"})
	p, err := s.Get(ctx, "/app/s", true)
	if err != nil {
		t.Fatal(err)
	}
	want := Parameter{Name: "/app/s", Type: SecureString, Value: "two", Version: 2, KeyID: "alias/release",
		Description: "the secret", DataType: "text", Tier: Standard, User: "arn:aws:iam::123456789012:user/b"}
	p.Modified = time.Time{}
	if !equalParam(p, want) {
		t.Fatalf("after overwrite got %+v, want %+v", p, want)
	}
	mustPut(t, s, PutInput{Name: "/app/s", Value: "three", Overwrite: true, Description: ptr("")})
	if p, _ = s.Get(ctx, "/app/s", false); p.Description != "" {
		t.Fatalf("an explicit empty description should clear it, got %q", p.Description)
	}
}

func equalParam(a, b Parameter) bool {
	return a.Name == b.Name && a.Type == b.Type && a.Value == b.Value && a.Version == b.Version &&
		a.KeyID == b.KeyID && a.Description == b.Description && a.DataType == b.DataType &&
		a.Tier == b.Tier && a.User == b.User && a.Selector == b.Selector && a.Modified.Equal(b.Modified)
}

func TestOldestVersionIsDroppedAfterMaxVersions(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 101 versions")
	}
	s := newService(t)
	ctx := context.Background()
	for i := range MaxVersions {
		mustPut(t, s, PutInput{Name: "/app/v", Value: "v", Type: String, Overwrite: i > 0})
	}
	if _, _, err := s.Label(ctx, "/app/v", 1, []string{"first"}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Put(ctx, PutInput{Name: "/app/v", Value: "v", Overwrite: true})
	if !errors.Is(err, ErrMaxVersions) {
		t.Fatalf("101st version with a labelled oldest: %v, want ErrMaxVersions", err)
	}
	if _, _, err := s.Label(ctx, "/app/v", 2, []string{"first"}); err != nil {
		t.Fatal(err)
	}
	if res := mustPut(t, s, PutInput{Name: "/app/v", Value: "v", Overwrite: true}); res.Version != 101 {
		t.Fatalf("version %d, want 101", res.Version)
	}
	if _, err := s.Get(ctx, "/app/v:1", false); !errors.Is(err, ErrVersionNotFound) {
		t.Fatalf("version 1 after 101 versions: %v, want ErrVersionNotFound", err)
	}
	h, err := s.History(ctx, HistoryQuery{Name: "/app/v", MaxResults: 50})
	if err != nil || h.Parameters[0].Version != 2 {
		t.Fatalf("history starts at %+v, %v; want version 2", h.Parameters[0].Version, err)
	}
}
