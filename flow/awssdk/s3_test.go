package awssdk

import (
	"strings"
	"testing"

	"github.com/edgecd/edgecd/iam"
	"github.com/edgecd/edgecd/objstore"
)

func TestS3ObjectsRoundTrip(t *testing.T) {
	f := newFixture(t)
	if err := f.objs.CreateBucket(f.ctx, "site", objstore.BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	var put struct{ ETag string }
	f.call(t, "s3", "putObject", `{"Bucket":"site","Key":"v2/index.html","Body":"<h1>v2</h1>","ContentType":"text/html","Metadata":{"version":"v2"}}`, &put)
	if put.ETag == "" {
		t.Fatal("putObject returned no ETag")
	}
	var got struct {
		Body          string
		ContentType   string
		ContentLength int64
		ETag          string
		Metadata      map[string]string
		LastModified  string
	}
	f.call(t, "s3", "getObject", `{"Bucket":"site","Key":"v2/index.html"}`, &got)
	if got.Body != "<h1>v2</h1>" || got.ContentType != "text/html" || got.ContentLength != 11 || got.ETag != put.ETag || got.Metadata["version"] != "v2" || got.LastModified == "" {
		t.Fatalf("getObject answered %+v", got)
	}
	var head struct {
		ContentLength int64
		Body          *string
	}
	f.call(t, "s3", "headObject", `{"Bucket":"site","Key":"v2/index.html"}`, &head)
	if head.ContentLength != 11 || head.Body != nil {
		t.Fatalf("headObject answered %+v", head)
	}
	f.call(t, "s3", "copyObject", `{"Bucket":"site","Key":"v3/index.html","CopySource":"site/v2/index.html"}`, nil)
	f.call(t, "s3", "putObject", `{"Bucket":"site","Key":"v3/app.js","Body":"x"}`, nil)

	var list struct {
		Name        string
		KeyCount    int
		IsTruncated bool
		Contents    []struct {
			Key  string
			Size int64
		}
		CommonPrefixes []struct{ Prefix string }
	}
	f.call(t, "s3", "listObjectsV2", `{"Bucket":"site","Prefix":"v3/"}`, &list)
	if list.Name != "site" || list.KeyCount != 2 || len(list.Contents) != 2 || list.Contents[0].Key != "v3/app.js" || list.Contents[1].Size != 11 {
		t.Fatalf("listObjectsV2 answered %+v", list)
	}
	f.call(t, "s3", "listObjectsV2", `{"Bucket":"site","Delimiter":"/","MaxKeys":10}`, &list)
	if len(list.CommonPrefixes) != 2 || list.CommonPrefixes[0].Prefix != "v2/" {
		t.Fatalf("listObjectsV2 with a delimiter answered %+v", list)
	}
	f.call(t, "s3", "deleteObject", `{"Bucket":"site","Key":"v3/app.js"}`, nil)
	f.fails(t, f.ctx, "s3", "getObject", `{"Bucket":"site","Key":"v3/app.js"}`, "S3.NoSuchKeyException")
}

func TestS3ErrorNames(t *testing.T) {
	f := newFixture(t)
	if err := f.objs.CreateBucket(f.ctx, "site", objstore.BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	f.call(t, "s3", "putObject", `{"Bucket":"site","Key":"a","Body":"x"}`, nil)
	denied := as(f.ctx, iam.Policy{Statement: []iam.Statement{{Effect: "Allow", Action: []string{"s3:GetObject"}, Resource: []string{"*"}}}})
	tests := []struct {
		name, action, params, want string
	}{
		{"missing key", "getObject", `{"Bucket":"site","Key":"nope"}`, "S3.NoSuchKeyException"},
		{"missing key on HEAD", "headObject", `{"Bucket":"site","Key":"nope"}`, "S3.NoSuchKeyException"},
		{"missing bucket", "listObjectsV2", `{"Bucket":"nobucket"}`, "S3.NoSuchBucketException"},
		{"If-Match mismatch", "getObject", `{"Bucket":"site","Key":"a","IfMatch":"\"0000\""}`, "S3.PreconditionFailedException"},
		{"conditional put on an existing key", "putObject", `{"Bucket":"site","Key":"a","Body":"y","IfNoneMatch":"*"}`, "S3.PreconditionFailedException"},
		{"unknown parameter", "getObject", `{"Bucket":"site","Key":"a","Version":"1"}`, "S3.InvalidArgumentException"},
		{"no bucket", "getObject", `{"Key":"a"}`, "S3.InvalidArgumentException"},
		{"unserved action", "createBucket", `{"Bucket":"b"}`, "States.Runtime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { f.fails(t, f.ctx, "s3", tt.action, tt.params, tt.want) })
	}
	f.fails(t, denied, "s3", "putObject", `{"Bucket":"site","Key":"b","Body":"x"}`, "S3.AccessDeniedException")
}

func TestLargeObjectsExceedTheStatePayload(t *testing.T) {
	f := newFixture(t)
	if err := f.objs.CreateBucket(f.ctx, "site", objstore.BucketOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err := f.objs.Put(f.ctx, "site", "big", strings.NewReader(strings.Repeat("x", MaxPayload+1)), objstore.PutOptions{Size: MaxPayload + 1})
	if err != nil {
		t.Fatal(err)
	}
	f.fails(t, f.ctx, "s3", "getObject", `{"Bucket":"site","Key":"big"}`, "States.DataLimitExceeded")
}
