package yamlnode

import (
	"errors"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestSyntaxTakesTheLineFromTheDecoder(t *testing.T) {
	var n yaml.Node
	err := yaml.Unmarshal([]byte("a: 1\nb: [\n"), &n)
	if err == nil {
		t.Fatal("the YAML is broken, want an error")
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"decoder error with a line", err, "f.yaml:2:1: invalid YAML: did not find expected node content"},
		{"message with a line", errors.New("yaml: line 7: mapping values are not allowed in this context"), "f.yaml:7:1: invalid YAML: mapping values are not allowed in this context"},
		{"no line", errors.New("yaml: control characters are not allowed"), "f.yaml:1:1: invalid YAML: control characters are not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Syntax("f.yaml", tt.err).String(); got != tt.want {
				t.Fatalf("Syntax = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAtIsTheNodesPosition(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("stages:\n  - name: x\n"), &doc); err != nil {
		t.Fatal(err)
	}
	n := doc.Content[0].Content[1].Content[0] // the mapping of the first stage
	p := At("f.yaml", n, "bad stage")
	if p.Error() != "f.yaml:2:5: bad stage" {
		t.Fatalf("At = %q, want f.yaml:2:5: bad stage", p.Error())
	}
}
