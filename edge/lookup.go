package edge

import (
	"context"
	"net/http"
	"time"
)

// cacheKey identifies an object for one serving distribution and origin.
// The distribution id keeps primary and staging apart; the origin's bucket
// (or host) and OriginPath make a promote that changes the origin path
// serve the new objects at once, without an invalidation.
func cacheKey(b *behavior, path string) string {
	return b.keyPrefix + path
}

// keyPrefix is the part of a cache key fixed by distribution and origin.
func keyPrefix(d *dist, o *origin) string {
	src := o.bucket
	if o.base != nil {
		src = o.base.String()
	}
	return d.id + "\x00" + src + o.path + "\x00"
}

// lookup returns a cached entry, or fetches from origin (caching what may
// be cached). Exactly one of the results is non-nil on success.
func (s *Server) lookup(r *http.Request, d *dist, b *behavior, path string, now time.Time) (*entry, *fetched, error) {
	if e := s.cache.get(cacheKey(b, path), now); e != nil {
		s.Stats.Hits.Add(1)
		return e, nil, nil
	}
	_, f, err := s.fill(r.Context(), d, b, path, r.URL.Path, r.URL.RawPath, now)
	return nil, f, err
}

// fill fetches path from the behavior's origin after a cache miss and
// caches what may be cached. It returns the origin's answer and, when it
// was cached, the new entry. reqPath and rawPath are the viewer's URL path
// as a custom origin is asked for it.
func (s *Server) fill(ctx context.Context, d *dist, b *behavior, path, reqPath, rawPath string, now time.Time) (*entry, *fetched, error) {
	s.Stats.Misses.Add(1)
	var f *fetched
	var err error
	if b.origin.bucket != "" {
		f, err = s.fetchBucket(ctx, d, b.origin, path)
	} else {
		f, err = s.fetchCustom(ctx, b.origin, reqPath, rawPath)
	}
	if err != nil {
		return nil, nil, err
	}
	if f.status != http.StatusOK || f.file != nil {
		return nil, f, nil
	}
	ttl := ttlFor(b.ttl, f.header.Get("Cache-Control"))
	if ttl <= 0 {
		return nil, f, nil
	}
	e := &entry{
		key: cacheKey(b, path), distID: d.id, path: path, status: f.status, header: f.header,
		etag: f.etag, modTime: f.modTime, body: f.body, stored: now, expires: now.Add(ttl),
	}
	if !f.modTime.IsZero() {
		e.lastModified = []string{f.modTime.UTC().Format(http.TimeFormat)}
	}
	e.compressible = f.header.Get("Content-Encoding") == "" && compressible(f.header.Get("Content-Type")) &&
		len(f.body) >= minCompressSize && len(f.body) <= maxCompressSize
	if len(f.body) >= sendfileMin && int64(2*len(f.body)) <= s.cache.max/8 {
		e.file = newBodyFile(f.body)
	}
	if !s.cache.put(e) {
		return nil, f, nil
	}
	return e, f, nil
}
