package s3

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/edgecd/edgecd/objstore"
)

// checkGet refuses, with S3's XML errors, the GETs that http.ServeContent
// would answer with a bare status: a failed If-Match or If-Unmodified-Since
// (412 PreconditionFailed) and a range that starts past the end (416
// InvalidRange). 304 Not Modified has no body in S3 either, so
// ServeContent keeps If-None-Match and If-Modified-Since.
func checkGet(h http.Header, info objstore.ObjectInfo) error {
	if im := h.Get("If-Match"); im != "" {
		// S3: when If-Match holds, If-Unmodified-Since is not consulted.
		if !etagListMatches(im, info.QuotedETag()) {
			return fmt.Errorf("%w: If-Match %s does not match the object's ETag %s", objstore.ErrPreconditionFailed, im, info.QuotedETag())
		}
	} else if ius := h.Get("If-Unmodified-Since"); ius != "" {
		if t, err := http.ParseTime(ius); err == nil && info.LastModified.Truncate(time.Second).After(t) {
			return fmt.Errorf("%w: the object was modified after %s", objstore.ErrPreconditionFailed, ius)
		}
	}
	rng := h.Get("Range")
	if rng == "" {
		return nil
	}
	spec, ok := strings.CutPrefix(rng, "bytes=")
	if !ok {
		return fmt.Errorf("%w: Range %q must be in bytes", errInvalidRange, rng)
	}
	first, _, _ := strings.Cut(spec, "-")
	if first == "" || strings.Contains(spec, ",") {
		return nil // a suffix range or several ranges: ServeContent decides
	}
	if start, err := strconv.ParseInt(strings.TrimSpace(first), 10, 64); err == nil && start >= info.Size && info.Size > 0 {
		return fmt.Errorf("%w: range %q starts at or after the end of the %d-byte object", errInvalidRange, rng, info.Size)
	}
	return nil
}

// etagListMatches reports whether an If-Match list names etag (quotes and
// weak prefixes optional) or is "*".
func etagListMatches(list, etag string) bool {
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimPrefix(strings.TrimSpace(e), "W/")
		if e == "*" || strings.Trim(e, `"`) == strings.Trim(etag, `"`) {
			return true
		}
	}
	return false
}
