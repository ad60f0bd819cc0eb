package cdn

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"strings"
)

const (
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	lowerAlnum = "abcdefghijklmnopqrstuvwxyz0123456789"
)

func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// newDistributionID returns an id shaped like CloudFront's (E + 13).
func newDistributionID() string { return "E" + randomString(upperAlnum, 13) }

// newInvalidationID returns an id shaped like CloudFront's (I + 13).
func newInvalidationID() string { return "I" + randomString(upperAlnum, 13) }

// newDomainLabel returns the first label of a distribution domain, shaped
// like CloudFront's d111111abcdef8.
func newDomainLabel() string { return "d" + randomString(lowerAlnum, 13) }

// newPolicyID returns a UUID, the shape CloudFront uses for policy ids.
func newPolicyID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// etag names one version of one resource. CloudFront ETags are opaque
// strings like E2QWRUHAPOMQZL; ours derive from id and version so that
// If-Match can be checked without storing them.
func etag(id string, version int64) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s:%d", id, version))
	return "E" + strings.ToUpper(base32.StdEncoding.EncodeToString(sum[:]))[:13]
}

// OriginBucket returns the bucket an S3 origin domain names, in the cloud's
// forms (<bucket>.s3.<region>.amazonaws.com, <bucket>.s3.amazonaws.com,
// <bucket>.s3-<region>.amazonaws.com, <bucket>.s3-website-<region>...), so a
// config copied from CloudFront reads the local bucket of that name.
func OriginBucket(domain string) (string, bool) {
	d := strings.ToLower(strings.TrimSuffix(domain, "."))
	for _, sep := range []string{".s3.", ".s3-"} {
		if i := strings.LastIndex(d, sep); i > 0 {
			return d[:i], true
		}
	}
	return "", false
}
