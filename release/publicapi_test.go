package release

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestUsesOnlyThePublicAPI keeps the release and deploy commands honest:
// they import no edgecd package, so everything they do goes through
// aws-sdk-go-v2 to an endpoint (edgecd's or the cloud's), never a shortcut
// into edgecd's store. The one exception is package metrics, the reader
// of /metrics' public text format (release analyze scrapes it): it may be
// imported because it imports no edgecd package itself.
func TestUsesOnlyThePublicAPI(t *testing.T) {
	const wireFormat = "github.com/edgecd/edgecd/metrics"
	for _, dir := range []string{".", "../deploy", "../metrics"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			ast, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range ast.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if strings.HasPrefix(path, "github.com/edgecd/edgecd/") && (path != wireFormat || dir == "../metrics") {
					t.Errorf("%s imports %s: release commands must reach edgecd only through its public API", f, path)
				}
			}
		}
	}
}
