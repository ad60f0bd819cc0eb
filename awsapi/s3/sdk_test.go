package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

func newSDKClient(ts *testServer) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(ts.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
	})
}

// apiCode is the S3 error code of an SDK error, or "" for success.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "not an API error: " + err.Error()
	}
	return ""
}

func TestSDKObjectsRoundTrip(t *testing.T) {
	ts := newTestServer(t)
	c := newSDKClient(ts)
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("site")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("site")}); apiCode(err) != "BucketAlreadyOwnedByYou" {
		t.Fatalf("second CreateBucket: %v", err)
	}
	body := []byte("<h1>hello</h1>")
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("site"), Key: aws.String("1.0.0/index.html"),
		Body: bytes.NewReader(body), ContentType: aws.String("text/html"), CacheControl: aws.String("max-age=60"),
		Metadata: map[string]string{"build": "42"}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("site"), Key: aws.String("1.0.0/index.html")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(got.Body)
	got.Body.Close()
	sum := md5.Sum(body)
	if !bytes.Equal(b, body) || aws.ToString(got.ContentType) != "text/html" || aws.ToString(got.CacheControl) != "max-age=60" ||
		got.Metadata["build"] != "42" || aws.ToString(got.ETag) != fmt.Sprintf(`"%x"`, sum) {
		t.Fatalf("GetObject = %q type %q cache %q meta %v etag %q", b, aws.ToString(got.ContentType), aws.ToString(got.CacheControl), got.Metadata, aws.ToString(got.ETag))
	}
	rng, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("site"), Key: aws.String("1.0.0/index.html"), Range: aws.String("bytes=4-8")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(rng.Body)
	rng.Body.Close()
	if string(b) != "hello" || aws.ToString(rng.ContentRange) != "bytes 4-8/14" {
		t.Fatalf("range read %q %q", b, aws.ToString(rng.ContentRange))
	}

	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("site"), Key: aws.String("missing")}); apiCode(err) != "NoSuchKey" {
		t.Fatalf("missing key: %v", err)
	}
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("nobucket"), Key: aws.String("k")}); apiCode(err) != "NoSuchBucket" {
		t.Fatalf("missing bucket: %v", err)
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("Bad_Name")}); apiCode(err) != "InvalidBucketName" {
		t.Fatalf("CreateBucket Bad_Name: %v", err)
	}
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("site"), Key: aws.String("bad"), Body: bytes.NewReader(body),
		ContentMD5: aws.String("not-base64")})
	if apiCode(err) != "InvalidDigest" {
		t.Fatalf("malformed Content-MD5: %v", err)
	}
	wrong := md5.Sum([]byte("other"))
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("site"), Key: aws.String("bad"), Body: bytes.NewReader(body),
		ContentMD5: aws.String(base64.StdEncoding.EncodeToString(wrong[:]))})
	if apiCode(err) != "BadDigest" {
		t.Fatalf("wrong Content-MD5: %v", err)
	}
	if _, err := ts.Objs.Stat(ctx, "site", "bad"); err == nil {
		t.Fatal("an object with a wrong Content-MD5 was stored")
	}

	cp, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("site"), Key: aws.String("copy.html"),
		CopySource: aws.String("site/1.0.0/index.html")})
	if err != nil || aws.ToString(cp.CopyObjectResult.ETag) != fmt.Sprintf(`"%x"`, sum) {
		t.Fatalf("CopyObject: %v", err)
	}
	head, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("site"), Key: aws.String("copy.html")})
	if err != nil || head.Metadata["build"] != "42" || aws.ToInt64(head.ContentLength) != int64(len(body)) {
		t.Fatalf("HeadObject of the copy: %v %+v", err, head)
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("site"), Key: aws.String("copy.html"), CopySource: aws.String("site/1.0.0/index.html"),
		MetadataDirective: types.MetadataDirectiveReplace, ContentType: aws.String("text/plain"), Metadata: map[string]string{"stage": "b"}}); err != nil {
		t.Fatal(err)
	}
	head, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("site"), Key: aws.String("copy.html")})
	if err != nil || aws.ToString(head.ContentType) != "text/plain" || head.Metadata["stage"] != "b" || head.Metadata["build"] != "" {
		t.Fatalf("HeadObject after a REPLACE copy: %v %+v", err, head)
	}
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("site"), Key: aws.String("x"), CopySource: aws.String("site/missing")}); apiCode(err) != "NoSuchKey" {
		t.Fatalf("copy of a missing key: %v", err)
	}
	if _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("site"), Key: aws.String("nope")}); err == nil {
		t.Fatal("HeadObject of a missing key succeeded")
	}
}

func TestSDKListPaginatesWithDelimiter(t *testing.T) {
	ts := newTestServer(t)
	c := newSDKClient(ts)
	ctx := context.Background()
	c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("lst")})
	var want []string
	for i := range 25 {
		k := fmt.Sprintf("v1/f%02d.txt", i)
		want = append(want, k)
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lst"), Key: aws.String(k), Body: strings.NewReader(k)}); err != nil {
			t.Fatal(err)
		}
	}
	c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("lst"), Key: aws.String("v2/a b+c.txt"), Body: strings.NewReader("x")})

	var keys []string
	pages := 0
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String("lst"), Prefix: aws.String("v1/"), MaxKeys: aws.Int32(10)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	if pages != 3 || strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Fatalf("%d pages, keys %v", pages, keys)
	}
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("lst"), Delimiter: aws.String("/"), EncodingType: types.EncodingTypeUrl})
	if err != nil {
		t.Fatal(err)
	}
	var prefixes []string
	for _, p := range out.CommonPrefixes {
		prefixes = append(prefixes, aws.ToString(p.Prefix))
	}
	if len(out.Contents) != 0 || strings.Join(prefixes, ",") != "v1/,v2/" {
		t.Fatalf("delimiter listing: %d contents, prefixes %v", len(out.Contents), prefixes)
	}
	v2, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("lst"), Prefix: aws.String("v2/"), EncodingType: types.EncodingTypeUrl})
	if err != nil || len(v2.Contents) != 1 || aws.ToString(v2.Contents[0].Key) != "v2/a+b%2Bc.txt" {
		t.Fatalf("url-encoded key did not round-trip: %v %+v", err, v2.Contents)
	}
	v1, err := c.ListObjects(ctx, &s3.ListObjectsInput{Bucket: aws.String("lst"), Marker: aws.String("v1/f20.txt")})
	if err != nil || len(v1.Contents) != 5 || aws.ToString(v1.Contents[0].Key) != "v1/f21.txt" {
		t.Fatalf("ListObjects v1 after a marker: %v %d", err, len(v1.Contents))
	}

	del, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String("lst"), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("v1/f00.txt")}, {Key: aws.String("v1/never")}}}})
	if err != nil || len(del.Deleted) != 2 || len(del.Errors) != 0 {
		t.Fatalf("DeleteObjects: %v %+v", err, del)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("lst")}); apiCode(err) != "BucketNotEmpty" {
		t.Fatalf("deleting a full bucket: %v", err)
	}
}

func TestSDKMultipart(t *testing.T) {
	ts := newTestServer(t)
	c := newSDKClient(ts)
	ctx := context.Background()
	c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("mpu")})
	up, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big.bin"), ContentType: aws.String("application/x-test")})
	if err != nil {
		t.Fatal(err)
	}
	parts := [][]byte{make([]byte, 5<<20), make([]byte, 5<<20), []byte("tail")}
	var all []byte
	var done []types.CompletedPart
	md5s := md5.New()
	for i, p := range parts {
		rand.Read(p)
		all = append(all, p...)
		sum := md5.Sum(p)
		md5s.Write(sum[:])
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("big.bin"), UploadId: up.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: bytes.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, types.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag})
	}
	lp, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("mpu"), Key: aws.String("big.bin"), UploadId: up.UploadId})
	if err != nil || len(lp.Parts) != 3 {
		t.Fatalf("ListParts: %v", err)
	}
	page, err := c.ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String("mpu"), Key: aws.String("big.bin"), UploadId: up.UploadId, MaxParts: aws.Int32(2)})
	if err != nil || len(page.Parts) != 2 || !aws.ToBool(page.IsTruncated) || aws.ToInt32(page.MaxParts) != 2 || aws.ToString(page.NextPartNumberMarker) != "2" {
		t.Fatalf("ListParts page of 2: %v %+v", err, page)
	}
	lu, err := c.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String("mpu")})
	if err != nil || len(lu.Uploads) != 1 || aws.ToString(lu.Uploads[0].UploadId) != aws.ToString(up.UploadId) {
		t.Fatalf("ListMultipartUploads: %v", err)
	}
	// Parts out of order are refused and leave the upload usable.
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big.bin"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{done[1], done[0]}}})
	if apiCode(err) != "InvalidPartOrder" {
		t.Fatalf("parts out of order: %v", err)
	}
	comp, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big.bin"), UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: done}})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`"%x-3"`, md5s.Sum(nil)); aws.ToString(comp.ETag) != want {
		t.Fatalf("multipart ETag %s, want %s", aws.ToString(comp.ETag), want)
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("mpu"), Key: aws.String("big.bin")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if !bytes.Equal(b, all) || aws.ToString(got.ContentType) != "application/x-test" {
		t.Fatalf("assembled object differs (%d bytes, type %q)", len(b), aws.ToString(got.ContentType))
	}
	if _, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("mpu"), Key: aws.String("big.bin"), UploadId: aws.String("nosuchupload"),
		PartNumber: aws.Int32(1), Body: strings.NewReader("x")}); apiCode(err) != "NoSuchUpload" {
		t.Fatalf("unknown upload id: %v", err)
	}
	if _, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String("mpu"), Key: aws.String("big.bin"), UploadId: up.UploadId}); apiCode(err) != "NoSuchUpload" {
		t.Fatalf("aborting a completed upload: %v", err)
	}
}

func TestSDKChecksumsVerified(t *testing.T) {
	ts := newTestServer(t)
	c := newSDKClient(ts)
	ctx := context.Background()
	c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("sums")})
	body := "checksummed body"
	tests := []struct {
		name string
		in   s3.PutObjectInput
		code string
	}{
		{"crc32 computed by the SDK", s3.PutObjectInput{ChecksumAlgorithm: types.ChecksumAlgorithmCrc32}, ""},
		{"crc32c computed by the SDK", s3.PutObjectInput{ChecksumAlgorithm: types.ChecksumAlgorithmCrc32c}, ""},
		{"sha256 computed by the SDK", s3.PutObjectInput{ChecksumAlgorithm: types.ChecksumAlgorithmSha256}, ""},
		{"crc64nvme computed by the SDK", s3.PutObjectInput{ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme}, ""},
		{"wrong crc32 given", s3.PutObjectInput{ChecksumCRC32: aws.String("AAAAAA==")}, "BadDigest"},
		{"wrong sha1 given", s3.PutObjectInput{ChecksumSHA1: aws.String(base64.StdEncoding.EncodeToString(make([]byte, 20)))}, "BadDigest"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			key := fmt.Sprintf("k%d", i)
			in.Bucket, in.Key, in.Body = aws.String("sums"), aws.String(key), strings.NewReader(body)
			out, err := c.PutObject(ctx, &in)
			if apiCode(err) != tt.code {
				t.Fatalf("PutObject: %v, want code %q", err, tt.code)
			}
			if err == nil && out.ChecksumCRC32 == nil && out.ChecksumCRC32C == nil && out.ChecksumSHA256 == nil && out.ChecksumCRC64NVME == nil {
				t.Fatal("the server did not compute and return the checksum the SDK sent")
			}
			_, err = ts.Objs.Stat(ctx, "sums", key)
			if stored := err == nil; stored != (tt.code == "") {
				t.Fatalf("stored = %v after code %q", stored, tt.code)
			}
		})
	}
}
