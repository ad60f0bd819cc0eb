// Package objstore keeps S3-style buckets and objects as plain files on
// disk. The S3 API package translates requests into calls on a *Store; the
// edge opens objects with Store.Open and serves the returned *os.File
// directly (http.ServeContent, sendfile), so an object is stored as exactly
// its bytes, never wrapped or chunked.
//
// # Layout
//
//	<root>/<bucket>/<key>              the object's bytes
//	<root>/.meta/<bucket>/<key>        its metadata, a small JSON document
//	<root>/.buckets/<bucket>.json      creation date and region
//	<root>/.buckets/<bucket>.policy    the bucket policy, verbatim
//	<root>/.uploads/<bucket>/<id>/     an unfinished multipart upload
//	<root>/.tmp/                       files being written
//
// Bucket names cannot start with a dot, so the reserved directories are never
// buckets. A directory created by hand under the root is a bucket, and files
// copied by hand into it are objects: their metadata is computed on first
// read (ETag = MD5 of the bytes, Content-Type from the extension).
//
// Keys map to relative paths. A key ending in "/" (a folder marker, as S3
// consoles create) is stored in the file ".edgecd-folder" inside its
// directory: "photos/" lives in "photos/.edgecd-folder". Key segments
// starting with ".edgecd-" are refused, so stored names never collide with
// keys. Keys that cannot be a safe relative path are refused with
// ErrInvalidKey: empty, ".", ".." or over-long segments, a leading "/", NUL,
// invalid UTF-8. S3 lets "a" and "a/b" coexist; a file system cannot, so the
// second write fails with ErrKeyConflict.
//
// # Safety
//
// Paths below a bucket are walked one component at a time with openat and
// O_NOFOLLOW: a symbolic link inside a bucket is never followed, so no read,
// write, listing or delete reaches outside the bucket whatever its contents.
// Links are not objects; they are skipped by List and are "no such key" for
// Open.
//
// # Atomicity
//
// A write goes to a temporary file under .tmp, which is stamped with the
// write time, fsynced and renamed over the key's path; the metadata document
// follows the same way, and directories are fsynced after renames. A reader
// therefore sees a whole old or a whole new object, never a mix. The
// metadata records the identity of the data file it describes (inode, size,
// mtime in ns). A reader uses metadata only when it matches the file it has
// open; otherwise (a crash between the two renames, a file replaced by hand)
// it recomputes what the bytes determine, marks the info Recomputed, and
// stores the repaired metadata. Within one Store, per-key locks make a
// writer's two renames appear as one to readers and make the last data
// written also the last metadata written. Several processes on one root stay
// safe from torn objects and wrong metadata, but two processes writing the
// same key at the same moment can leave it with recomputed metadata (the
// bytes of one writer, ETag and type derived from them, the user metadata
// lost).
//
// # Caches
//
// Two in-memory caches save system calls without being able to go stale:
// object metadata is cached with the identity of the data file it
// describes and used only while the file still has that identity, and the
// sorted listings of large directories are cached with the directory's inode
// and mtime (and only once that mtime is two seconds old, so a change within
// one tick of the file system's coarse clock cannot hide). Writes through
// the store drop the entries they affect at once.
//
// # ETags
//
// ObjectInfo.ETag holds the bare hex digest ("d41d8cd9...", or "<hex>-N" for
// an object assembled from N multipart parts); QuotedETag gives the quoted
// form HTTP headers and S3 XML carry.
//
// # Listing
//
// List returns keys in S3's order, by UTF-8 bytes, which is not the order of
// a directory walk ("a-c" < "a/b" since '-' < '/'). It sorts each directory
// by the key its entries stand for (a subdirectory "a" as "a/") and visits
// only the directories that can hold the requested page. Pages continue
// from the last item returned (ListResult.NextStartAfter), not from an
// offset, so a continuation token built from it stays valid and exact while
// the bucket changes: keys added behind the cursor are not seen, nothing is
// repeated or skipped.
//
// # Errors
//
// Domain errors are values (ErrNoSuchBucket, ErrKeyConflict, ...), wrapped
// with the names involved; the S3 package maps them to S3 codes in one table.
package objstore
