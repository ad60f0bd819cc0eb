//go:build !linux

package objstore

// openat2Beneath is Linux only; elsewhere the caller walks the path.
func openat2Beneath(dir int, path string, flags int) (int, error, bool) {
	return -1, nil, false
}
