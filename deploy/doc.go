// Package deploy uploads a build output directory to an S3 prefix, faster
// and safer than `aws s3 sync`: it compares content hashes (the local MD5,
// or the multipart ETag computed with the same part size, against the
// remote ETag) instead of size and mtime, uploads only what changed with
// bounded parallelism over kept-alive connections, sets Content-Type and
// Cache-Control by rule (hashed asset names are immutable, HTML is
// revalidated), and deletes stale keys only after every upload succeeded.
// A re-run after an interruption skips what already landed, because what
// landed has the right ETag.
//
// Data enters as a directory (Scan hashes its files on all cores; with
// Options.CacheDir the hash of a file untouched since the last run is
// taken from a local cache keyed by size, mtime, ctime and inode) and a
// ListObjectsV2 listing of the prefix, read at the same time; Diff turns
// the two into a Plan; Run carries it out through an *s3.Client (see
// NewS3Client) and returns a Summary. Options.Version deploys into a
// version folder, VersionAuto derives it from the build (git commit, else
// content hash) so nobody has to remember to bump it.
package deploy
