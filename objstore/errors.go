package objstore

import "errors"

// Domain errors. Callers test them with errors.Is; the S3 API package maps
// each to its S3 error code and HTTP status in one table. Returned errors
// wrap one of these with a message naming the bucket, key or limit involved,
// fit to pass on as the S3 <Message>. The comment after each gives the S3
// code and status it corresponds to.
var (
	ErrNoSuchBucket       = errors.New("bucket does not exist")                                     // NoSuchBucket 404
	ErrBucketExists       = errors.New("bucket already exists")                                     // BucketAlreadyOwnedByYou 409 (one owner per store)
	ErrBucketNotEmpty     = errors.New("bucket is not empty")                                       // BucketNotEmpty 409
	ErrInvalidBucketName  = errors.New("invalid bucket name")                                       // InvalidBucketName 400
	ErrNoSuchKey          = errors.New("object does not exist")                                     // NoSuchKey 404
	ErrInvalidKey         = errors.New("object key cannot be stored")                               // InvalidArgument 400 (S3 has no closer code)
	ErrKeyTooLong         = errors.New("object key is longer than 1024 bytes")                      // KeyTooLongError 400
	ErrKeyConflict        = errors.New("object key conflicts with an existing key")                 // InvalidArgument 400: "a" exists where "a/" must be a folder, or the reverse
	ErrBadDigest          = errors.New("content MD5 does not match the body")                       // BadDigest 400
	ErrInvalidDigest      = errors.New("content MD5 is not a valid base64 MD5 digest")              // InvalidDigest 400
	ErrIncompleteBody     = errors.New("body is shorter or longer than the declared size")          // IncompleteBody 400
	ErrEntityTooLarge     = errors.New("object is larger than the allowed maximum")                 // EntityTooLarge 400
	ErrNoSuchUpload       = errors.New("multipart upload does not exist")                           // NoSuchUpload 404
	ErrInvalidPart        = errors.New("part was not uploaded or its ETag does not match")          // InvalidPart 400
	ErrInvalidPartOrder   = errors.New("parts are not in ascending part-number order")              // InvalidPartOrder 400
	ErrEntityTooSmall     = errors.New("part is smaller than the minimum part size")                // EntityTooSmall 400
	ErrInvalidPartNumber  = errors.New("part number must be between 1 and 10000")                   // InvalidArgument 400
	ErrNoSuchBucketPolicy = errors.New("bucket has no policy")                                      // NoSuchBucketPolicy 404
	ErrMalformedPolicy    = errors.New("bucket policy is malformed")                                // MalformedPolicy 400
	ErrInvalidCopy        = errors.New("copying an object onto itself requires replacing metadata") // InvalidRequest 400
	ErrMetadataTooLarge   = errors.New("user metadata is larger than 2 KiB")                        // MetadataTooLarge 400
	ErrInvalidArgument    = errors.New("invalid argument")                                          // InvalidArgument 400
	ErrPreconditionFailed = errors.New("precondition failed")                                       // PreconditionFailed 412
)
