package cdn

// MatchPath reports whether a request path matches a CloudFront cache
// behavior PathPattern. CloudFront's rules: '*' matches zero or more
// characters (including '/'), '?' matches exactly one character, matching is
// case-sensitive, and a pattern without a leading '/' is treated as if it had
// one ("images/*.jpg" and "/images/*.jpg" are the same). The default
// behavior's pattern "*" matches everything.
func MatchPath(pattern, path string) bool {
	if len(pattern) == 0 || pattern[0] != '/' {
		if pattern != "*" {
			pattern = "/" + pattern
		}
	}
	// Iterative glob match with single-star backtracking: linear in practice
	// and never exponential, whatever the pattern (fuzzed).
	p, s := 0, 0
	starP, starS := -1, 0
	for s < len(path) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == path[s]) && pattern[p] != '*':
			p++
			s++
		case p < len(pattern) && pattern[p] == '*':
			starP, starS = p, s
			p++
		case starP >= 0:
			p = starP + 1
			starS++
			s = starS
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
