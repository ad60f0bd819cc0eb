// Package s3 is the S3 REST API over objstore: what `aws s3 sync/cp/ls/rm/mb`,
// `aws s3api` bucket policies, multipart uploads, rclone and the SDKs need,
// with path-style (/bucket/key) and virtual-hosted-style
// (<bucket>.localhost, <bucket>.s3.<anything>) addressing.
//
// Requests enter through Handler.ServeHTTP after node's gateway has verified
// SigV4 and decoded aws-chunked bodies; each operation authorizes its IAM
// action (s3:GetObject, s3:PutObject, s3:ListBucket, ...) on the bucket or
// object ARN with iam.Authorize. Request documents (Delete,
// CompleteMultipartUpload, CreateBucketConfiguration) are decoded by pure
// functions in decode.go. Bodies stream into objstore, which checks
// Content-Length and Content-MD5 and writes atomically; announced
// x-amz-checksum-* values are verified on the way (checksum.go), so a bad
// body is refused before anything becomes visible. Responses are S3's XML;
// errors go through one table from domain errors to S3 codes (errors.go).
// Objects are plain files, so the edge serves exactly what this API wrote.
package s3
