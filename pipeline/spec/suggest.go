package spec

// suggest returns ` (did you mean "x"?)` for the known word closest to
// word within two edits, or "" — a typo in a key, kind or namespace is the
// most common mistake in a hand-written definition.
func suggest(word string, known []string) string {
	best, dist := "", 3
	for _, k := range known {
		if d := editDistance(word, k); d < dist {
			best, dist = k, d
		}
	}
	if best == "" || best == word {
		return ""
	}
	return ` (did you mean "` + best + `"?)`
}

// editDistance is the Levenshtein distance between short ASCII names;
// longer inputs are not worth comparing and count as far apart.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
