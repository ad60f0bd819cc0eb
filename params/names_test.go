package params

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckName(t *testing.T) {
	level := func(n int) string { return strings.Repeat("/L", n-1) + "/name" }
	tests := []struct {
		name  string
		param string
		want  error // nil, or the Kind of the error
	}{
		{"plain name", "MyParameter1", nil},
		{"rooted name", "/MyParameter2", nil},
		{"hierarchy", "/Dev/Production/East/Project-ABC/MyParameter", nil},
		{"all allowed symbols", "/a_b.c-d/E9", nil},
		{"fifteen levels", level(15), nil},
		{"sixteen levels", level(16), ErrHierarchyTooDeep},
		{"seventeen levels", level(17), ErrHierarchyTooDeep},
		{"hierarchy without leading slash", "MyParameter3/L1", ErrInvalid},
		{"space inside", "Dev MySQL DB", ErrInvalid},
		{"at sign", "/myPrefix/support@example.com", ErrInvalid},
		{"braces", "{test}-test", ErrInvalid},
		{"colon", "/a:b:c", ErrInvalid},
		{"empty", "", ErrInvalid},
		{"slash alone", "/", ErrInvalid},
		{"double slash", "/a//b", ErrInvalid},
		{"trailing slash", "/a/b/", ErrInvalid},
		{"reserved aws", "awsTestParameter", ErrInvalid},
		{"reserved SSM any case", "SSM-testparameter", ErrInvalid},
		{"reserved in hierarchy", "/aws/testparam1", ErrInvalid},
		{"aws later in the name is fine", "/app/aws/x", nil},
		{"too long", "/" + strings.Repeat("a", MaxNameLen), ErrInvalid},
		{"non-ASCII letter", "/café", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckName(tt.param)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("CheckName(%q) = %v, want nil", tt.param, err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("CheckName(%q) = %v, want %v", tt.param, err, tt.want)
			}
		})
	}
}

func TestReadsAcceptReservedNames(t *testing.T) {
	if err := checkName("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64", false); err != nil {
		t.Fatalf("reading a public /aws/ name: %v", err)
	}
}

func TestARNLength(t *testing.T) {
	prefix := "arn:aws:ssm:us-east-2:111122223333:parameter/"
	fits := "/" + strings.Repeat("a", MaxARNLen-len(prefix))
	if err := checkARNLen(prefix, fits); err != nil {
		t.Fatalf("name filling the ARN to %d characters: %v", MaxARNLen, err)
	}
	if err := checkARNLen(prefix, fits+"a"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("name one over the ARN limit: %v, want ErrInvalid", err)
	}
}

func TestParseSelector(t *testing.T) {
	tests := []struct {
		ref     string
		name    string
		sel     string
		wantErr bool
	}{
		{"/app/version", "/app/version", "", false},
		{"/app/version:3", "/app/version", ":3", false},
		{"/app/version:prod", "/app/version", ":prod", false},
		{"/app/version:Prod_1.x-y", "/app/version", ":Prod_1.x-y", false},
		{"/app/version:", "", "", true},
		{"/app/version:0", "", "", true},
		{"/app/version:3a", "", "", true},
		{"/app/version:a:b", "", "", true},
		{"/app/version:awsLabel", "", "", true},
		{"/app/version:99999999999999999999", "", "", true},
		{"bad name:1", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			name, sel, err := parseSelector(tt.ref)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("parseSelector(%q) = %q %q, want an error", tt.ref, name, sel)
				}
				return
			}
			if err != nil || name != tt.name || sel.String() != tt.sel {
				t.Fatalf("parseSelector(%q) = %q, %q, %v; want %q, %q", tt.ref, name, sel, err, tt.name, tt.sel)
			}
		})
	}
}

func TestValidLabel(t *testing.T) {
	tests := []struct {
		label string
		want  bool
	}{
		{"prod", true},
		{"Release_2.0-rc1", true},
		{strings.Repeat("a", 100), true},
		{strings.Repeat("a", 101), false},
		{"", false},
		{"1st", false},
		{"awsProd", false},
		{"SSMprod", false},
		{"has space", false},
		{"a/b", false},
	}
	for _, tt := range tests {
		if got := validLabel(tt.label); got != tt.want {
			t.Errorf("validLabel(%q) = %v, want %v", tt.label, got, tt.want)
		}
	}
}
