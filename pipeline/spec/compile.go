package spec

import "errors"

// Compile turns a checked pipeline into an Amazon States Language
// definition (JSONPath) for the flow engine.
func Compile(p *Pipeline) ([]byte, error) {
	return nil, errors.New("not implemented yet")
}
