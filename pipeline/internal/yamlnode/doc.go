// Package yamlnode locates problems in the YAML files edgecd reads (the
// pipeline definition, package spec, and the buildspec, package buildspec):
// a Problem is a message at a file, line and column, made from a yaml.v3
// node or from the decoder's syntax error. Both parsers report through it so
// their problems read the same way.
package yamlnode
