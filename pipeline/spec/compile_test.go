package spec

import (
	"os"
	"testing"

	"github.com/edgecd/edgecd/asl"
)

func TestExampleCompilesAndParses(t *testing.T) {
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
	t.Logf("%s", def)
}
