package events

import (
	"encoding/json"
	"testing"
)

func TestTargetInput(t *testing.T) {
	raw := []byte(`{"id":"e1","source":"app","detail":{"state":"FAILED","n":3,"list":["a","b"],"q":"say \"hi\""}}`)
	d := &delivery{Rule: "purge", RuleARN: "arn:aws:events:us-east-1:1:rule/purge", Event: Event{Time: "2026-11-23T10:00:00Z"}}
	tr := func(paths map[string]string, tpl string) Target {
		return Target{InputTransformer: &InputTransformer{InputPathsMap: paths, InputTemplate: tpl}}
	}
	tests := []struct {
		name string
		t    Target
		want string
	}{
		{"whole event by default", Target{}, string(raw)},
		{"constant input", Target{Input: `{"fixed":true}`}, `{"fixed":true}`},
		{"input path", Target{InputPath: "$.detail.list[1]"}, `"b"`},
		{"input path to nothing", Target{InputPath: "$.detail.none"}, `null`},
		{"template JSON values", tr(map[string]string{"s": "$.detail.state", "n": "$.detail.n"}, `{"state": <s>, "n": <n>}`), `{"state": "FAILED", "n": 3}`},
		{"template text inside strings", tr(map[string]string{"s": "$.detail.state", "n": "$.detail.n"}, `{"msg": "<s> after <n> tries"}`), `{"msg": "FAILED after 3 tries"}`},
		{"template escapes quotes", tr(map[string]string{"q": "$.detail.q"}, `{"msg": "<q>"}`), `{"msg": "say \"hi\""}`},
		{"template missing value is null", tr(map[string]string{"x": "$.detail.none"}, `{"x": <x>}`), `{"x": null}`},
		{"template reserved names", tr(nil, `{"rule": "<aws.events.rule-name>", "e": <aws.events.event>}`), `{"rule": "purge", "e": ` + string(raw) + `}`},
		{"template unknown placeholder kept", tr(nil, `"<b>bold</b>"`), `"<b>bold</b>"`},
		{"plain text template becomes a string", tr(map[string]string{"s": "$.detail.state"}, `state is <s>`), `"state is FAILED"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := targetInput(tt.t, raw, d)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want || !json.Valid(got) {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestParsePathErrors(t *testing.T) {
	for _, p := range []string{"detail", "$.", "$.a[", "$.a[-1]", "$.a[x]", "$a"} {
		if _, err := parsePath(p); err == nil {
			t.Errorf("parsePath(%q) accepted", p)
		}
	}
}

func TestCheckTransformerRefusesTemplatesThatCannotBeJSON(t *testing.T) {
	tests := []struct {
		tpl string
		ok  bool
	}{
		{`{"s": <s>}`, true},
		{`{"s": "<s>"}`, true},
		{`plain <s>`, true},
		{`{"s": <s>`, false},
		{`{"s": x<s>}`, false},
		{`[<s>, <aws.events.rule-name>]`, true},
	}
	for _, tt := range tests {
		err := checkTransformer(&InputTransformer{InputPathsMap: map[string]string{"s": "$.detail"}, InputTemplate: tt.tpl})
		if (err == nil) != tt.ok {
			t.Errorf("checkTransformer(%s) = %v, want ok=%v", tt.tpl, err, tt.ok)
		}
	}
}
