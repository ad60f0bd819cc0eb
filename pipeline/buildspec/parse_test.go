package buildspec

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseSeedBuildspec(t *testing.T) {
	data, err := os.ReadFile("testdata/hugo.yml")
	if err != nil {
		t.Fatal(err)
	}
	s, problems := Parse("buildspec.yml", data)
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	if s.Version != "0.2" || s.Env.Shell != "bash" {
		t.Errorf("version %q shell %q", s.Version, s.Env.Shell)
	}
	var names []string
	for _, p := range s.Phases {
		names = append(names, p.Name)
	}
	if !reflect.DeepEqual(names, []string{Install, Build}) {
		t.Errorf("phases = %v", names)
	}
	if got := s.Phases[1].Commands[2]; got.Text != "/usr/local/bin/hugo" || got.Line != 14 {
		t.Errorf("third build command = %+v", got)
	}
	want := &Artifacts{Files: []string{"**/*"}, BaseDirectory: "public"}
	if !reflect.DeepEqual(s.Artifacts, want) {
		t.Errorf("artifacts = %+v, want %+v", s.Artifacts, want)
	}
	if len(s.Warnings) != 1 || s.Warnings[0].Line != 5 || !strings.Contains(s.Warnings[0].Msg, "runtime-versions") {
		t.Errorf("warnings = %v, want one about runtime-versions at line 5", s.Warnings)
	}
}

func TestParseFullSpec(t *testing.T) {
	src := `version: 0.2
env:
  shell: sh
  variables:
    STAGE: prod
    COUNT: 3
  parameter-store:
    TOKEN: /app/token
  exported-variables:
    - VERSION
phases:
  build:
    on-failure: CONTINUE
    commands:
      - "echo a: b"
      - |
        if true; then
          echo multi
        fi
    finally:
      - echo done
  post_build:
    run-as: nobody
    commands: [echo post]
artifacts:
  files: ["./dist/**/*", index.html]
  exclude-paths: ["**/*.map"]
  discard-paths: yes
  name: site
`
	s, problems := Parse("b.yml", []byte(src))
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	if s.Env.Shell != "sh" {
		t.Errorf("shell = %q", s.Env.Shell)
	}
	wantVars := []Var{{"STAGE", "prod", 5}, {"COUNT", "3", 6}}
	if !reflect.DeepEqual(s.Env.Variables, wantVars) {
		t.Errorf("variables = %+v", s.Env.Variables)
	}
	if !reflect.DeepEqual(s.Env.ParameterStore, []Var{{"TOKEN", "/app/token", 8}}) {
		t.Errorf("parameter-store = %+v", s.Env.ParameterStore)
	}
	if !reflect.DeepEqual(s.Env.Exported, []string{"VERSION"}) {
		t.Errorf("exported = %v", s.Env.Exported)
	}
	b := s.Phases[0]
	if b.OnFailure != Continue || len(b.Commands) != 2 || b.Commands[0].Text != "echo a: b" || len(b.Finally) != 1 {
		t.Errorf("build phase = %+v", b)
	}
	if !strings.Contains(b.Commands[1].Text, "echo multi") {
		t.Errorf("block command = %q", b.Commands[1].Text)
	}
	want := &Artifacts{Files: []string{"dist/**/*", "index.html"}, Exclude: []string{"**/*.map"}, DiscardPaths: true, Name: "site"}
	if !reflect.DeepEqual(s.Artifacts, want) {
		t.Errorf("artifacts = %+v", s.Artifacts)
	}
	if len(s.Warnings) != 1 || s.Warnings[0].String() != "b.yml:23:5: phases.post_build.run-as is ignored: commands run as the user running edgecd" {
		t.Errorf("warnings = %v", s.Warnings)
	}
}

func TestParseReportsEveryProblemWithItsPlace(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // "line:col: message fragment"
	}{
		{"missing version", "phases:\n  build:\n    commands: [make]\n", []string{"1:1: version is missing"}},
		{"version 0.1", "version: 0.1\nphases:\n  build:\n    commands: [make]\n", []string{"1:10: version 0.1 is not supported"}},
		{"version 1.0", "version: 1.0\nphases:\n  build:\n    commands: [make]\n", []string{`1:10: version "1.0" is not supported`}},
		{"missing phases", "version: 0.2\n", []string{"1:1: phases is missing"}},
		{"unknown top key with hint", "version: 0.2\nphase:\n  build: {}\nphases:\n  build:\n    commands: [make]\n", []string{`2:1: the buildspec: unknown key "phase"`}},
		{"misspelt phase", "version: 0.2\nphases:\n  pre-build:\n    commands: [make]\n", []string{`3:3: phases: unknown key "pre-build" (did you mean "pre_build"?)`}},
		{"empty commands", "version: 0.2\nphases:\n  build:\n    commands: []\n", []string{"4:15: phases.build.commands is empty"}},
		{"null commands", "version: 0.2\nphases:\n  build:\n    commands:\n", []string{"4:5: phases.build.commands is empty"}},
		{"phase without commands", "version: 0.2\nphases:\n  build:\n    finally: [x]\n", []string{"3:3: phases.build has no commands"}},
		{"commands not a list", "version: 0.2\nphases:\n  build:\n    commands: make\n", []string{"4:15: phases.build.commands must be a list"}},
		{"command that is a mapping", "version: 0.2\nphases:\n  build:\n    commands:\n      - echo a: b\n", []string{"5:9: phases.build.commands: this command is a YAML mapping"}},
		{"bad on-failure", "version: 0.2\nphases:\n  build:\n    on-failure: RETRY\n    commands: [make]\n", []string{`4:17: phases.build.on-failure "RETRY" is not supported`}},
		{"artifacts without files", "version: 0.2\nphases:\n  build:\n    commands: [make]\nartifacts:\n  base-directory: out\n", []string{"6:3: artifacts has no files"}},
		{"artifacts escaping", "version: 0.2\nphases:\n  build:\n    commands: [make]\nartifacts:\n  files: ['../x']\n  base-directory: /etc\n", []string{"6:11: artifacts.files: pattern", "7:19: artifacts.base-directory"}},
		{"bad variable name", "version: 0.2\nenv:\n  variables:\n    1X: a\nphases:\n  build:\n    commands: [make]\n", []string{`4:5: env.variables: "1X" is not a variable name`}},
		{"wrong type of variables", "version: 0.2\nenv:\n  variables: [a]\nphases:\n  build:\n    commands: [make]\n", []string{"3:14: env.variables must be a mapping"}},
		{"bad shell", "version: 0.2\nenv:\n  shell: zsh\nphases:\n  build:\n    commands: [make]\n", []string{`3:10: env.shell "zsh" is not supported`}},
		{"secrets manager", "version: 0.2\nenv:\n  secrets-manager:\n    A: b\nphases:\n  build:\n    commands: [make]\n", []string{"3:3: env.secrets-manager is not supported"}},
		{"repeated key", "version: 0.2\nversion: 0.2\nphases:\n  build:\n    commands: [make]\n", []string{`2:1: the buildspec: key "version" is repeated`}},
		{"not a mapping", "- a\n- b\n", []string{"1:1: the buildspec must be a mapping"}},
		{"yaml syntax", "version: 0.2\nphases:\n  build:\n   commands: [make\n", []string{"invalid YAML"}},
		{"empty", "", []string{"1:1: buildspec is empty"}},
		{"several at once", "version: 0.3\nphases:\n  build:\n    commands: []\n  post_build:\n    on-failure: maybe\n    commands: ['']\nartifacts: {}\n",
			[]string{"1:10: version", "4:15: phases.build.commands is empty", "6:17: phases.post_build.on-failure", "7:16: phases.post_build.commands: empty command", "8:12: artifacts has no files"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, problems := Parse("f.yml", []byte(tt.src))
			if s != nil {
				t.Errorf("spec is not nil despite problems")
			}
			if len(problems) != len(tt.want) {
				t.Fatalf("got %d problems %v, want %d", len(problems), problems, len(tt.want))
			}
			for i, w := range tt.want {
				got := problems[i].String()
				if !strings.HasPrefix(got, "f.yml:") || !strings.Contains(got, w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got, w)
				}
			}
		})
	}
}
