package objstore

import (
	"fmt"
	"net/netip"
	"strings"
	"unicode/utf8"
)

const (
	// MaxKeyLen is S3's limit on the UTF-8 length of an object key.
	MaxKeyLen = 1024
	// maxSegmentLen is the longest file name Linux file systems store (NAME_MAX).
	maxSegmentLen = 255
	// reservedPrefix starts every name the store uses inside a bucket's
	// directory tree. Key segments starting with it are refused, so a stored
	// name never collides with a user's key.
	reservedPrefix = ".edgecd-"
	// folderName holds the object of a key ending in "/" (a folder marker as
	// S3 consoles create them): key "a/b/" lives in file "a/b/.edgecd-folder".
	folderName = reservedPrefix + "folder"
)

// ValidateBucketName reports whether name follows S3's rules for general
// purpose buckets. The error wraps ErrInvalidBucketName and says which rule
// failed.
func ValidateBucketName(name string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: %q %s", ErrInvalidBucketName, name, why)
	}
	if len(name) < 3 || len(name) > 63 {
		return bad("must be 3 to 63 characters long")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return bad("may contain only lowercase letters, digits, dots and hyphens")
		}
	}
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return bad("must begin and end with a letter or digit")
	}
	if strings.Contains(name, "..") {
		return bad("must not contain two adjacent dots")
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return bad("must not be formatted as an IP address")
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return bad("must not start with " + p)
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return bad("must not end with " + s)
		}
	}
	return nil
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// keyPath is where a key lives inside its bucket: the directories to walk and
// the file name in the last of them.
type keyPath struct {
	dirs []string
	base string
}

// rel is the path relative to the bucket directory.
func (p keyPath) rel() string {
	if len(p.dirs) == 0 {
		return p.base
	}
	return strings.Join(p.dirs, "/") + "/" + p.base
}

// under is the path from a directory holding the bucket's directory.
func (p keyPath) under(bucket string) []string {
	segs := make([]string, 0, len(p.dirs)+2)
	segs = append(segs, bucket)
	segs = append(segs, p.dirs...)
	return append(segs, p.base)
}

// ValidateKey reports whether key can be stored. Beyond S3's own rules (1 to
// 1024 bytes of UTF-8) a key must map onto a relative path that stays in its
// bucket: no NUL, no empty, "." or ".." segment, no leading "/", no segment
// longer than 255 bytes and none starting with ".edgecd-". A trailing "/"
// (folder marker) is allowed.
func ValidateKey(key string) error {
	_, err := parseKey(key)
	return err
}

func parseKey(key string) (keyPath, error) {
	bad := func(why string) error {
		return fmt.Errorf("%w: key %q %s", ErrInvalidKey, truncate(key), why)
	}
	switch {
	case key == "":
		return keyPath{}, bad("is empty")
	case len(key) > MaxKeyLen:
		return keyPath{}, fmt.Errorf("%w: key is %d bytes", ErrKeyTooLong, len(key))
	case !utf8.ValidString(key):
		return keyPath{}, bad("is not valid UTF-8")
	case strings.IndexByte(key, 0) >= 0:
		return keyPath{}, bad("contains a NUL byte")
	case key[0] == '/':
		return keyPath{}, bad("starts with /")
	}
	folder := strings.HasSuffix(key, "/")
	segs := strings.Split(strings.TrimSuffix(key, "/"), "/")
	for _, s := range segs {
		switch {
		case s == "":
			return keyPath{}, bad("contains an empty path segment (//)")
		case s == "." || s == "..":
			return keyPath{}, bad("contains a . or .. path segment")
		case len(s) > maxSegmentLen:
			return keyPath{}, bad(fmt.Sprintf("has a path segment longer than %d bytes", maxSegmentLen))
		case strings.HasPrefix(s, reservedPrefix):
			return keyPath{}, bad("has a path segment starting with the reserved " + reservedPrefix)
		}
	}
	if folder {
		return keyPath{dirs: segs, base: folderName}, nil
	}
	return keyPath{dirs: segs[:len(segs)-1], base: segs[len(segs)-1]}, nil
}

// validSegment reports whether a name found on disk can be part of a key.
// Files named otherwise (placed by hand) are not objects.
func validSegment(s string) bool {
	return s != "" && s != "." && s != ".." && len(s) <= maxSegmentLen &&
		!strings.HasPrefix(s, reservedPrefix) && utf8.ValidString(s) &&
		strings.IndexByte(s, 0) < 0
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
