package buildspec

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkRun measures what a build costs besides its commands: starting
// the shell, the framing of 4 phases × 5 no-op commands, the exported
// variables and the artifacts walk.
func BenchmarkRun(b *testing.B) {
	var src strings.Builder
	src.WriteString("version: 0.2\nenv: {exported-variables: [V]}\nphases:\n")
	for _, ph := range []string{"install", "pre_build", "build", "post_build"} {
		src.WriteString("  " + ph + ":\n    commands: [\"true\", \"true\", \"true\", \"true\", \"V=1\"]\n")
	}
	src.WriteString("artifacts: {files: ['**/*']}\n")
	spec, problems := Parse("b.yml", []byte(src.String()))
	if len(problems) > 0 {
		b.Fatal(problems)
	}
	dir := b.TempDir()
	if err := writeFile(dir, "index.html"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Run(context.Background(), spec, RunOptions{Dir: dir, Timeout: time.Minute}); err != nil {
			b.Fatal(err)
		}
	}
}

func writeFile(dir, name string) error {
	return os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o644)
}
