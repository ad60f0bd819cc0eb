// Package remote reads bucket origins from an S3-compatible endpoint
// (another edgecd, MinIO, Ceph, the cloud's S3), so edge-only nodes need no
// shared directory: it implements edge.Buckets, as *objstore.Store does for
// local buckets.
//
// Data enters through S3 GetObject and GetBucketPolicy calls made with
// aws-sdk-go-v2 and leaves as an *os.File (the edge sendfiles large
// objects) and objstore.ObjectInfo. Every object is kept in a bounded
// on-disk cache (LRU by total bytes) under the node's data directory; each
// Open revalidates the cached copy with a conditional GetObject
// (If-None-Match), so a 304 costs one small request and an overwritten
// object is fetched again. Concurrent Opens of one key share one request.
// Files are written under a temporary name and renamed into place only when
// their size (and, for plain MD5 ETags, their digest) checks out, so a
// partial download is never served. Cache file names are hashes of bucket
// and key, so no key can name a path outside the cache directory. S3 errors
// map to objstore's error values (objstore.ErrNoSuchKey, ErrNoSuchBucket,
// ErrNoSuchBucketPolicy), so the edge answers exactly as for local buckets.
// Bucket policies are cached for a few seconds (PolicyTTL).
package remote
