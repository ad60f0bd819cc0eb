package objstore

import "errors"

// Domain errors. Callers test them with errors.Is; the S3 API package maps each
// to its S3 error code and HTTP status in one table. Returned errors usually wrap
// one of these with a message naming the bucket, key or limit involved.
var (
	ErrNoSuchBucket       = errors.New("bucket does not exist")
	ErrBucketExists       = errors.New("bucket already exists") // the store has a single owner: S3's BucketAlreadyOwnedByYou
	ErrBucketNotEmpty     = errors.New("bucket is not empty")
	ErrInvalidBucketName  = errors.New("invalid bucket name")
	ErrNoSuchKey          = errors.New("object does not exist")
	ErrInvalidKey         = errors.New("object key cannot be stored") // S3 has no exact code; map to InvalidArgument
	ErrKeyTooLong         = errors.New("object key is longer than 1024 bytes")
	ErrKeyConflict        = errors.New("object key conflicts with an existing key") // "a" exists where "a/" must be a folder, or the reverse
	ErrBadDigest          = errors.New("content MD5 does not match the body")
	ErrInvalidDigest      = errors.New("content MD5 is not a valid base64 MD5 digest")
	ErrIncompleteBody     = errors.New("body is shorter or longer than the declared size")
	ErrEntityTooLarge     = errors.New("object is larger than the allowed maximum")
	ErrNoSuchUpload       = errors.New("multipart upload does not exist")
	ErrInvalidPart        = errors.New("part was not uploaded or its ETag does not match")
	ErrInvalidPartOrder   = errors.New("parts are not in ascending part-number order")
	ErrEntityTooSmall     = errors.New("part is smaller than the minimum part size")
	ErrInvalidPartNumber  = errors.New("part number must be between 1 and 10000")
	ErrNoSuchBucketPolicy = errors.New("bucket has no policy")
	ErrMalformedPolicy    = errors.New("bucket policy is malformed")
	ErrInvalidCopy        = errors.New("copying an object onto itself requires replacing its metadata") // S3 InvalidRequest
	ErrMetadataTooLarge   = errors.New("user metadata is larger than 2 KiB")
	ErrInvalidArgument    = errors.New("invalid argument")
)
