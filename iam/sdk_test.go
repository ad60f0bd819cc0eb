package iam

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestSDKPutObjectPayloads(t *testing.T) {
	var mu sync.Mutex
	var got []byte
	var logs []string
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mode := r.Header.Get("X-Amz-Content-Sha256")
		tr := r.Header.Get("X-Amz-Trailer")
		_, err := Verify(r.Context(), r, keys, time.Now())
		var body []byte
		if err == nil {
			body, err = io.ReadAll(r.Body)
		}
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, fmt.Sprintf("%s %s sha=%q trailer=%q len=%d err=%v", r.Method, r.URL, mode, tr, len(body), err))
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		got = body
		w.Header().Set("ETag", `"e"`)
	}))
	defer srv.Close()
	cli := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, HTTPClient: srv.Client(),
		Credentials: credentials.NewStaticCredentialsProvider(testKey.AccessKeyID, testKey.SecretAccessKey, "")})
	for _, alg := range []types.ChecksumAlgorithm{"", types.ChecksumAlgorithmCrc32, types.ChecksumAlgorithmSha256} {
		for _, n := range []int{0, 5, 3 << 20} {
			data := make([]byte, n)
			rand.Read(data)
			_, err := cli.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("a b/c+d"), Body: bytes.NewReader(data), ChecksumAlgorithm: alg})
			if err != nil {
				t.Errorf("%s %d: %v", alg, n, err)
				continue
			}
			mu.Lock()
			if !bytes.Equal(got, data) {
				t.Errorf("%s %d: body differs (%d bytes)", alg, n, len(got))
			}
			mu.Unlock()
			// An unseekable body forces aws-chunked streaming.
			_, err = cli.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String("k"), Body: io.MultiReader(bytes.NewReader(data)), ContentLength: aws.Int64(int64(n)), ChecksumAlgorithm: alg})
			if err != nil {
				t.Errorf("unseekable %s %d: %v", alg, n, err)
				continue
			}
			mu.Lock()
			if !bytes.Equal(got, data) {
				t.Errorf("unseekable %s %d: body differs (%d bytes)", alg, n, len(got))
			}
			mu.Unlock()
		}
	}
	for _, l := range logs {
		t.Log(l)
	}
}
