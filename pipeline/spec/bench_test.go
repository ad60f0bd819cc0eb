package spec

import (
	"os"
	"testing"
)

// BenchmarkParseAndCompileExample measures what `edgecd pipeline create`
// spends on the definition itself.
func BenchmarkParseAndCompileExample(b *testing.B) {
	data, err := os.ReadFile("../../examples/pipeline/edgecd.pipeline.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		p, probs := Parse("edgecd.pipeline.yaml", data)
		if probs != nil {
			b.Fatal(Problems(probs))
		}
		if _, err := Compile(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExpand(b *testing.B) {
	vars := Vars{"Source": {"CommitShort": "abc1234"}, NamespacePipeline: {"Bucket": "site"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Expand("s3://#{variables.Bucket}/#{Source.CommitShort}/", vars); err != nil {
			b.Fatal(err)
		}
	}
}
