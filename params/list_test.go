package params

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func seedTree(t *testing.T, s *Service) {
	t.Helper()
	for _, in := range []PutInput{
		{Name: "top", Value: "t", Type: String},
		{Name: "/root-level", Value: "r", Type: String},
		{Name: "/svc/version/frontend", Value: "2.0.0", Type: String},
		{Name: "/svc/version/backend", Value: "1.4.0", Type: String},
		{Name: "/svc/cloudfront/cfcd-staging", Value: "E2STAGING", Type: String},
		{Name: "/svc/secret", Value: "s3cret", Type: SecureString, KeyID: "alias/release"},
		{Name: "/svc/list", Value: "a,b,c", Type: StringList, Tags: []Tag{{"team", "web"}}},
		{Name: "/svcx/other", Value: "o", Type: String},
	} {
		mustPut(t, s, in)
	}
}

func names(ps []Parameter) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	return out
}

func TestByPath(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	seedTree(t, s)
	mustPut(t, s, PutInput{Name: "/svc/version/frontend", Value: "2.1.0", Overwrite: true})
	if _, _, err := s.Label(ctx, "/svc/version/frontend", 1, []string{"prod"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		q    PathQuery
		want []string
		err  error
	}{
		{"one level", PathQuery{Path: "/svc"}, []string{"/svc/list", "/svc/secret"}, nil},
		{"trailing slash", PathQuery{Path: "/svc/"}, []string{"/svc/list", "/svc/secret"}, nil},
		{"recursive", PathQuery{Path: "/svc", Recursive: true}, []string{"/svc/cloudfront/cfcd-staging", "/svc/list", "/svc/secret", "/svc/version/backend", "/svc/version/frontend"}, nil},
		{"root one level", PathQuery{Path: "/"}, []string{"/root-level", "top"}, nil},
		{"type filter", PathQuery{Path: "/svc", Recursive: true, Filters: []Filter{{Key: "Type", Values: []string{"SecureString", "StringList"}}}}, []string{"/svc/list", "/svc/secret"}, nil},
		{"key filter", PathQuery{Path: "/svc", Recursive: true, Filters: []Filter{{Key: "KeyId", Values: []string{"alias/release"}}}}, []string{"/svc/secret"}, nil},
		{"label filter", PathQuery{Path: "/svc", Recursive: true, Filters: []Filter{{Key: "Label", Values: []string{"prod"}}}}, []string{"/svc/version/frontend"}, nil},
		{"name filter is not for paths", PathQuery{Path: "/svc", Filters: []Filter{{Key: "Name", Values: []string{"x"}}}}, nil, ErrInvalidFilterKey},
		{"label only equals", PathQuery{Path: "/svc", Filters: []Filter{{Key: "Label", Option: "BeginsWith", Values: []string{"p"}}}}, nil, ErrInvalidFilterOption},
		{"bad type value", PathQuery{Path: "/svc", Filters: []Filter{{Key: "Type", Values: []string{"Number"}}}}, nil, ErrInvalidFilterValue},
		{"path without slash", PathQuery{Path: "svc"}, nil, ErrInvalid},
		{"max results over 10", PathQuery{Path: "/svc", MaxResults: 11}, nil, ErrInvalid},
		{"garbage token", PathQuery{Path: "/svc", NextToken: "!!"}, nil, ErrInvalidNextToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := s.ByPath(ctx, tt.q)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("ByPath = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || !slices.Equal(names(page.Parameters), tt.want) || page.NextToken != "" {
				t.Fatalf("ByPath = %v (next %q), %v; want %v", names(page.Parameters), page.NextToken, err, tt.want)
			}
		})
	}
	page, _ := s.ByPath(ctx, PathQuery{Path: "/svc/version", Filters: []Filter{{Key: "Label", Values: []string{"prod"}}}})
	if len(page.Parameters) != 1 || page.Parameters[0].Value != "2.0.0" || page.Parameters[0].Version != 1 {
		t.Fatalf("a Label filter should return the labelled version, got %+v", page.Parameters)
	}
	page, _ = s.ByPath(ctx, PathQuery{Path: "/svc", Decrypt: true})
	if page.Parameters[1].Value != "s3cret" {
		t.Fatalf("decrypted value %q", page.Parameters[1].Value)
	}
}

func TestByPathPagination(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	seedTree(t, s)
	for _, size := range []int{1, 2, 4, 5, 10} {
		var got []string
		q := PathQuery{Path: "/svc", Recursive: true, MaxResults: size}
		pages := 0
		for {
			page, err := s.ByPath(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			if len(page.Parameters) == 0 {
				t.Fatalf("size %d: empty page %d", size, pages)
			}
			got = append(got, names(page.Parameters)...)
			if page.NextToken == "" {
				break
			}
			q.NextToken = page.NextToken
		}
		want := []string{"/svc/cloudfront/cfcd-staging", "/svc/list", "/svc/secret", "/svc/version/backend", "/svc/version/frontend"}
		if !slices.Equal(got, want) || pages != (len(want)+size-1)/size {
			t.Fatalf("size %d: %d pages %v", size, pages, got)
		}
	}
	page, _ := s.ByPath(ctx, PathQuery{Path: "/svc", Recursive: true, MaxResults: 1})
	if _, err := s.Describe(ctx, DescribeQuery{NextToken: page.NextToken}); !errors.Is(err, ErrInvalidNextToken) {
		t.Fatalf("a GetParametersByPath token replayed on DescribeParameters: %v", err)
	}
}

func TestDescribe(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	seedTree(t, s)
	tests := []struct {
		name string
		q    DescribeQuery
		want []string
		err  error
	}{
		{"all", DescribeQuery{}, []string{"/root-level", "/svc/cloudfront/cfcd-staging", "/svc/list", "/svc/secret", "/svc/version/backend", "/svc/version/frontend", "/svcx/other", "top"}, nil},
		{"legacy name filter begins with", DescribeQuery{Filters: []Filter{{Key: "Name", Values: []string{"/svc/v"}}}}, []string{"/svc/version/backend", "/svc/version/frontend"}, nil},
		{"name equals without slash", DescribeQuery{ParameterFilters: []Filter{{Key: "Name", Values: []string{"svc/list"}}}}, []string{"/svc/list"}, nil},
		{"name contains", DescribeQuery{ParameterFilters: []Filter{{Key: "Name", Option: "Contains", Values: []string{"frontend"}}}}, []string{"/svc/version/frontend"}, nil},
		{"path one level", DescribeQuery{ParameterFilters: []Filter{{Key: "Path", Values: []string{"/svc"}}}}, []string{"/svc/list", "/svc/secret"}, nil},
		{"path recursive and type", DescribeQuery{ParameterFilters: []Filter{{Key: "Path", Option: "Recursive", Values: []string{"/svc"}}, {Key: "Type", Values: []string{"String"}}}}, []string{"/svc/cloudfront/cfcd-staging", "/svc/version/backend", "/svc/version/frontend"}, nil},
		{"tag", DescribeQuery{ParameterFilters: []Filter{{Key: "tag:team", Values: []string{"web"}}}}, []string{"/svc/list"}, nil},
		{"tier", DescribeQuery{ParameterFilters: []Filter{{Key: "Tier", Values: []string{"Advanced"}}}}, nil, nil},
		{"both filter kinds", DescribeQuery{Filters: []Filter{{Key: "Name", Values: []string{"a"}}}, ParameterFilters: []Filter{{Key: "Type", Values: []string{"String"}}}}, nil, ErrInvalid},
		{"label not for describe", DescribeQuery{ParameterFilters: []Filter{{Key: "Label", Values: []string{"x"}}}}, nil, ErrInvalidFilterKey},
		{"path option", DescribeQuery{ParameterFilters: []Filter{{Key: "Path", Option: "Equals", Values: []string{"/svc"}}}}, nil, ErrInvalidFilterOption},
		{"duplicate filter", DescribeQuery{ParameterFilters: []Filter{{Key: "Type", Values: []string{"String"}}, {Key: "Type", Values: []string{"String"}}}}, nil, ErrInvalid},
		{"max results over 50", DescribeQuery{MaxResults: 51}, nil, ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := s.Describe(ctx, tt.q)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Describe = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || !slices.Equal(names(page.Parameters), tt.want) {
				t.Fatalf("Describe = %v, %v; want %v", names(page.Parameters), err, tt.want)
			}
			for _, p := range page.Parameters {
				if p.Value != "" {
					t.Fatalf("Describe returned a value for %s", p.Name)
				}
			}
		})
	}
	var got []string
	q := DescribeQuery{MaxResults: 3}
	for {
		page, err := s.Describe(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, names(page.Parameters)...)
		if q.NextToken = page.NextToken; q.NextToken == "" {
			break
		}
	}
	if len(got) != 8 {
		t.Fatalf("paged describe saw %v", got)
	}
}

func TestHistoryPagination(t *testing.T) {
	s := newService(t)
	ctx := context.Background()
	for i, v := range []string{"a", "b", "c", "d", "e"} {
		mustPut(t, s, PutInput{Name: "/h", Value: v, Type: SecureString, Overwrite: i > 0})
	}
	var got []string
	q := HistoryQuery{Name: "/h", Decrypt: true, MaxResults: 2}
	for {
		page, err := s.History(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Parameters {
			got = append(got, p.Value)
		}
		if q.NextToken = page.NextToken; q.NextToken == "" {
			break
		}
	}
	if !slices.Equal(got, []string{"a", "b", "c", "d", "e"}) {
		t.Fatalf("history values %v", got)
	}
	if _, err := s.History(ctx, HistoryQuery{Name: "/none"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("history of a missing parameter: %v", err)
	}
	if _, err := s.History(ctx, HistoryQuery{Name: "/h", NextToken: "eyJvIjoicGF0aCJ9"}); !errors.Is(err, ErrInvalidNextToken) {
		t.Fatalf("foreign token: %v", err)
	}
}
