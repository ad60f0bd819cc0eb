package s3

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestVirtualHostedStyleAndConditionals drives the handler with the SDK's
// default addressing, <bucket>.localhost:<port>, and checks conditional GETs.
func TestVirtualHostedStyleAndConditionals(t *testing.T) {
	ts := newTestServer(t)
	u, _ := url.Parse(ts.URL)
	_, port, _ := net.SplitHostPort(u.Host)
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, u.Host) // every <bucket>.localhost is the test server
	}
	var hosts []string
	c := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://localhost:" + port),
		Credentials:  credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
		HTTPClient:   &http.Client{Transport: &http.Transport{DialContext: dial}},
		APIOptions:   nil,
	})
	c = s3.New(c.Options(), func(o *s3.Options) {
		o.HTTPClient = hostRecorder{o.HTTPClient.(*http.Client), &hosts}
	})
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("vhost")}); err != nil {
		t.Fatal(err)
	}
	put, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("vhost"), Key: aws.String("dir/k.txt"), Body: strings.NewReader("vhosted")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Objs.Stat(ctx, "vhost", "dir/k.txt"); err != nil {
		t.Fatalf("the object is not in bucket vhost: %v", err)
	}
	if len(hosts) == 0 || !strings.HasPrefix(hosts[len(hosts)-1], "vhost.localhost:") {
		t.Fatalf("the SDK did not use virtual-hosted addressing: %v", hosts)
	}
	tests := []struct {
		name string
		in   s3.GetObjectInput
		code string
	}{
		{"If-Match with the ETag", s3.GetObjectInput{IfMatch: put.ETag}, ""},
		{"If-Match with another ETag", s3.GetObjectInput{IfMatch: aws.String(`"0000"`)}, "PreconditionFailed"},
		{"If-None-Match with the ETag", s3.GetObjectInput{IfNoneMatch: put.ETag}, "NotModified"},
		{"If-Unmodified-Since before the write", s3.GetObjectInput{IfUnmodifiedSince: aws.Time(time.Now().Add(-time.Hour))}, "PreconditionFailed"},
		{"If-Match wins over a failing If-Unmodified-Since", s3.GetObjectInput{IfMatch: put.ETag, IfUnmodifiedSince: aws.Time(time.Now().Add(-time.Hour))}, ""},
		{"range past the end", s3.GetObjectInput{Range: aws.String("bytes=100-200")}, "InvalidRange"},
		{"range inside", s3.GetObjectInput{Range: aws.String("bytes=1-3")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.Bucket, in.Key = aws.String("vhost"), aws.String("dir/k.txt")
			out, err := c.GetObject(ctx, &in)
			if err == nil {
				out.Body.Close()
			}
			if got := apiCode(err); got != tt.code && !(tt.code == "NotModified" && strings.Contains(got, "304")) {
				t.Fatalf("GetObject: %v, want %q", err, tt.code)
			}
		})
	}
}

type hostRecorder struct {
	c     *http.Client
	hosts *[]string
}

func (h hostRecorder) Do(r *http.Request) (*http.Response, error) {
	*h.hosts = append(*h.hosts, r.URL.Host)
	return h.c.Do(r)
}
