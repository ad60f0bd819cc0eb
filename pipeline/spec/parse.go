package spec

// Parse reads and checks a definition. It returns the pipeline, or nil and
// every problem found, each located in file.
func Parse(file string, data []byte) (*Pipeline, []Problem) {
	return nil, []Problem{{File: file, Line: 1, Column: 1, Msg: "not implemented yet"}}
}
