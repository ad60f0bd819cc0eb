package remote

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/edgecd/edgecd/objstore"
)

// ErrAccessDenied is joined to objstore.ErrNoSuchKey when the endpoint
// answers 403 AccessDenied to a GetObject. S3 answers so for a missing key
// when the reader may not list the bucket (the usual least-privilege
// s3:GetObject-only credentials), so the edge serves it as a missing key, as
// CloudFront would pass S3's answer on as an error; the cause stays visible
// to errors.Is and in the log.
var ErrAccessDenied = errors.New("the origin endpoint denied access")

// errTooLarge says an object is larger than the whole cache.
var errTooLarge = errors.New("object is larger than the origin cache")

// refresh makes the cache hold the current bytes of bucket/key under name:
// a conditional GetObject keeps the cached copy on 304 and replaces it on
// 200.
func (b *Buckets) refresh(ctx context.Context, bucket, key, name string) error {
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	etag := b.cachedETag(name)
	if etag != "" {
		in.IfNoneMatch = aws.String(`"` + etag + `"`)
	}
	out, err := b.api.GetObject(ctx, in)
	if err != nil {
		if etag != "" && statusOf(err) == http.StatusNotModified {
			return nil
		}
		err = b.objectErr(err, bucket, key)
		if errors.Is(err, objstore.ErrNoSuchKey) || errors.Is(err, objstore.ErrNoSuchBucket) {
			b.forget(name)
		}
		return err
	}
	defer out.Body.Close()
	info := infoFrom(bucket, key, out)
	if info.Size > b.opts.MaxBytes {
		b.forget(name) // an older, smaller version is stale now
		return errTooLarge
	}
	f, err := os.CreateTemp(b.opts.Dir, tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("origin cache: %w", err)
	}
	info, err = download(f, out, info, b.opts.MaxBytes)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		if errors.Is(err, errTooLarge) {
			b.forget(name)
		}
		return err
	}
	return b.install(name, f.Name(), info)
}

// openUncached downloads bucket/key into an unlinked temporary file, for
// objects the cache cannot hold.
func (b *Buckets) openUncached(ctx context.Context, bucket, key string) (*os.File, objstore.ObjectInfo, error) {
	out, err := b.api.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, objstore.ObjectInfo{}, b.objectErr(err, bucket, key)
	}
	defer out.Body.Close()
	f, err := os.CreateTemp(b.opts.Dir, tempPrefix+"*")
	if err != nil {
		return nil, objstore.ObjectInfo{}, fmt.Errorf("origin cache: %w", err)
	}
	os.Remove(f.Name()) // readable until closed
	info, err := download(f, out, infoFrom(bucket, key, out), -1)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, objstore.ObjectInfo{}, err
	}
	return f, info, nil
}

// download copies the body to f and checks it is whole: as long as S3 said,
// and, when the ETag is the MD5 of the bytes, with that digest. limit >= 0
// stops a body of unknown length beyond it (errTooLarge).
func download(f *os.File, out *s3.GetObjectOutput, info objstore.ObjectInfo, limit int64) (objstore.ObjectInfo, error) {
	var sum hash.Hash
	w := io.Writer(f)
	if md5ETag(out) {
		sum = md5.New()
		w = io.MultiWriter(f, sum)
	}
	r := io.Reader(out.Body)
	if limit >= 0 {
		r = io.LimitReader(r, limit+1)
	}
	n, err := io.Copy(w, r)
	where := info.Bucket + "/" + info.Key
	switch {
	case err != nil:
		return info, fmt.Errorf("origin endpoint: read %s: %w", where, err)
	case out.ContentLength == nil && limit >= 0 && n > limit:
		return info, errTooLarge
	case out.ContentLength == nil:
		info.Size = n
	case n != info.Size:
		return info, fmt.Errorf("origin endpoint: %s: got %d bytes of %d", where, n, info.Size)
	}
	if sum != nil {
		if got := hex.EncodeToString(sum.Sum(nil)); !strings.EqualFold(got, info.ETag) {
			return info, fmt.Errorf("origin endpoint: %s: the bytes' MD5 %s is not the ETag %s", where, got, info.ETag)
		}
	}
	return info, nil
}

// md5ETag says whether the response's ETag is the MD5 of its bytes: S3's
// ETag is not for multipart objects ("-N") and objects encrypted with
// SSE-KMS or SSE-C.
func md5ETag(out *s3.GetObjectOutput) bool {
	etag := strings.Trim(aws.ToString(out.ETag), `"`)
	if len(etag) != 2*md5.Size {
		return false
	}
	if _, err := hex.DecodeString(etag); err != nil {
		return false
	}
	switch out.ServerSideEncryption {
	case types.ServerSideEncryptionAwsKms, types.ServerSideEncryptionAwsKmsDsse:
		return false
	}
	return out.SSECustomerAlgorithm == nil
}

// infoFrom is what the response headers say about the object.
func infoFrom(bucket, key string, out *s3.GetObjectOutput) objstore.ObjectInfo {
	info := objstore.ObjectInfo{
		Bucket:       bucket,
		Key:          key,
		Size:         aws.ToInt64(out.ContentLength),
		ETag:         strings.Trim(aws.ToString(out.ETag), `"`),
		LastModified: aws.ToTime(out.LastModified),
		Metadata: objstore.Metadata{
			ContentType:        aws.ToString(out.ContentType),
			CacheControl:       aws.ToString(out.CacheControl),
			ContentEncoding:    aws.ToString(out.ContentEncoding),
			ContentDisposition: aws.ToString(out.ContentDisposition),
			ContentLanguage:    aws.ToString(out.ContentLanguage),
			Expires:            aws.ToString(out.ExpiresString),
			User:               out.Metadata,
		},
	}
	if i := strings.LastIndexByte(info.ETag, '-'); i > 0 {
		if n, err := strconv.Atoi(info.ETag[i+1:]); err == nil {
			info.PartsCount = n
		}
	}
	return info
}

// objectErr maps a GetObject error to objstore's values, so the edge
// answers as for a local bucket.
func (b *Buckets) objectErr(err error, bucket, key string) error {
	switch code, status := codeOf(err); {
	case code == "NoSuchKey":
		return fmt.Errorf("%w: %s/%s at the origin endpoint", objstore.ErrNoSuchKey, bucket, key)
	case code == "NoSuchBucket":
		return fmt.Errorf("%w: %s at the origin endpoint", objstore.ErrNoSuchBucket, bucket)
	case code == "AccessDenied":
		b.opts.Logger.Warn("the origin endpoint denied a GetObject; serving it as a missing key (give the node s3:GetObject and s3:ListBucket)", "bucket", bucket, "key", key)
		return fmt.Errorf("%w: %s/%s: %w", objstore.ErrNoSuchKey, bucket, key, ErrAccessDenied)
	case status == http.StatusNotFound:
		// A 404 without a parsable code (some proxies): a missing key.
		return fmt.Errorf("%w: %s/%s at the origin endpoint", objstore.ErrNoSuchKey, bucket, key)
	}
	return fmt.Errorf("origin endpoint: get %s/%s: %w", bucket, key, err)
}

// codeOf is the S3 error code and HTTP status of an SDK error ("" and 0
// when the request did not get an answer).
func codeOf(err error) (string, int) {
	var code string
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	return code, statusOf(err)
}

// originUnavailable reports whether err says the origin could not answer
// (no response, a 5xx, a body cut short) rather than that the object is
// missing, too large or refused.
func originUnavailable(err error) bool {
	if errors.Is(err, objstore.ErrNoSuchKey) || errors.Is(err, objstore.ErrNoSuchBucket) || errors.Is(err, errTooLarge) {
		return false
	}
	status := statusOf(err)
	return status == 0 || status >= 500
}

func statusOf(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
