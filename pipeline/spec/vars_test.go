package spec

import (
	"errors"
	"slices"
	"testing"
)

func TestExpand(t *testing.T) {
	vars := Vars{
		"Source":          {"CommitShort": "abc1234", "Msg": "fix #{Not.Again}"},
		NamespacePipeline: {"Bucket": "site"},
	}
	tests := []struct {
		name, in, want string
		err            error
	}{
		{"no reference", "s3://site/", "s3://site/", nil},
		{"one reference", "/#{Source.CommitShort}", "/abc1234", nil},
		{"several and text between", "s3://#{Pipeline.Bucket}/#{Source.CommitShort}/x", "s3://site/abc1234/x", nil},
		{"CodePipeline's variables namespace reads the pipeline variables", "#{variables.Bucket}", "site", nil},
		{"values are not expanded again", "#{Source.Msg}", "fix #{Not.Again}", nil},
		{"a lone # and { stay", "a#b{c}#", "a#b{c}#", nil},
		{"unknown namespace", "#{Build.Dir}", "", ErrUnknownVariable},
		{"unknown variable", "#{Source.CommitId}", "", ErrUnknownVariable},
		{"no dot", "#{Source}", "", ErrBadReference},
		{"unterminated", "x #{Source.CommitShort", "", ErrBadReference},
		{"empty variable", "#{Source.}", "", ErrBadReference},
		{"two dots", "#{Source.a.b}", "", ErrBadReference},
		{"space inside", "#{Source. CommitShort}", "", ErrBadReference},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Expand(tt.in, vars)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("Expand(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
			}
		})
	}
}

func TestReferences(t *testing.T) {
	s := "#{A.x}-#{bad}-#{B@2.y_z}#{C.d}"
	var got []string
	for _, r := range References(s) {
		if s[r.Offset:r.Offset+r.Len] != r.String() {
			t.Errorf("ref %v does not cover its text: %q", r, s[r.Offset:r.Offset+r.Len])
		}
		got = append(got, r.String())
	}
	want := []string{"#{A.x}", "#{B@2.y_z}", "#{C.d}"}
	if !slices.Equal(got, want) {
		t.Fatalf("References = %v, want %v", got, want)
	}
}

func TestParseFailure(t *testing.T) {
	f, ok := ParseFailure(`{"Stage":"Build","Action":"Compile","Error":"Build.Failed","Cause":"exit 2"}`)
	if !ok || f.Stage != "Build" || f.Action != "Compile" || f.Error != "Build.Failed" || f.Cause != "exit 2" {
		t.Fatalf("%+v %v", f, ok)
	}
	for _, c := range []string{"", "Execution stopped", `{"Error":"x"}`, "{"} {
		if _, ok := ParseFailure(c); ok {
			t.Errorf("ParseFailure(%q) ok", c)
		}
	}
}

func TestResource(t *testing.T) {
	if got := Resource(KindBuild); got != "arn:aws:states:::edgecd:pipeline.build" {
		t.Errorf("build: %s", got)
	}
	if got := Resource(KindApproval); got != "arn:aws:states:::edgecd:pipeline.approval.waitForTaskToken" {
		t.Errorf("approval: %s", got)
	}
}
