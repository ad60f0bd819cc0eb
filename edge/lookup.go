package edge

import (
	"net/http"
	"time"
)

// cacheKey identifies an object for one serving distribution and origin.
// The distribution id keeps primary and staging apart; the origin's bucket
// (or host) and OriginPath make a promote that changes the origin path
// serve the new objects at once, without an invalidation.
func cacheKey(d *dist, o *origin, path string) string {
	src := o.bucket
	if o.base != nil {
		src = o.base.String()
	}
	return d.id + "\x00" + src + o.path + "\x00" + path
}

// lookup returns a cached entry, or fetches from origin (caching what may
// be cached). Exactly one of the results is non-nil on success.
func (s *Server) lookup(r *http.Request, d *dist, b *behavior, path string, now time.Time) (*entry, *fetched, error) {
	key := cacheKey(d, b.origin, path)
	if e := s.cache.get(key, now); e != nil {
		s.Stats.Hits.Add(1)
		return e, nil, nil
	}
	s.Stats.Misses.Add(1)
	var f *fetched
	var err error
	if b.origin.bucket != "" {
		f, err = s.fetchBucket(r.Context(), d, b.origin, path)
	} else {
		f, err = s.fetchCustom(r.Context(), b.origin, r)
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
		key: key, distID: d.id, path: path, status: f.status, header: f.header,
		etag: f.etag, modTime: f.modTime, body: f.body, stored: now, expires: now.Add(ttl),
	}
	if !f.modTime.IsZero() {
		e.lastModified = []string{f.modTime.UTC().Format(http.TimeFormat)}
	}
	s.cache.put(e)
	return nil, f, nil
}
