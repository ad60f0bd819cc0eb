package spec

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/edgecd/edgecd/asl"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestExampleCompilesToTheGoldenMachine pins the compiled state machine of
// examples/pipeline: the pipeline runtime relies on its shape (resources,
// Parameters, ResultPath). Refresh with go test -run Golden -update.
func TestExampleCompilesToTheGoldenMachine(t *testing.T) {
	data, err := os.ReadFile("../../examples/pipeline/edgecd.pipeline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, probs := Parse("edgecd.pipeline.yaml", data)
	if len(probs) > 0 {
		t.Fatalf("problems: %v", Problems(probs))
	}
	def, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := asl.Parse(def); err != nil {
		t.Fatalf("asl.Parse: %v\n%s", err, def)
	}
	const golden = "testdata/example.asl.json"
	if *update {
		if err := os.WriteFile(golden, def, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(def, want) {
		t.Fatalf("compiled machine differs from %s (run with -update and review the diff):\n%s", golden, def)
	}
}

func TestWideParallelGroupMergesEveryBranch(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: wide\nstages:\n  - name: Fan\n    actions:\n")
	for i := range maxActions {
		fmt.Fprintf(&b, "      - {name: A%d, kind: http, namespace: N%d, with: {url: \"http://x/\"}}\n", i, i)
	}
	b.WriteString("  - name: After\n    actions:\n      - {name: Last, kind: http, with: {url: \"http://x/#{N0.StatusCode}#{N49.StatusCode}\"}}\n")
	f := newFake()
	x, out := runPipeline(t, b.String(), f, Input{Pipeline: "wide", Vars: Vars{NamespacePipeline: {}}})
	if x.Status != asl.Succeeded {
		t.Fatalf("%s %s %s", x.Status, x.Error, x.Cause)
	}
	vars := out["vars"].(map[string]any)
	for i := range maxActions {
		if _, ok := vars[fmt.Sprintf("N%d", i)]; !ok {
			t.Fatalf("namespace N%d lost in the merge: %v", i, vars)
		}
	}
	if got := f.with["After/Last"]["url"]; got != "http://x/200200" {
		t.Fatalf("url = %q", got)
	}
}

func TestCompileRefusesWhatParseWouldNot(t *testing.T) {
	ok := func() *Pipeline {
		return &Pipeline{Name: "p", Stages: []Stage{{Name: "S", Actions: []Action{{Name: "A", Kind: KindHTTP, RunOrder: 1, With: map[string]string{"url": "http://x/"}}}}}}
	}
	if _, err := Compile(ok()); err != nil {
		t.Fatalf("a valid hand-built pipeline: %v", err)
	}
	tests := []struct {
		name  string
		spoil func(p *Pipeline)
	}{
		{"no stages", func(p *Pipeline) { p.Stages = nil }},
		{"bad pipeline name", func(p *Pipeline) { p.Name = "a b" }},
		{"slash in a stage name", func(p *Pipeline) { p.Stages[0].Name = "a/b" }},
		{"duplicate stage", func(p *Pipeline) { p.Stages = append(p.Stages, p.Stages[0]) }},
		{"empty stage", func(p *Pipeline) { p.Stages[0].Actions = nil }},
		{"unknown kind", func(p *Pipeline) { p.Stages[0].Actions[0].Kind = "shell" }},
		{"bad namespace", func(p *Pipeline) { p.Stages[0].Actions[0].Namespace = "a.b" }},
		{"unsorted run order", func(p *Pipeline) {
			a := p.Stages[0].Actions[0]
			a.Name, a.RunOrder = "B", 0
			p.Stages[0].Actions = append(p.Stages[0].Actions, a)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := ok()
			tt.spoil(p)
			if _, err := Compile(p); err == nil {
				t.Fatal("Compile accepted it")
			}
		})
	}
}

func TestSplitStateName(t *testing.T) {
	tests := []struct {
		name, stage, action string
		ok                  bool
	}{
		{StateName("Build", "Compile"), "Build", "Compile", true},
		{"Build/Compile/Failed", "", "", false},
		{"Build/run order 2", "", "", false},
		{"Build/run order 2/merge", "", "", false},
		{"Resume", "", "", false},
	}
	for _, tt := range tests {
		s, a, ok := SplitStateName(tt.name)
		if s != tt.stage || a != tt.action || ok != tt.ok {
			t.Errorf("SplitStateName(%q) = %q %q %v", tt.name, s, a, ok)
		}
	}
}

func TestNewInput(t *testing.T) {
	p := &Pipeline{Name: "p", Variables: map[string]string{"Bucket": "site", "Env": "prod"}}
	in, err := p.NewInput(map[string]string{"Env": "staging"})
	if err != nil || in.Pipeline != "p" || in.Vars[NamespacePipeline]["Bucket"] != "site" || in.Vars[NamespacePipeline]["Env"] != "staging" {
		t.Fatalf("%+v %v", in, err)
	}
	if p.Variables["Env"] != "prod" {
		t.Fatal("NewInput changed the pipeline's defaults")
	}
	if _, err := p.NewInput(map[string]string{"Nope": "x", "Env": "x"}); err == nil || !strings.Contains(err.Error(), "Nope") {
		t.Fatalf("an undeclared variable: %v", err)
	}
}

// TestCompiledMachineUsesOnePipelineResourcePerKind checks the resources
// the pipeline runtime registers its task functions under.
func TestCompiledMachineUsesOnePipelineResourcePerKind(t *testing.T) {
	p, _ := Parse("demo.yaml", []byte(runDef))
	def, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	var resources []string
	for _, k := range Kinds() {
		if bytes.Contains(def, []byte(`"`+Resource(k)+`"`)) {
			resources = append(resources, k)
		}
	}
	want := []string{KindApproval, KindBuild, KindDeploy, KindHTTP, KindSourceGit}
	if !slices.Equal(resources, want) {
		t.Fatalf("resources for kinds %v, want %v", resources, want)
	}
	if bytes.Contains(def, []byte(ResourcePrefix+"approval\"")) {
		t.Fatal("approval must wait for its task token")
	}
}

// TestPackageDocListsEveryKeyAndOutput keeps the reference in doc.go in
// step with the kind table.
func TestPackageDocListsEveryKeyAndOutput(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Kinds() {
		at := bytes.Index(doc, []byte("//\t"+k+" "))
		if at < 0 {
			t.Errorf("doc.go does not describe kind %s", k)
			continue
		}
		// The entry ends where the next kind's begins.
		entry := doc[at+3:]
		for _, other := range Kinds() {
			if i := bytes.Index(entry, []byte("//\t"+other+" ")); i >= 0 {
				entry = entry[:i]
			}
		}
		spec := kinds[k]
		names := spec.keyNames()
		names = append(names, spec.outputs...)
		for _, n := range names {
			if !bytes.Contains(entry, []byte(n)) {
				t.Errorf("doc.go's entry for %s does not mention %s", k, n)
			}
		}
	}
}
