// Package s3 is the S3 REST API over objstore: what `aws s3 sync/cp/ls/rm/mb`,
// `aws s3api` bucket policies, multipart uploads and the SDKs need, with
// path-style and virtual-hosted-style (<bucket>.localhost) addressing.
// Authentication (SigV4, aws-chunked decoding) happened in node's gateway;
// each operation authorizes its IAM action on the bucket or object ARN.
// Objects are plain files, so the edge serves exactly what this API wrote.
package s3
