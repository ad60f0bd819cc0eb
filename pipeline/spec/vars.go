package spec

// Ref is one #{Namespace.Variable} reference in a string.
type Ref struct {
	Namespace, Var string
	Offset         int // byte offset of "#{" in the string
}

// References lists the well-formed references in s, in order.
func References(s string) []Ref {
	return nil // TODO
}

// Expand replaces every #{Namespace.Variable} in s by its value in vars.
// A reference to a variable vars lacks, or a "#{" that does not start a
// well-formed reference, is an error.
func Expand(s string, vars Vars) (string, error) {
	return s, nil // TODO
}
