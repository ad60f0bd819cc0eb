// Package deploy uploads a build output directory to an S3 prefix, faster
// and safer than `aws s3 sync`: it compares content hashes (the local MD5,
// or the multipart ETag computed with the same part size, against the
// remote ETag) instead of size and mtime, uploads only what changed with
// bounded parallelism, sets Content-Type and Cache-Control by rule (hashed
// asset names are immutable, HTML is revalidated), and deletes stale keys
// only after every upload succeeded. A re-run after an interruption skips
// what already landed, because what landed has the right ETag.
package deploy
