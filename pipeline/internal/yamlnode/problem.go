package yamlnode

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Problem is one thing wrong with a YAML file, located in it.
type Problem struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Msg)
}

func (p Problem) Error() string { return p.String() }

// At is a problem at node n of file.
func At(file string, n *yaml.Node, msg string) Problem {
	return Problem{File: file, Line: n.Line, Column: n.Column, Msg: msg}
}

var syntaxLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// Syntax locates a YAML syntax error from the decoder. yaml.v3 gives its
// line only (in the message), so the column is 1; without a line the
// problem is at the start of the file.
func Syntax(file string, err error) Problem {
	msg := err.Error()
	if m := syntaxLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{File: file, Line: line, Column: 1, Msg: "invalid YAML: " + m[2]}
	}
	return Problem{File: file, Line: 1, Column: 1, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}
